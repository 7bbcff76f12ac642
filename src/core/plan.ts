/**
 * Validating suites into a runnable plan: schema, check names and each check's arguments, so
 * that a typo fails before any request is sent.
 *
 * @module
 */
import { CHECKS, type CheckDefinition } from '../checks/index.ts'
import { SuiteSchema, type Case, type Level, type Suite } from '../schema/suite.ts'
import { InputInvalidError, formatPath, type InputIssue } from './errors.ts'

export interface PlannedCheck {
  def: CheckDefinition<any>
  args: unknown
  level: Level
  requirements: string[]
}

export interface PlannedCase {
  suite: Suite
  case: Case
  checks: PlannedCheck[]
}

export interface PlannedSuite {
  suite: Suite
  file: string
  cases: PlannedCase[]
}

/**
 * Validates parsed suite data. `locate` maps an issue path to a line of the source file, where
 * the caller can (YAML sources can; bundled JSON cannot).
 *
 * @throws InputInvalidError (`CC_SUITE_INVALID`) listing every problem with its field path.
 */
export function planSuite(data: unknown, file: string, locate?: (path: PropertyKey[]) => number | undefined): PlannedSuite {
  const parsed = SuiteSchema.safeParse(data)
  const issue = (path: PropertyKey[], message: string): InputIssue => ({ path: formatPath(path), message, line: locate?.(path) })
  if (!parsed.success) throw new InputInvalidError('CC_SUITE_INVALID', file, parsed.error.issues.map((i) => issue(i.path, i.message)))
  const suite = parsed.data
  const issues: InputIssue[] = []
  const seen = new Set<string>()
  const cases = suite.cases.map((c, ci): PlannedCase => {
    if (seen.has(c.id)) issues.push(issue(['cases', ci, 'id'], `duplicate case id "${c.id}"`))
    seen.add(c.id)
    const checks: PlannedCheck[] = []
    const calls = new Set<string>()
    c.expect.forEach((e, ei) => {
      const call = `${e.check} ${JSON.stringify(e.args ?? {})}`
      if (calls.has(call)) issues.push(issue(['cases', ci, 'expect', ei], `"${e.check}" is already called with these arguments in this case`))
      calls.add(call)
      const def = CHECKS.get(e.check)
      if (!def) {
        issues.push(issue(['cases', ci, 'expect', ei, 'check'], `unknown check "${e.check}"`))
        return
      }
      const args = def.args.safeParse(e.args ?? {})
      if (!args.success) {
        for (const i of args.error.issues) issues.push(issue(['cases', ci, 'expect', ei, 'args', ...i.path], i.message))
        return
      }
      checks.push({ def, args: args.data, level: e.level ?? c.level, requirements: e.requirements ?? c.requirements })
    })
    return { suite, case: c, checks }
  })
  if (issues.length) throw new InputInvalidError('CC_SUITE_INVALID', file, issues)
  return { suite, file, cases }
}

/** Rejects two suites with the same id, which would make case ids ambiguous in reports. */
export function assertDistinctSuites(suites: PlannedSuite[]): void {
  const byId = new Map<string, string>()
  for (const s of suites) {
    const other = byId.get(s.suite.id)
    if (other) throw new InputInvalidError('CC_SUITE_INVALID', s.file, [{ path: 'id', message: `suite id "${s.suite.id}" is also used by ${other}` }])
    byId.set(s.suite.id, s.file)
  }
}
