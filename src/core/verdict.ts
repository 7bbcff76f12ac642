/**
 * The verdict rules: how a check's result becomes an outcome at its level, how a case's outcome
 * follows from its checks, which reason a case gives, and when a failure is labelled "known" for
 * the target's provider.
 *
 * @module
 */
import type { CaseResult, CheckResult, Outcome } from '../schema/report.ts'
import type { Level } from '../schema/expect.ts'
import type { Profile } from '../schema/profile.ts'

/**
 * A check's outcome: not applicable → skipped; held → passed (info at INFO level); did not hold →
 * failed at MUST, warning at SHOULD, info at MAY and INFO.
 */
export function checkOutcome(holds: boolean | 'n/a', level: Level): Outcome {
  if (holds === 'n/a') return 'skipped'
  if (holds) return level === 'INFO' ? 'info' : 'passed'
  return level === 'MUST' ? 'failed' : level === 'SHOULD' ? 'warning' : 'info'
}

const PRECEDENCE: Outcome[] = ['failed', 'errored', 'warning', 'info', 'passed']

/**
 * The worst check outcome decides; a case whose checks all did not apply is skipped. A MUST or
 * SHOULD case whose judged checks all passed is passed even when it also recorded an
 * observation: the observation is its reason, and the case still counts towards the score.
 */
export function caseOutcome(checks: ReadonlyArray<Pick<CheckResult, 'outcome'>>, level: Level): Outcome {
  const worst = PRECEDENCE.find((o) => checks.some((c) => c.outcome === o)) ?? 'skipped'
  if (worst === 'info' && (level === 'MUST' || level === 'SHOULD') && checks.some((c) => c.outcome === 'passed')) return 'passed'
  return worst
}

/**
 * The one line a case gives: the observation it recorded (info, or a pass that recorded one),
 * else the message of the first check with the case's outcome (for skipped: why the first check
 * did not apply).
 */
export function reasonFor(outcome: Outcome, checks: ReadonlyArray<Pick<CheckResult, 'outcome' | 'actual' | 'message'>>): string | undefined {
  const observation = checks.find((c) => c.outcome === 'info')
  if (outcome === 'info' || (outcome === 'passed' && observation)) return observation?.actual
  return checks.find((c) => c.outcome === outcome)?.message
}

/**
 * Labels a failure or warning "known for this provider" when the profile documents every check
 * that failed in it: a second, undocumented failure in the same case is never hidden.
 */
export function markKnown(c: CaseResult, profile: Profile | undefined): CaseResult {
  if (!profile || (c.outcome !== 'failed' && c.outcome !== 'warning')) return c
  const key = `${c.suite}/${c.id}`
  const failing = c.checks.filter((k) => k.outcome === 'failed' || k.outcome === 'warning')
  const explain = (check: string) => profile.deviations.find((d) => (d.case === key || d.case === '*') && (d.check === undefined || d.check === check) && (d.case === key || d.check !== undefined))
  const found = failing.map((k) => explain(k.check))
  if (!found.length || found.some((d) => d === undefined)) return c
  const ds = [...new Set(found)] as Array<NonNullable<(typeof found)[number]>>
  return { ...c, known: { provider: profile.title, behaviour: ds.map((d) => d.behaviour).join('; '), source: ds.map((d) => d.source).join('; ') } }
}
