/**
 * What a finished run changes: per case passing, suspect (failed, not yet confirmed) or failing;
 * per target up or down. Alerts follow state changes, whatever triggered the run, so a manual or
 * partial run can neither swallow an alert nor make a standing failure new again. Pure.
 *
 * - A case that fails where it passed becomes suspect; it fails for real (and alerts) once
 *   `confirm` further runs saw it fail too. With `confirm` 0 the first failure alerts.
 * - A failing case that passes is fixed (alerts); a suspect that passes was flaky (counted, no alert).
 * - Errored and skipped cases change nothing: an outage says nothing about conformance.
 * - A run whose every case errored is an outage: the target goes down (alerts) and comes back up
 *   (alerts) with the next run that judged anything. Case states wait through it. So is a run in
 *   which every case that asked the token endpoint errored, whatever the others did: a tenant
 *   whose discovery answers and whose token endpoint does not is down for every client it has.
 * - The first observation of a case is its baseline: no alert for a failure grantcheck never saw
 *   pass (the dashboard shows it as failing since then).
 */
import type { CaseResult, Outcome } from '../schema/report.ts'

type CaseStateName = 'passing' | 'suspect' | 'failing'

export interface CaseState {
  state: CaseStateName
  /** When the current state began: for a failing case, the first failure of the streak. */
  since: string
  /** The run that last changed or confirmed it. */
  runId: string
  /** Times it went from failing or suspect back to passing: how flaky it is. */
  flips: number
  /** Failures seen in the current suspect or failing streak. */
  seen: number
}

export interface TargetState {
  state: 'up' | 'down'
  since: string
  error?: string
}

export type CaseChange = 'new-failure' | 'fixed'

export interface Transition {
  cases: Map<string, CaseState>
  changes: Array<{ key: string; change: CaseChange }>
  /** Cases that failed and wait for a confirming run. */
  toConfirm: string[]
  target: TargetState
  targetChange?: 'outage' | 'recovered'
}

/** The parts of a tenant a case's requests went to, read from its exchanges' labels (src/core/plan.ts). */
export type Component = 'token' | 'introspection' | 'revocation' | 'discovery'

export interface FinishedRun {
  runId: string
  at: string
  cases: Array<{ key: string; outcome: Outcome; reason?: string; components?: readonly Component[] }>
  /** Why the target could not be run, when it could not. */
  error?: string
}

/**
 * Whether the run judged nothing (every case errored, or the target could not be run at all), or
 * the token endpoint answered none of the cases that asked it.
 */
export function isOutage(run: FinishedRun): boolean {
  if (!run.cases.length) return run.error !== undefined
  if (run.cases.every((c) => c.outcome === 'errored')) return true
  const asked = tokenCases(run)
  return asked.length > 0 && asked.every((c) => c.outcome === 'errored')
}

const tokenCases = (run: FinishedRun) => run.cases.filter((c) => c.components?.includes('token'))

/** The components a case's requests went to. */
export function componentsOf(c: Pick<CaseResult, 'exchanges'>): Component[] {
  const found = new Set<Component>()
  for (const e of c.exchanges) {
    if (/token request/.test(e.label)) found.add('token')
    else if (/introspection/.test(e.label)) found.add('introspection')
    else if (/revocation/.test(e.label)) found.add('revocation')
    else if (/metadata discovery/.test(e.label)) found.add('discovery')
  }
  return [...found]
}

export function transition(previous: ReadonlyMap<string, CaseState>, target: TargetState | undefined, run: FinishedRun, confirm: number): Transition {
  const cases = new Map<string, CaseState>()
  const changes: Transition['changes'] = []
  const toConfirm: string[] = []
  if (isOutage(run)) {
    const down: TargetState = target?.state === 'down' ? target : { state: 'down', since: run.at, error: run.error ?? firstReason(run) }
    return { cases, changes, toConfirm, target: down, targetChange: target?.state === 'down' ? undefined : 'outage' }
  }
  for (const { key, outcome } of run.cases) {
    const was = previous.get(key)
    const next = caseTransition(was, outcome, run, confirm)
    if (!next) continue
    cases.set(key, next.state)
    if (next.change) changes.push({ key, change: next.change })
    if (next.state.state === 'suspect') toConfirm.push(key)
  }
  const up: TargetState = target?.state === 'up' ? target : { state: 'up', since: run.at }
  return { cases, changes, toConfirm, target: up, targetChange: target?.state === 'down' ? 'recovered' : undefined }
}

function caseTransition(was: CaseState | undefined, outcome: Outcome, run: FinishedRun, confirm: number): { state: CaseState; change?: CaseChange } | undefined {
  if (outcome === 'errored' || outcome === 'skipped') return undefined
  const at = { runId: run.runId }
  if (outcome !== 'failed') {
    if (!was || was.state === 'passing') return { state: { state: 'passing', since: was?.since ?? run.at, runId: run.runId, flips: was?.flips ?? 0, seen: 0 } }
    return { state: { state: 'passing', since: run.at, ...at, flips: was.flips + 1, seen: 0 }, change: was.state === 'failing' ? 'fixed' : undefined }
  }
  if (!was) return { state: { state: 'failing', since: run.at, ...at, flips: 0, seen: 1 } }
  if (was.state === 'failing') return { state: { ...was, ...at, seen: was.seen + 1 } }
  const seen = was.state === 'suspect' ? was.seen + 1 : 1
  const since = was.state === 'suspect' ? was.since : run.at
  if (seen > confirm) return { state: { state: 'failing', since, ...at, flips: was.flips, seen }, change: 'new-failure' }
  return { state: { state: 'suspect', since, ...at, flips: was.flips, seen } }
}

/** Why an outage happened, as its first errored case says (one that asked the token endpoint, if any did). */
function firstReason(run: FinishedRun): string | undefined {
  const token = tokenCases(run).find((c) => c.reason)?.reason
  if (token && !run.cases.every((c) => c.outcome === 'errored')) return `the token endpoint answered no case: ${token}`
  return run.cases.find((c) => c.reason)?.reason
}
