/**
 * Validating suites into a runnable plan: schema, check names and each check's arguments, so
 * that a typo fails before any request is sent.
 *
 * @module
 */
import { CHECKS, type CheckDefinition } from '../checks/index.ts'
import { SuiteSchema, type Case, type Expect, type Level, type Step, type Suite } from '../schema/suite.ts'
import { InputInvalidError, formatPath, type InputIssue } from './errors.ts'

export interface PlannedCheck {
  def: CheckDefinition<any>
  args: unknown
  level: Level
  requirements: string[]
}

export interface PlannedStep {
  do: Step['do']
  request: Case['request']
  token: 'issued' | 'garbage'
  auth: 'client' | 'none'
  checks: PlannedCheck[]
}

export interface PlannedCase {
  suite: Suite
  case: Case
  /** A one-request case is one token step. */
  steps: PlannedStep[]
}

/** Every check of a case, over all its steps. */
export function allChecks(planned: PlannedCase): PlannedCheck[] {
  return planned.steps.flatMap((s) => s.checks)
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
    const planExpects = (expects: Expect[], path: PropertyKey[]): PlannedCheck[] => {
      const checks: PlannedCheck[] = []
      const calls = new Set<string>()
      expects.forEach((e, ei) => {
        const at = [...path, ei]
        const call = `${e.check} ${JSON.stringify(e.args ?? {})}`
        if (calls.has(call)) issues.push(issue(at, `"${e.check}" is already called with these arguments in this case`))
        calls.add(call)
        const def = CHECKS.get(e.check)
        if (!def) {
          issues.push(issue([...at, 'check'], `unknown check "${e.check}"`))
          return
        }
        const args = def.args.safeParse(e.args ?? {})
        if (!args.success) {
          for (const i of args.error.issues) issues.push(issue([...at, 'args', ...i.path], i.message))
          return
        }
        checks.push({ def, args: args.data, level: e.level ?? c.level, requirements: e.requirements ?? c.requirements })
      })
      return checks
    }
    const steps: PlannedStep[] = c.steps
      ? c.steps.map((st, si) => {
          if (st.do === 'token' && si > 0 && !st.request) issues.push(issue(['cases', ci, 'steps', si, 'request'], 'a later token step needs its own request'))
          if (si === 0 && st.do !== 'token' && st.do !== 'inspect' && !(st.token === 'garbage'))
            issues.push(issue(['cases', ci, 'steps', si, 'do'], `a case cannot start with "${st.do}" of an issued token: no token has been issued yet`))
          return {
            do: st.do,
            request: st.request ?? c.request,
            token: st.token ?? 'issued',
            auth: st.auth ?? 'client',
            checks: planExpects(st.expect, ['cases', ci, 'steps', si, 'expect']),
          }
        })
      : [{ do: 'token', request: c.request, token: 'issued', auth: 'client', checks: planExpects(c.expect ?? [], ['cases', ci, 'expect']) }]
    return { suite, case: c, steps }
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
