import { describe, expect, it } from 'vitest'
import type { CaseResult, CheckResult, Outcome } from '../schema/report.ts'
import type { Level } from '../schema/expect.ts'
import type { Profile } from '../schema/profile.ts'
import { caseOutcome, checkOutcome, markKnown, reasonFor } from './verdict.ts'

const check = (outcome: Outcome, message = outcome, actual = `${outcome} actual`): CheckResult => ({ check: `c.${outcome}`, level: 'MUST', outcome, requirements: [], expected: '', actual, message })

describe('a check outcome at its level', () => {
  it.each<[boolean | 'n/a', Level, Outcome]>([
    [true, 'MUST', 'passed'],
    [true, 'SHOULD', 'passed'],
    [true, 'MAY', 'passed'],
    [true, 'INFO', 'info'],
    [false, 'MUST', 'failed'],
    [false, 'SHOULD', 'warning'],
    [false, 'MAY', 'info'],
    [false, 'INFO', 'info'],
    ['n/a', 'MUST', 'skipped'],
    ['n/a', 'INFO', 'skipped'],
  ])('holds %s at %s → %s', (holds, level, outcome) => {
    expect(checkOutcome(holds, level)).toBe(outcome)
  })
})

describe('a case outcome from its checks', () => {
  it.each<[Outcome[], Level, Outcome]>([
    [['passed', 'failed', 'errored'], 'MUST', 'failed'],
    [['passed', 'errored', 'warning'], 'MUST', 'errored'],
    [['passed', 'warning', 'info'], 'MUST', 'warning'],
    [['passed', 'skipped'], 'MUST', 'passed'],
    [['skipped', 'skipped'], 'MUST', 'skipped'],
    [[], 'MUST', 'skipped'],
    // The observation rule: a MUST or SHOULD case that holds and records an observation passes.
    [['passed', 'info'], 'MUST', 'passed'],
    [['passed', 'info'], 'SHOULD', 'passed'],
    [['passed', 'info'], 'INFO', 'info'],
    [['info'], 'MUST', 'info'],
    [['info', 'skipped'], 'SHOULD', 'info'],
  ])('%j at %s → %s', (outcomes, level, expected) => {
    expect(
      caseOutcome(
        outcomes.map((o) => check(o)),
        level,
      ),
    ).toBe(expected)
  })

  it.each<[Outcome, Outcome[], string | undefined]>([
    ['failed', ['passed', 'failed', 'failed'], 'failed'],
    ['passed', ['passed', 'info'], 'info actual'],
    ['info', ['info'], 'info actual'],
    ['passed', ['passed'], 'passed'],
    ['skipped', ['skipped'], 'skipped'],
  ])('a %s case gives the reason of %j: %s', (outcome, outcomes, reason) => {
    expect(
      reasonFor(
        outcome,
        outcomes.map((o) => check(o)),
      ),
    ).toBe(reason)
  })
})

describe('known deviations', () => {
  const profile = {
    title: 'Okta',
    deviations: [
      { case: 'scope/scope-restricted', behaviour: 'access_denied', source: 'PROVIDERS.md §1' },
      { case: 'client-authentication/basic-and-post', check: 'error-response.status-400', behaviour: '401', source: 'PROVIDERS.md §1 (g)' },
      { case: '*', check: 'error-response.well-formed', behaviour: 'CR LF', source: 'PROVIDERS.md §3' },
    ],
  } as unknown as Profile
  const caseWith = (key: string, outcome: Outcome, failing: string[]): CaseResult => {
    const [suite, id] = key.split('/') as [string, string]
    return {
      id,
      suite,
      title: id,
      level: 'MUST',
      requirements: [],
      outcome,
      checks: failing.map((c) => ({ ...check(outcome === 'warning' ? 'warning' : 'failed'), check: c })),
      exchanges: [],
      durationMs: 0,
    }
  }
  it.each<[string, Outcome, string[], boolean]>([
    ['scope/scope-restricted', 'failed', ['response.token-or-error'], true],
    ['scope/scope-restricted', 'failed', ['response.token-or-error', 'error-response.status-400'], true],
    ['client-authentication/basic-and-post', 'warning', ['error-response.status-400'], true],
    // A second, undocumented failure is never hidden.
    ['client-authentication/basic-and-post', 'failed', ['error-response.status-400', 'response.no-token-issued'], false],
    ['request/json-body', 'failed', ['error-response.well-formed'], true],
    ['request/json-body', 'failed', ['response.token-or-error'], false],
    ['scope/scope-restricted', 'passed', [], false],
  ])('%s %s through %j: known %s', (key, outcome, failing, known) => {
    expect(markKnown(caseWith(key, outcome, failing), profile).known !== undefined).toBe(known)
  })

  it('says which provider, behaviour and source', () => {
    expect(markKnown(caseWith('scope/scope-restricted', 'failed', ['x']), profile).known).toEqual({ provider: 'Okta', behaviour: 'access_denied', source: 'PROVIDERS.md §1' })
    expect(markKnown(caseWith('scope/scope-restricted', 'failed', ['x']), undefined).known).toBeUndefined()
  })
})
