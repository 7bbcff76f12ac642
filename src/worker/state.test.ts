import { describe, expect, it } from 'vitest'
import type { Outcome } from '../schema/report.ts'
import { componentsOf, isOutage, transition, type CaseState, type Component, type TargetState } from './state.ts'

const run = (n: number, outcomes: Record<string, Outcome>, error?: string) => ({
  runId: `r${n}`,
  at: `2026-12-01T00:0${n}:00Z`,
  cases: Object.entries(outcomes).map(([key, outcome]) => ({ key, outcome, reason: outcome === 'errored' ? 'request failed: ECONNREFUSED' : undefined })),
  error,
})

/** Feeds runs one after another, as the Worker does, and returns what each one alerted. */
function sequence(confirm: number, runs: Array<ReturnType<typeof run>>) {
  let cases = new Map<string, CaseState>()
  let target: TargetState | undefined
  return runs.map((r) => {
    const t = transition(cases, target, r, confirm)
    cases = new Map([...cases, ...t.cases])
    target = t.target
    return { changes: t.changes.map((c) => `${c.change} ${c.key}`), target: t.targetChange, confirm: t.toConfirm, states: Object.fromEntries([...cases].map(([k, v]) => [k, v.state])) }
  })
}

describe('case and target states', () => {
  it('alerts a new failure once it is confirmed, then its fix, and nothing in between', () => {
    const seen = sequence(1, [run(1, { a: 'passed', b: 'passed' }), run(2, { a: 'failed', b: 'passed' }), run(3, { a: 'failed' }), run(4, { a: 'failed', b: 'passed' }), run(5, { a: 'passed' })])
    expect(seen.map((s) => s.changes)).toEqual([[], [], ['new-failure a'], [], ['fixed a']])
    expect(seen[1]!.confirm).toEqual(['a'])
    expect(seen[2]!.states).toEqual({ a: 'failing', b: 'passing' })
  })

  it('counts a failure that does not come back as a flake, without an alert', () => {
    const seen = sequence(1, [run(1, { a: 'passed' }), run(2, { a: 'failed' }), run(3, { a: 'passed' })])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    const t = transition(new Map([['a', { state: 'suspect', since: 'x', runId: 'r2', flips: 0, seen: 1 }]]), { state: 'up', since: 'x' }, run(3, { a: 'passed' }), 1)
    expect(t.cases.get('a')).toMatchObject({ state: 'passing', flips: 1 })
  })

  it('alerts at once without confirmation, and keeps the start of the streak as "since"', () => {
    const seen = sequence(0, [run(1, { a: 'passed' }), run(2, { a: 'failed' })])
    expect(seen[1]!.changes).toEqual(['new-failure a'])
    const two = sequence(2, [run(1, { a: 'passed' }), run(2, { a: 'failed' }), run(3, { a: 'failed' }), run(4, { a: 'failed' })])
    expect(two.map((s) => s.changes)).toEqual([[], [], [], ['new-failure a']])
  })

  it('a partial run changes only the cases it ran, and a standing failure never alerts again', () => {
    const seen = sequence(0, [run(1, { a: 'passed', b: 'passed' }), run(2, { a: 'failed', b: 'passed' }), run(3, { b: 'passed' }), run(4, { a: 'failed', b: 'passed' })])
    expect(seen.map((s) => s.changes)).toEqual([[], ['new-failure a'], [], []])
    expect(seen[2]!.states).toEqual({ a: 'failing', b: 'passing' })
  })

  it('an outage alerts when it begins and when it ends, and leaves case states alone', () => {
    const seen = sequence(0, [run(1, { a: 'passed', b: 'failed' }), run(2, { a: 'errored', b: 'errored' }), run(3, { a: 'errored', b: 'errored' }), run(4, { a: 'passed', b: 'failed' })])
    expect(seen.map((s) => s.target)).toEqual([undefined, 'outage', undefined, 'recovered'])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    expect(seen[2]!.states).toEqual({ a: 'passing', b: 'failing' })
  })

  it('knows an outage: every case errored, or a target that could not be run', () => {
    expect(isOutage(run(1, { a: 'errored', b: 'errored' }))).toBe(true)
    expect(isOutage(run(1, { a: 'errored', b: 'failed' }))).toBe(false)
    expect(isOutage(run(1, {}, 'metadata discovery failed'))).toBe(true)
    expect(isOutage(run(1, {}))).toBe(false)
  })

  it('knows a dead token endpoint: every case that asked it errored, whatever the metadata cases did', () => {
    const asked = (outcomes: Record<string, [Outcome, Component[]]>) => ({
      runId: 'r2',
      at: '2026-12-01T00:02:00Z',
      cases: Object.entries(outcomes).map(([key, [outcome, components]]) => ({ key, outcome, components, reason: outcome === 'errored' ? 'no complete response within 10000 ms' : undefined })),
    })
    const dead = asked({
      'metadata/issuer': ['passed', ['discovery']],
      'metadata/jwks': ['failed', ['discovery']],
      'scope/valid': ['errored', ['token']],
      'intro/active': ['errored', ['token', 'introspection']],
    })
    expect(isOutage(dead)).toBe(true)
    const t = transition(new Map(), { state: 'up', since: 'x' }, dead, 0)
    expect(t).toMatchObject({ targetChange: 'outage', target: { state: 'down', error: 'the token endpoint answered no case: no complete response within 10000 ms' } })
    // One token case answered: the tenant is up, and the errored ones are judged as usual.
    expect(isOutage(asked({ 'scope/valid': ['passed', ['token']], 'intro/active': ['errored', ['token', 'introspection']] }))).toBe(false)
    // A run that asked no token endpoint (a confirmation of a metadata case) is no outage.
    expect(isOutage(asked({ 'metadata/issuer': ['errored', ['discovery']], 'metadata/jwks': ['passed', ['discovery']] }))).toBe(false)
  })

  it('reads the components of a case from its exchanges', () => {
    const ex = (label: string) => ({ label }) as never
    expect(componentsOf({ exchanges: [ex('step 1: token request'), ex('step 2: introspection'), ex('step 3: the same token request again')] })).toEqual(['token', 'introspection'])
    expect(componentsOf({ exchanges: [ex('metadata discovery'), ex('revocation')] })).toEqual(['discovery', 'revocation'])
  })

  it('takes the first observation as the baseline: no alert for a failure never seen passing', () => {
    const seen = sequence(0, [run(1, { a: 'failed' }), run(2, { a: 'failed' })])
    expect(seen.flatMap((s) => s.changes)).toEqual([])
    expect(seen[0]!.states).toEqual({ a: 'failing' })
  })

  it('changes nothing for errored or skipped cases in a run that judged others', () => {
    const seen = sequence(0, [run(1, { a: 'failed', b: 'passed' }), run(2, { a: 'errored', b: 'skipped' }), run(3, { a: 'passed', b: 'passed' })])
    expect(seen.map((s) => s.changes)).toEqual([[], [], ['fixed a']])
  })
})
