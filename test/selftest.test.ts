/**
 * The generative self-test at fixed seeds (the long runs are `npm run selftest`), and its parts:
 * samples that go together, what counts as a false verdict, shrinking.
 */
import { describe, expect, it } from 'vitest'
import { LAWFUL } from '../src/reference-server/lawful.ts'
import type { CaseResult } from '../src/schema/report.ts'
import { compatible, falseVerdicts, sample, shrink } from './_sampler.ts'
import { selftest } from './selftest.ts'

const result = (outcome: CaseResult['outcome'], checks: Array<{ check: string; outcome: CaseResult['outcome']; level?: 'MUST' | 'SHOULD' | 'INFO' }>): CaseResult => ({
  id: 'c',
  suite: 's',
  title: 't',
  level: 'MUST',
  requirements: [],
  outcome,
  durationMs: 0,
  exchanges: [],
  checks: checks.map((k) => ({ check: k.check, outcome: k.outcome, level: k.level ?? 'MUST', requirements: [], expected: '', actual: '', message: 'm' })),
})

describe('the sampler', () => {
  it('never puts two switches that set one field differently in one sample', () => {
    for (let seed = 0; seed < 200; seed++) {
      const s = sample(seed, true)
      const all = [...s.lawful, ...(s.defect ? [s.defect] : [])]
      expect(all.length).toBeGreaterThan(0)
      for (const a of all) for (const b of all) expect(compatible(a, b), `seed ${seed}: ${a} and ${b}`).toBe(true)
    }
  })

  it('replays a seed to the same sample, and different seeds reach every lawful variation', () => {
    expect(sample(42, true)).toEqual(sample(42, true))
    const seen = new Set(Array.from({ length: 300 }, (_, seed) => sample(seed).lawful).flat())
    expect([...seen].sort()).toEqual(Object.keys(LAWFUL).sort())
  })

  it('counts failures, errors and warnings no SHOULD allows as false verdicts', () => {
    const cases = [
      result('warning', [{ check: 'jwt-access-token.typ', outcome: 'warning', level: 'SHOULD' }]),
      result('warning', [{ check: 'token-response.has-expires-in', outcome: 'warning', level: 'SHOULD' }]),
      result('failed', [{ check: 'response.status-in', outcome: 'failed' }]),
      result('errored', []),
      result('info', [{ check: 'jwt-access-token.required-claims', outcome: 'info', level: 'INFO' }]),
    ]
    // plain-jwt may warn on typ (RFC 8725 §3.11), not on expires_in.
    expect(falseVerdicts(cases, ['plain-jwt']).map((v) => v.check ?? v.outcome)).toEqual(['token-response.has-expires-in', 'response.status-in', 'errored'])
  })

  it('shrinks to the fewest switches that still reproduce', async () => {
    const culprit = (names: string[]) => Promise.resolve(names.includes('b') && names.includes('d'))
    expect(await shrink(['a', 'b', 'c', 'd', 'e'], culprit)).toEqual(['b', 'd'])
  })
})

describe('the self-test at fixed seeds', () => {
  it('finds no false verdict, and every defect keeps failing what it is aimed at', async () => {
    const { runs, count } = await selftest({ runs: 6, seed: 2026 })
    const told = runs.flatMap((r) => [
      ...r.falseVerdicts.map((v) => `seed ${r.sample.seed} (${r.sample.lawful.join(', ')}): ${v.case} ${v.check ?? ''} ${v.outcome}: ${v.message}`),
      ...r.missed.map((m) => `seed ${r.sample.seed}: ${m} held under ${r.sample.defect}`),
    ])
    expect(told).toEqual([])
    expect(count).toBe(0)
    expect(runs.filter((r) => r.sample.defect).length).toBe(6)
  }, 240_000)
})
