/**
 * What a finished run changes: per case passing, suspect (failed, not yet confirmed) or failing;
 * per target up or down. Alerts follow state changes, whatever triggered the run, so a manual or
 * partial run can neither swallow an alert nor make a standing failure new again. Pure.
 *
 * Every change is confirmed before it alerts (issue 25, flap damping): a new failure, a fix, an
 * outage and a recovery alike. The observation that differs from the confirmed state opens a
 * window; each later observation of the same case (or target) is added to it, agreeing or not.
 * The change is confirmed once `agree` (N = `confirm` + 1) observations of the window agree, and
 * dropped once more than M − N disagree (M = `of`, the observations it is judged over): it can
 * then no longer reach N of M. M is kept between N and 2N − 2 (N when N < 2), so a case or target
 * that alternates never confirms either way. With `confirm` 0 the first observation is enough.
 *
 * - A case that fails where it passed becomes suspect; it fails for real (and alerts) once
 *   confirmed; dropped, it was flaky (counted as a flip, no alert).
 * - A failing case that passes stays failing until the fix is confirmed (then alerts `fixed`).
 * - Errored and skipped cases change nothing: an outage says nothing about conformance.
 * - A run whose every case errored is an outage observation: the target goes down (alerts) once
 *   confirmed, and comes back up (alerts) once as many runs that judged something confirm it.
 *   Case states wait through it. So is a run in which every case that asked the token endpoint
 *   errored, whatever the others did: a tenant whose discovery answers and whose token endpoint
 *   does not is down for every client it has.
 * - The first observation of a case is its baseline: no alert for a failure grantcheck never saw
 *   pass (the dashboard shows it as failing since then).
 *
 * Storage: a case's window is kept in `seen` as a negative number (see `CaseState.seen`), a
 * target's in a trailer of its `error` text (see `TargetState.error`), so no column is added.
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
  /**
   * Failures seen in the current suspect or failing streak; negative while a change is being
   * confirmed (a suspect, or a failing case that passed): then `-seen` is the window, one bit per
   * observation since the change began, the newest lowest, 1 where it agreed with the change,
   * under a leading 1 that marks its length (-0b101: agreed, disagreed). A suspect's positive
   * `seen` (stored before issue 25) reads as that many agreeing observations.
   */
  seen: number
}

export interface TargetState {
  state: 'up' | 'down'
  since: string
  /**
   * Why it is down. While a change is being confirmed, a trailer ` [confirming since <time>:
   * <window>]` (the window as in `CaseState.seen`) follows: for an up target, the reason of the
   * outage being confirmed; for a down one, its own.
   */
  error?: string
}

/** How a change is confirmed: `confirm` further agreeing observations (N − 1), judged over `of` (M). */
export interface ConfirmRule {
  confirm: number
  of?: number
}

export type CaseChange = 'new-failure' | 'fixed'

