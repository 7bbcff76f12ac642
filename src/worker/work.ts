/**
 * The Worker's work, done from the queue: a run is planned as parts that each fit one
 * invocation's budget; each part passes its target's gate, runs its cases and stores its report;
 * the part that completes a run queues its completion, which merges the parts, updates the case
 * and target states and writes the alert they call for; alerts are delivered from the queue,
 * signed, and retried until the receiver takes them.
 */
import { builtinSuites, profileFor, TOOL_VERSION } from '../core/builtin.ts'
import { runPlan } from '../core/engine.ts'
import type { PlannedSuite } from '../core/plan.ts'
import { resolveTarget } from '../core/resolve.ts'
import { caseBase } from '../core/steps.ts'
import { summarize } from '../core/summary.ts'
import { REPORT_FORMAT, REPORT_VERSION, type Report } from '../schema/report.ts'
import { alertCase, link, signature, targetChangeOf, webhookBody, type Alert } from './alerts.ts'
import { Budget } from './budget.ts'
import { configuration, settings, type Monitor } from './config.ts'
import type { Env, MessageBatch, QueueMessage, WorkMessage } from './env.ts'
import { throughGate } from './gate.ts'
import { mergeParts, selectCases, splitIntoParts } from './parts.ts'
import { snapshotOf } from './snapshot.ts'
import { componentsOf, transition } from './state.ts'
import { workerTransport } from './transport.ts'
import { Store, type RunRow, type Trigger } from './store.ts'

