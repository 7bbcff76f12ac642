import { describe, expect, it } from 'vitest'
import { builtinSuites } from '../core/builtin.ts'
import { summarize } from '../core/summary.ts'
import type { CaseResult, Report } from '../schema/report.ts'
import { DISCOVERY_REQUESTS, mergeParts, PART_OVERHEAD, requestsOf, selectCases, splitIntoParts, subrequestsFor } from './parts.ts'

const suites = builtinSuites()
const allKeys = suites.flatMap((s) => s.cases.map((c) => `${s.suite.id}/${c.case.id}`))

describe('splitting a run into parts', () => {
  it.each([50, 120, 1000])('keeps every case once, in plan order, each part within a budget of %i', (budget) => {
    const parts = splitIntoParts(suites, budget)
    expect(parts.flat()).toEqual(allKeys)
    const byKey = new Map<string, (typeof suites)[number]['cases'][number]>(suites.flatMap((s) => s.cases.map((c) => [`${s.suite.id}/${c.case.id}`, c] as const)))
    for (const p of parts) expect(subrequestsFor(p.map((k) => byKey.get(k)!))).toBeLessThanOrEqual(budget)
  })

  it('needs more parts the smaller the budget, and one for the paid plan', () => {
    expect(splitIntoParts(suites, 1000)).toHaveLength(1)
    expect(splitIntoParts(suites, 50).length).toBeGreaterThan(splitIntoParts(suites, 120).length)
  })

  it('refuses a budget too small for one case, naming the case', () => {
    const budget = DISCOVERY_REQUESTS + PART_OVERHEAD + 1
    expect(() => splitIntoParts(suites, budget)).toThrow(new RegExp(`needs \\d+ subrequests; the budget \\(MAX_SUBREQUESTS\\) is ${budget}`))
  })

  it('counts the requests of steps and DPoP nonce retries', () => {
    const replay = suites.flatMap((s) => s.cases).find((c) => c.case.id === 'assertion-replayed')!
    const dpop = suites.flatMap((s) => s.cases).find((c) => c.case.id === 'dpop-bound-token')!
    const inspect = suites.flatMap((s) => s.cases).find((c) => c.case.id === 'metadata-issuer')!
    expect([requestsOf(replay), requestsOf(dpop), requestsOf(inspect)]).toEqual([2, 2, 0])
  })

  it('selects cases by key and drops suites left empty', () => {
    const picked = selectCases(suites, new Set(['scope/scope-valid', 'dpop/dpop-wrong-htm']))
    expect(picked.map((s) => [s.suite.id, s.cases.map((c) => c.case.id)])).toEqual([
      ['dpop', ['dpop-wrong-htm']],
      ['scope', ['scope-valid']],
    ])
  })
})

describe('merging the parts of a run', () => {
  const result = (suite: string, id: string, outcome: CaseResult['outcome']): CaseResult =>
    ({
      id,
      suite,
      title: id,
      level: 'MUST',
      requirements: [{ id: 'RFC6749-5.1', document: 'RFC 6749', section: '5.1', label: 'RFC 6749 §5.1', url: 'https://x' }],
      outcome,
      checks: [],
      exchanges: [],
      durationMs: 10,
    }) as CaseResult
  const part = (started: string, cases: CaseResult[], error?: string): Report => ({
    format: 'grantcheck-report',
    version: 2,
    tool: { name: 'grantcheck', version: 't' },
    runId: 'engine-id',
    startedAt: started,
    finishedAt: started.replace('00Z', '09Z'),
    suites: [...new Set(cases.map((c) => c.suite))].map((id) => ({ id, title: id, cases: cases.filter((c) => c.suite === id).length })),
    targets: [
      {
        name: 't',
        profile: 'rfc6749',
        discovery: error ? {} : { url: 'https://as/.well-known/x' },
        clients: {},
        error,
        startedAt: started,
        finishedAt: started.replace('00Z', '09Z'),
        durationMs: 9000,
        requests: 5,
        cases,
        summary: summarize(cases),
      },
    ],
  })

  it('puts cases back in plan order, adds up times and requests, and recounts', () => {
    const a = part('2026-12-01T10:00:00Z', [result('scope', 'b', 'failed'), result('metadata', 'x', 'passed')])
    const b = part('2026-12-01T09:00:00Z', [result('scope', 'a', 'passed')])
    const merged = mergeParts('run-1', [a, b], ['scope/a', 'scope/b', 'metadata/x'])
    const t = merged.targets[0]!
    expect(merged.runId).toBe('run-1')
    expect(t.cases.map((c) => `${c.suite}/${c.id}`)).toEqual(['scope/a', 'scope/b', 'metadata/x'])
    expect([merged.startedAt, merged.finishedAt]).toEqual(['2026-12-01T09:00:00Z', '2026-12-01T10:00:09Z'])
    expect([t.durationMs, t.requests]).toEqual([18000, 10])
    expect(t.summary.outcomes).toMatchObject({ passed: 2, failed: 1 })
    expect(merged.suites).toEqual([
      { id: 'scope', title: 'scope', cases: 2 },
      { id: 'metadata', title: 'metadata', cases: 1 },
    ])
    expect(t.discovery.url).toBe('https://as/.well-known/x')
  })

  it('calls the target not run only when no part could run it', () => {
    const down = part('2026-12-01T10:00:00Z', [result('scope', 'a', 'errored')], 'metadata discovery failed')
    const up = part('2026-12-01T10:00:00Z', [result('scope', 'b', 'passed')])
    expect(mergeParts('r', [down, up], []).targets[0]!.error).toBeUndefined()
    expect(mergeParts('r', [down, down], []).targets[0]!.error).toBe('metadata discovery failed')
  })
})