export interface Transition {
  cases: Map<string, CaseState>
  changes: Array<{ key: string; change: CaseChange }>
  /** Cases whose change waits for a confirming run. */
  toConfirm: string[]
  /** The target's outage or recovery waits for a confirming run (of every scheduled case). */
  confirmTarget: boolean
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

/** N and M of a rule: M kept between N and 2N − 2, so that alternation never confirms. */
export function ruleOf(rule: number | ConfirmRule): { agree: number; of: number } {
  const r = typeof rule === 'number' ? { confirm: rule } : rule
  const agree = Math.max(0, Math.trunc(r.confirm)) + 1
  return { agree, of: Math.min(Math.max(agree, 2 * agree - 2), Math.max(agree, Math.trunc(r.of ?? agree))) }
}

type Window = boolean[]
type Verdict = 'confirmed' | 'dropped' | 'pending'

function judge(window: Window, rule: { agree: number; of: number }): Verdict {
  const agreed = window.filter(Boolean).length
  if (agreed >= rule.agree) return 'confirmed'
  return window.length - agreed > rule.of - rule.agree ? 'dropped' : 'pending'
}

/** A window as a positive number: a leading 1, then one bit per observation, the newest lowest. */
function encode(window: Window): number {
  return window.reduce((n, agreed) => n * 2 + (agreed ? 1 : 0), 1)
}

function decode(n: number): Window {
  const bits = Math.trunc(n).toString(2).slice(1)
  return [...bits].map((b) => b === '1')
}

/** A case's open window, if a change is being confirmed. */
function caseWindow(s: CaseState): Window | undefined {
  if (s.state === 'suspect') return s.seen < 0 ? decode(-s.seen) : Array<boolean>(Math.max(1, s.seen)).fill(true)
  if (s.state === 'failing' && s.seen < 0) return decode(-s.seen)
  return undefined
}

const TRAILER = / ?\[confirming since (\S+): (\d+)\]$/

/** A target's confirmed state, its reason, and the change it is confirming, if any. */
function readTarget(t: TargetState): { state: TargetState; pending?: { since: string; window: Window; error?: string } } {
  const m = t.error ? TRAILER.exec(t.error) : null
  if (!m) return { state: t }
  const reason = t.error!.slice(0, m.index) || undefined
  const window = decode(Number(m[2]))
  if (t.state === 'up') return { state: { state: 'up', since: t.since }, pending: { since: m[1]!, window, error: reason } }
  return { state: { state: 'down', since: t.since, error: reason }, pending: { since: m[1]!, window } }
}

function withPending(t: TargetState, since: string, window: Window, error: string | undefined): TargetState {
  const reason = t.state === 'down' ? t.error : error
  return { ...t, error: `${reason ?? ''} [confirming since ${since}: ${encode(window)}]`.trimStart() }
}

export function transition(previous: ReadonlyMap<string, CaseState>, target: TargetState | undefined, run: FinishedRun, confirm: number | ConfirmRule): Transition {
  const rule = ruleOf(confirm)
  const cases = new Map<string, CaseState>()
  const changes: Transition['changes'] = []
  const toConfirm: string[] = []
  const outage = isOutage(run)
  if (!outage) {
    for (const { key, outcome } of run.cases) {
      const was = previous.get(key)
      const next = caseTransition(was, outcome, run, rule)
      if (!next) continue
      cases.set(key, next.state)
      if (next.change) changes.push({ key, change: next.change })
      if (caseWindow(next.state)) toConfirm.push(key)
    }
  }
  const { state: current, pending } = readTarget(target ?? { state: 'up', since: run.at })
  const observed = outage ? 'down' : 'up'
  const window = pending ? [...pending.window, observed !== current.state] : observed !== current.state ? [true] : undefined
  const base = { cases, changes, toConfirm }
  if (!window) return { ...base, confirmTarget: false, target: current }
  const since = pending?.since ?? run.at
  const error = pending?.error ?? run.error ?? firstReason(run)
  const verdict = judge(window, rule)
  if (verdict === 'dropped') return { ...base, confirmTarget: false, target: current }
  if (verdict === 'pending') return { ...base, confirmTarget: true, target: withPending(current, since, window, error) }
  if (current.state === 'up') return { ...base, confirmTarget: false, target: { state: 'down', since, error }, targetChange: 'outage' }
  return { ...base, confirmTarget: false, target: { state: 'up', since }, targetChange: 'recovered' }
}

function caseTransition(was: CaseState | undefined, outcome: Outcome, run: FinishedRun, rule: { agree: number; of: number }): { state: CaseState; change?: CaseChange } | undefined {
  if (outcome === 'errored' || outcome === 'skipped') return undefined
  const failed = outcome === 'failed'
  const at = { runId: run.runId }
  if (!was) return { state: { state: failed ? 'failing' : 'passing', since: run.at, ...at, flips: 0, seen: failed ? 1 : 0 } }
  const open = caseWindow(was)
  if (was.state === 'passing' && !failed) return { state: { ...was, ...at, seen: 0 } }
  if (was.state === 'failing' && !open && failed) return { state: { ...was, ...at, seen: Math.max(0, was.seen) + 1 } }
  // A change is being confirmed, or begins with this observation.
  const towardsFailing = was.state !== 'failing'
  const window = [...(open ?? []), failed === towardsFailing]
  const failures = towardsFailing ? window.filter(Boolean).length : window.filter((x) => !x).length
  const verdict = judge(window, rule)
  if (towardsFailing) {
    const since = was.state === 'suspect' ? was.since : run.at
    if (verdict === 'confirmed') return { state: { state: 'failing', since, ...at, flips: was.flips, seen: failures }, change: 'new-failure' }
    if (verdict === 'dropped') return { state: { state: 'passing', since: run.at, ...at, flips: was.flips + 1, seen: 0 } }
    return { state: { state: 'suspect', since, ...at, flips: was.flips, seen: -encode(window) } }
  }
  if (verdict === 'confirmed') return { state: { state: 'passing', since: run.at, ...at, flips: was.flips + 1, seen: 0 }, change: 'fixed' }
  if (verdict === 'dropped') return { state: { ...was, ...at, seen: Math.max(1, failures) } }
  return { state: { ...was, ...at, seen: -encode(window) } }
}

/** Why an outage happened, as its first errored case says (one that asked the token endpoint, if any did). */
function firstReason(run: FinishedRun): string | undefined {
  const token = tokenCases(run).find((c) => c.reason)?.reason
  if (token && !run.cases.every((c) => c.outcome === 'errored')) return `the token endpoint answered no case: ${token}`
  return run.cases.find((c) => c.reason)?.reason
}
