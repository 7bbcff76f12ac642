/**
 * Each provider emulation's verdicts match fixtures/expected/emulations.yaml, whose every line cites
 * the PROVIDERS.md fact it comes from; the comparison matrix shows where the providers differ.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { EMULATIONS, startEmulations } from '../fixtures/emulations.ts'
import { profileForTarget } from '../src/cli/files.ts'
import { runPlan } from '../src/core/engine.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { buildMatrix } from '../src/reporters/matrix.ts'
import type { Report } from '../src/schema/report.ts'
import { TargetSchema } from '../src/schema/target.ts'
import { builtinSuites, ROOT } from './_run.ts'

type Expected = Record<string, Record<string, { outcome: string; known: boolean; fact: string }>>
const expected = parse(readFileSync(join(ROOT, 'fixtures/expected/emulations.yaml'), 'utf8')) as Expected
let report: Report
let close: () => Promise<void>

beforeAll(async () => {
  const running = await startEmulations()
  close = running.close
  const targets = running.targets.map((t) => {
    const target = TargetSchema.parse(t)
    return { ...resolveTarget(target, () => undefined, t.name), profile: profileForTarget(target, t.name) }
  })
  report = await runPlan(targets, builtinSuites(), { fetch, now: Date.now, randomId: () => crypto.randomUUID().replace(/-/g, ''), toolVersion: 'test' })
}, 120_000)
afterAll(() => close?.())

describe.each(Object.keys(EMULATIONS))('the %s emulation', (provider) => {
  it('gets the expected verdict for every case, known deviations labelled', () => {
    const t = report.targets.find((x) => x.name === provider)!
    for (const c of t.cases) {
      const e = expected[provider]?.[`${c.suite}/${c.id}`]
      expect(c.outcome, `${provider}: ${c.suite}/${c.id}`).toBe(e?.outcome ?? 'passed')
      expect(c.known !== undefined, `${provider}: ${c.suite}/${c.id} known`).toBe(e?.known ?? false)
    }
  })

  it('cites a PROVIDERS.md fact for every known deviation', () => {
    for (const [id, e] of Object.entries(expected[provider] ?? {})) if (e.known) expect(e.fact, id).toMatch(/PROVIDERS\.md §\d/)
  })
})

describe('the comparison', () => {
  it('shows where the providers differ', () => {
    const matrix = buildMatrix(report)
    const differ = matrix.rows.filter((r) => r.differ).length
    console.log(`comparison matrix: ${matrix.rows.length} cases × ${matrix.targets.length} targets, ${differ} where they differ`)
    expect(matrix.targets).toEqual(['reference', ...Object.keys(EMULATIONS)])
    expect(differ).toBeGreaterThan(10)
    // The conformant reference fails nothing; every emulation fails something documented.
    expect(report.targets[0]!.summary.outcomes.failed).toBe(0)
  })
})