/** A run id: the time it was requested and 12 random hex digits (RUN_ID in store.ts). */
function newRunId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  const random = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${stamp}-${random}`
}

export class RunRefusedError extends Error {}

/** The suites (and cases) a run of `monitor` covers: the request's, else the monitor's, else all. */
function suitesFor(monitor: Monitor, suites?: string[], cases?: readonly string[]): PlannedSuite[] {
  const all = builtinSuites()
  const ids = suites ?? monitor.suites
  const unknown = (ids ?? []).filter((id) => !all.some((s) => s.suite.id === id))
  if (unknown.length) throw new RunRefusedError(`unknown suite: ${unknown.join(', ')}; built-in suites: ${all.map((s) => s.suite.id).join(', ')}`)
  const chosen = ids ? all.filter((s) => ids.includes(s.suite.id)) : all
  return cases ? selectCases(chosen, new Set(cases)) : chosen
}

/** A run planned as parts, and the messages that do it. */
export function planRun(env: Env, monitor: Monitor, trigger: Trigger, now: number, options: { suites?: string[]; cases?: string[]; confirms?: string } = {}) {
  const suites = suitesFor(monitor, options.suites, options.cases)
  let parts: string[][]
  try {
    parts = splitIntoParts(suites, settings(env).maxSubrequests)
  } catch (e) {
    throw new RunRefusedError((e as Error).message)
  }
  if (!parts.length) throw new RunRefusedError('the run has no case to run')
  const id = newRunId(now)
  const row: RunRow = {
    id,
    target: monitor.target.name,
    trigger,
    suites: options.suites ?? monitor.suites ?? null,
    caseCount: parts.reduce((n, p) => n + p.length, 0),
    parts: parts.length,
    partsDone: 0,
    status: 'queued',
    requestedAt: new Date(now).toISOString(),
    confirms: options.confirms,
  }
  const messages: WorkMessage[] = parts.map((cases, part) => ({ kind: 'part', runId: id, target: monitor.target.name, part, cases }))
  return { row, parts, messages }
}

/** The queue consumer: each message in its own budget; a message that cannot proceed now is retried later. */
export async function consume(batch: MessageBatch<WorkMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) await handle(message, env)
}

async function handle(message: QueueMessage<WorkMessage>, env: Env): Promise<void> {
  const budget = new Budget(settings(env).maxSubrequests)
  const store = new Store(env, budget)
  const m = message.body
  try {
    const retryIn = Math.min(300, 2 ** Math.min(message.attempts, 8))
    const outcome = m.kind === 'part' ? await runPart(env, store, m) : m.kind === 'finalize' ? await finalize(env, store, m) : await deliver(env, store, m.alertId, retryIn)
    if (outcome === 'retry') message.retry({ delaySeconds: retryIn })
    else message.ack()
  } catch (e) {
    console.error(JSON.stringify({ event: 'grantcheck.work-failed', kind: m.kind, message: e instanceof Error ? e.message : String(e) }))
    message.retry({ delaySeconds: Math.min(300, 5 * 2 ** Math.min(message.attempts, 6)) })
  } finally {
    await store.recordInvocation(m.kind, 'target' in m ? m.target : undefined, 'runId' in m ? m.runId : undefined, new Date().toISOString()).catch(() => undefined)
  }
}

const holderOf = (m: { runId: string }, what: string) => `${m.runId}/${what}`

async function runPart(env: Env, store: Store, m: Extract<WorkMessage, { kind: 'part' }>): Promise<'done' | 'retry'> {
  const monitor = (await configuration(env, store.budget)).monitors.find((x) => x.target.name === m.target)
  const run = await store.run(m.runId)
  if (!run || run.status === 'done') return 'done'
  if (await store.partIsDone(m.runId, m.part)) {
    // Delivered again: the work is done; make sure the run's completion is not lost with it.
    if (run.partsDone >= run.parts) await store.budget.op(() => env.RUNS.send({ kind: 'finalize', runId: m.runId, target: m.target }))
    return 'done'
  }
  const suites = monitor ? suitesFor(monitor, undefined, m.cases) : selectCases(builtinSuites(), new Set(m.cases))
  const deadline = monitor?.target.limits.runDeadlineMs ?? 600_000
  // A confirming run's part goes ahead of the others waiting at the gate (issue 25).
  const gate = { limit: monitor?.concurrency ?? 1, ttlMs: deadline + 60_000, waitMs: 30_000, priority: run.trigger === 'confirm' }
  const passed = await throughGate(env.GATE, store.budget, m.target, holderOf(m, `part-${m.part}`), gate, async () => {
    // Checked again once through the gate: a redelivery that waited there while the first
    // delivery ran must not send the part's cases to the tenant a second time.
    if (await store.partIsDone(m.runId, m.part)) return
    const now = Date.now()
    await store.markRunning(m.runId, new Date(now).toISOString())
    const report = monitor ? await runCases(env, store, monitor, suites) : notRun(m.target, suites, `"${m.target}" is no longer a configured target`, now)
    const { complete } = await store.partDone(m.runId, m.part, report, new Date().toISOString())
    if (complete) await store.budget.op(() => env.RUNS.send({ kind: 'finalize', runId: m.runId, target: m.target }))
  })
  return passed ? 'done' : 'retry'
}

/** Runs the cases with the engine; a target that cannot even be resolved (a missing secret) errs every case. */
async function runCases(env: Env, store: Store, monitor: Monitor, suites: PlannedSuite[]): Promise<Report> {
  let resolved
  try {
    const t = monitor.target
    resolved = { ...resolveTarget(t, (name) => (typeof env[name] === 'string' ? (env[name] as string) : undefined), `target "${t.name}"`), profile: profileFor(t) }
  } catch (e) {
    return notRun(monitor.target.name, suites, e instanceof Error ? e.message : String(e), Date.now())
  }
  return runPlan([resolved], suites, { fetch: workerTransport(env, store.budget), now: () => Date.now(), randomId: () => crypto.randomUUID().replace(/-/g, ''), toolVersion: TOOL_VERSION })
}

/** A part whose cases could not run: each errored, with why. */
function notRun(target: string, suites: PlannedSuite[], error: string, now: number): Report {
  const at = new Date(now).toISOString()
  const cases = suites.flatMap((s) => s.cases.map((c) => ({ ...caseBase(c), outcome: 'errored' as const, reason: error, durationMs: 0 })))
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: { name: 'grantcheck', version: TOOL_VERSION },
    runId: 'not-run',
    startedAt: at,
    finishedAt: at,
    suites: suites.map((s) => ({ id: s.suite.id, title: s.suite.title, cases: s.cases.length })),
    targets: [{ name: target, profile: '', discovery: {}, clients: {}, error, startedAt: at, finishedAt: at, durationMs: 0, requests: 0, cases, summary: summarize(cases) }],
  }
}

/**
 * A run's completion, once and in order per target (the target's state gate): one report from its
 * parts, the new case and target states, the alert they call for, a snapshot of the metadata and
 * keys, and the confirming run that a change being confirmed needs, after `confirmAfterMinutes`.
 */
async function finalize(env: Env, store: Store, m: Extract<WorkMessage, { kind: 'finalize' }>): Promise<'done' | 'retry'> {
  const passed = await throughGate(env.GATE, store.budget, `${m.target}#state`, holderOf(m, 'finalize'), { limit: 1, ttlMs: 120_000, waitMs: 30_000 }, async () => {
    const run = await store.run(m.runId)
    if (!run || run.status === 'done') return
    const monitor = (await configuration(env, store.budget)).monitors.find((x) => x.target.name === m.target)
    const reports = await store.partReports(run.id, run.parts)
    const order = reports.flatMap((r) => r.targets[0]!.cases.map((c) => `${c.suite}/${c.id}`))
    const merged = mergeParts(run.id, reports, order)
    const t = merged.targets[0]!
    t.name = m.target
    const report: Report = { ...merged, tool: { name: 'grantcheck', version: TOOL_VERSION } }
    await store.putReport(report)

    const previous = await store.caseStates(m.target)
    const targetStates = await store.targetStates()
    const defaults = settings(env)
    const confirm = { confirm: monitor?.confirm ?? defaults.confirm, of: monitor?.confirmOf ?? defaults.confirmOf }
    const tr = transition(
      previous,
      targetStates.get(m.target),
      { runId: run.id, at: t.finishedAt, cases: t.cases.map((c) => ({ key: `${c.suite}/${c.id}`, outcome: c.outcome, reason: c.reason, components: componentsOf(c) })), error: t.error },
      confirm,
    )

    const publicUrl = env.PUBLIC_URL
    const byKey = new Map(t.cases.map((c) => [`${c.suite}/${c.id}`, c]))
    const alert: Alert | undefined =
      tr.changes.length || tr.targetChange
        ? {
            event: 'grantcheck.alert',
            id: `${run.id}-alert`,
            at: t.finishedAt,
            target: m.target,
            run: { id: run.id, trigger: run.trigger, link: link(publicUrl, `/runs/${run.id}`) },
            targetChange: targetChangeOf(tr.targetChange, tr.target),
            cases: tr.changes.map((ch) => alertCase(byKey.get(ch.key)!, ch.change, run.id, publicUrl, ch.change === 'new-failure' ? tr.cases.get(ch.key)?.since : undefined)),
          }
        : undefined
    const snapshot = monitor && t.issuer ? await snapshotOf(store.budget.fetch, t, monitor.target).catch(() => undefined) : undefined
    await store.finishRun({
      run: {
        ...run,
        startedAt: t.startedAt,
        finishedAt: t.finishedAt,
        durationMs: t.durationMs,
        requests: t.requests,
        counts: t.summary.outcomes,
        results: Object.fromEntries(t.cases.map((c) => [`${c.suite}/${c.id}`, [c.outcome, c.durationMs]])),
        error: t.error,
      },
      cases: tr.cases,
      target: tr.target,
      alert: alert && { id: alert.id, body: JSON.stringify(alert) },
      snapshot,
    })
    await store.deleteParts(run.id, run.parts)
    if (alert) await store.budget.op(() => env.RUNS.send({ kind: 'deliver', alertId: alert.id }))
    if ((tr.toConfirm.length || tr.confirmTarget) && monitor) {
      // An outage or recovery is confirmed by a run of everything scheduled, a case by a run of it.
      const confirming = planRun(env, monitor, 'confirm', Date.now(), { cases: tr.confirmTarget ? undefined : tr.toConfirm, confirms: run.id })
      // After `confirmAfterMinutes` (issue 25): a re-run within the second filtered only sub-second
      // flakiness. The queue holds the parts that long itself (`delaySeconds`, at most 12 hours).
      const delaySeconds = Math.round(monitor.confirmAfterMinutes * 60)
      await store.createRuns([confirming], [])
      await store.budget.op(() => env.RUNS.sendBatch(confirming.messages.map((body) => ({ body, delaySeconds }))))
    }
    // One structured line per finished run, for `wrangler tail` and log push.
    console.log(
      JSON.stringify({
        event: 'grantcheck.run',
        target: m.target,
        run: run.id,
        trigger: run.trigger,
        cases: t.cases.length,
        outcomes: t.summary.outcomes,
        durationMs: t.durationMs,
        requests: t.requests,
        state: tr.target.state,
        alert: alert ? { cases: alert.cases.length, target: alert.targetChange?.change } : null,
        toConfirm: tr.toConfirm.length,
        confirmTarget: tr.confirmTarget,
      }),
    )
  })
  return passed ? 'done' : 'retry'
}

