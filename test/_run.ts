/**
 * Test helpers: run the engine in-process against a server on 127.0.0.1 over real HTTP.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPlan } from '../src/core/engine.ts'
import type { PlannedSuite } from '../src/core/plan.ts'
import { resolveTarget } from '../src/core/resolve.ts'
import { builtinSuiteFiles, loadSuiteFile } from '../src/cli/files.ts'
import type { CaseResult, Report } from '../src/schema/report.ts'
import { TargetSchema, type TargetInput } from '../src/schema/target.ts'

export const ROOT = join(import.meta.dirname, '..')

let cached: PlannedSuite[] | undefined
export function builtinSuites(): PlannedSuite[] {
  return (cached ??= builtinSuiteFiles().map(loadSuiteFile))
}

export function referenceTarget(issuer: string): TargetInput {
  const t = JSON.parse(readFileSync(join(ROOT, 'fixtures/targets/reference.json'), 'utf8')) as TargetInput
  return { ...t, issuer }
}

export async function runAgainst(target: TargetInput, suites = builtinSuites(), env: Record<string, string> = {}): Promise<Report> {
  const resolved = resolveTarget(TargetSchema.parse(target), (n) => env[n], 'test-target')
  return runPlan([resolved], suites, {
    fetch,
    now: () => Date.now(),
    randomId: () => crypto.randomUUID().replace(/-/g, ''),
    toolVersion: 'test',
  })
}

/** `suite/case` → outcome, for comparing with expected-results files. */
export function outcomes(report: Report): Record<string, CaseResult['outcome']> {
  return Object.fromEntries(report.targets[0]!.cases.map((c) => [`${c.suite}/${c.id}`, c.outcome]))
}
