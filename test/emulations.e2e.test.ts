/**
 * Each provider emulation's verdicts match fixtures/expected/emulations.yaml check by check, and
 * every documented deviation cites the PROVIDERS.md fact it comes from; the comparison matrix
 * shows where the providers differ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulations } from '../src/cli/emulations.ts'
import { EMULATIONS } from '../src/reference-server/emulations.ts'
import { profileForTarget } from '../src/node/files.ts'
import { runPlan } from '../src/core/engine.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { buildMatrix } from '../src/reporters/matrix.ts'
import type { Report } from '../src/schema/report.ts'
import { TargetSchema } from '../src/schema/target.ts'
import { disagreements, EmulationExpectationsSchema, expectedText, judged, loadExpected, RUN_TIME_VALUES } from './_expected.ts'
import { builtinSuites } from './_run.ts'

const expected = loadExpected('emulations.yaml', EmulationExpectationsSchema)
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

describe('the expected-results file (fixtures/expected/emulations.yaml)', () => {
  it('covers exactly the emulations, and holds no run-time values', () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(EMULATIONS).sort())
    expect(expectedText('emulations.yaml').match(RUN_TIME_VALUES)).toBeNull()
  })
})

describe.each(Object.keys(EMULATIONS))('the %s emulation', (provider) => {
  it('gets the expected verdict for every case, check by check', () => {
    const t = report.targets.find((x) => x.name === provider)!
    const entries = expected[provider]!
    expect(disagreements(judged(t.cases), (key) => entries[key] ?? { outcome: 'passed', checks: [] })).toEqual([])
  })

  it('labels known exactly the deviations its profile documents, each with its PROVIDERS.md fact', () => {
    const t = report.targets.find((x) => x.name === provider)!
    const labelled = t.cases.filter((c) => c.known !== undefined).map((c) => `${c.suite}/${c.id}`)
    const entries = expected[provider]!
    expect(labelled.sort()).toEqual(
      Object.keys(entries)
        .filter((k) => entries[k]!.known)
        .sort(),
    )
    for (const [id, e] of Object.entries(entries)) if (e.known) expect(e.fact, id).toMatch(/PROVIDERS\.md §\d/)
  })

  it('fails or warns somewhere: it emulates a provider that deviates', () => {
    const t = report.targets.find((x) => x.name === provider)!
    expect(t.summary.outcomes.failed + t.summary.outcomes.warning).toBeGreaterThan(0)
  })
})

describe('the comparison', () => {
  it('shows where the providers differ', () => {
    const matrix = buildMatrix(report)
    const differ = matrix.rows.filter((r) => r.differ).length
    console.log(`comparison matrix: ${matrix.rows.length} cases × ${matrix.targets.length} targets, ${differ} where they differ`)
    expect(matrix.targets).toEqual(['reference', ...Object.keys(EMULATIONS)])
    expect(differ).toBeGreaterThan(10)
  })

  it('the conformant reference among them fails and warns nowhere', () => {
    const outcomes = report.targets[0]!.summary.outcomes
    expect([outcomes.failed, outcomes.warning, outcomes.errored]).toEqual([0, 0, 0])
  })
})