/** How long one delivery attempt holds its alert: the webhook's 10 s timeout and the D1 calls, with room. */
const CLAIM_MS = 60_000
/** An alert refused this long after it was raised is given up: shown on /alerts, no longer retried. */
const GIVE_UP_AFTER_MS = 24 * 3_600_000

/**
 * Sends an alert to the configured webhook, signed; a refusal or timeout retries from the queue in
 * `retryIn` seconds. One delivery chain per alert (issue 25): an attempt first claims the alert in
 * D1, atomically, so another message for it (a queue's duplicate, a cron re-queue) finds it claimed
 * and ends there; a refused attempt keeps the claim until just before its retry is due, so the cron
 * re-queues only an alert whose chain is gone. Refused for a day, an alert is given up.
 */
async function deliver(env: Env, store: Store, alertId: string, retryIn: number): Promise<'done' | 'retry'> {
  const url = env.ALERT_WEBHOOK_URL
  // Without a webhook the alert stays in the outbox, shown on the dashboard as not sent.
  if (!url) return 'done'
  const now = Date.now()
  const alert = await store.claimAlert(alertId, new Date(now).toISOString(), new Date(now + CLAIM_MS).toISOString())
  if (!alert) return 'done'
  const body = webhookBody(JSON.parse(alert.body) as Alert, env.WEBHOOK_FORMAT)
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Grantcheck-Event': 'alert', 'X-Grantcheck-Delivery': alertId }
  if (env.WEBHOOK_SECRET) headers['X-Grantcheck-Signature'] = await signature(env.WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000))
  let error: string | undefined
  try {
    const res = await store.budget.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
    await res.body?.cancel()
    if (!res.ok) error = `HTTP ${res.status}`
  } catch (e) {
    error = e instanceof Error ? e.message : String(e)
  }
  const at = Date.now()
  const givenUp = error !== undefined && at - Date.parse(alert.createdAt) >= GIVE_UP_AFTER_MS
  // The claim lapses a second before the retry is due: the queue never delivers a retry early,
  // and the consumer that takes it may read the clock a little behind this one.
  const claimedUntil = error !== undefined && !givenUp ? new Date(at + Math.max(0, retryIn - 1) * 1000).toISOString() : undefined
  await store.alertAttempt(alertId, new Date(at).toISOString(), error, { claimedUntil, givenUp })
  if (givenUp) console.error(JSON.stringify({ event: 'grantcheck.alert-given-up', alert: alertId, attempts: alert.attempts + 1, error }))
  return error !== undefined && !givenUp ? 'retry' : 'done'
}
