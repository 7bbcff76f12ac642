/**
 * The cron: it runs nothing itself. It queues the runs that are due (each target on its own
 * schedule), re-queues alerts whose delivery was lost, and deletes what is older than the
 * retention. A few binding calls whatever the number of targets: fan-out happens in the queue.
 */
import type { Alert } from './alerts.ts'
import { Budget } from './budget.ts'
import { configuration, settings, type Monitor } from './config.ts'
import type { Env, WorkMessage } from './env.ts'
import { Store } from './store.ts'
import { overdueAlert, overdueSince } from './watch.ts'
import { planRun } from './work.ts'

/** Cron triggers fire a little early or late: a target due within this margin runs now. */
const JITTER_MS = 30_000
/**
 * An undelivered alert older than this, whose last claim lapsed this long ago, has lost its
 * delivery chain (its message, or its retries): only then is it queued again (issue 25). A live
 * chain holds its claim until its next retry (at most 5 minutes away), so it is never doubled.
 */
const REDELIVER_AFTER_MS = 15 * 60_000
/** A run not finished this long after it was requested has lost work; its parts are queued again. */
const STALLED_AFTER_MS = 2 * 3_600_000

export async function scheduled(env: Env, now: number): Promise<{ queued: string[]; problems: number; redelivered: number; pruned: number; overdue: string[] }> {
  const s = settings(env)
  const budget = new Budget(s.maxSubrequests)
  const store = new Store(env, budget)
  const config = await configuration(env, budget)
  const states = await store.targetStates()
  // Due by the trigger's time, but what a tick records is never ahead of the real clock, and a
  // recorded time ahead of it (a tick that came with a future scheduledTime, before issue 25) is
  // no time at all: one tick with a time in the future may run targets early, never stop them.
  const clock = Date.now()
  const due = config.monitors.filter((m) => {
    const last = Date.parse(states.get(m.target.name)?.lastScheduled ?? '')
    return !Number.isFinite(last) || last > clock + JITTER_MS || now - last >= m.everyMinutes * 60_000 - JITTER_MS
  })
  const runs = []
  const problems = [...config.problems.map((p) => `${p.where}: ${p.message}`)]
  for (const m of due) {
    try {
      // Due by the trigger's time; requested (and named) at the real time.
      runs.push(planRun(env, m, 'schedule', Date.now(), {}))
    } catch (e) {
      problems.push(`${m.target.name}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  const at = new Date(now).toISOString()
  const messages: WorkMessage[] = runs.flatMap((r) => r.messages)
  if (runs.length)
    await store.createRuns(runs, messages, [
      store.markScheduled(
        runs.map((r) => r.row.target),
        new Date(Math.min(now, clock)).toISOString(),
      ),
    ])

  const overdue = await watchOverdue(env, store, config.monitors, states)

  let redelivered = 0
  if (env.ALERT_WEBHOOK_URL) {
    const lost = await store.undeliveredAlerts(new Date(now - REDELIVER_AFTER_MS).toISOString(), 50)
    if (lost.length) await budget.op(() => env.RUNS.sendBatch(lost.map((alertId) => ({ body: { kind: 'deliver' as const, alertId } }))))
    redelivered = lost.length
  }
  const stalled = await store.stalledWork(new Date(now - STALLED_AFTER_MS).toISOString(), 50)
  const again: WorkMessage[] = stalled.map((w) =>
    w.part === undefined ? { kind: 'finalize', runId: w.runId, target: w.target } : { kind: 'part', runId: w.runId, target: w.target, part: w.part, cases: w.cases ?? [] },
  )
  if (again.length) await budget.op(() => env.RUNS.sendBatch(again.map((body) => ({ body }))))
  const heartbeat = await ping(env, budget)
  // The states of targets no longer configured go too; an entry that does not validate keeps its
  // state under its name, one without a usable name keeps every state until it is fixed, and so
  // does an empty configuration (more likely a mistake than the end of every target).
  const keepAll = !config.monitors.length || config.problems.some((p) => p.name === undefined)
  const configured = keepAll ? undefined : [...config.monitors.map((m) => m.target.name), ...config.problems.map((p) => p.name!)]
  // An unfinished run goes once it is that old by the clock too: never one this tick has just queued.
  const retentionMs = s.retentionDays * 86_400_000
  const retention = await store.prune(new Date(now - retentionMs).toISOString(), configured, new Date(Math.min(now, Date.now()) - retentionMs).toISOString())
  const pruned = retention.runs
  console.log(
    JSON.stringify({
      event: 'grantcheck.schedule',
      at,
      queued: runs.map((r) => ({ target: r.row.target, run: r.row.id, parts: r.row.parts })),
      problems,
      redelivered,
      requeued: again.length,
      pruned,
      retention,
      overdue,
      heartbeat,
    }),
  )
  await store.recordInvocation('schedule', undefined, undefined, at)
  return { queued: runs.map((r) => r.row.id), problems: problems.length, redelivered, pruned, overdue }
}

/**
 * Watching the watcher (issue 25): the targets overdue by the real clock (no finished run within
 * twice their schedule), each alerted once when it becomes overdue and once when it is back,
 * delivered like every alert. Returns the targets overdue now.
 */
async function watchOverdue(env: Env, store: Store, monitors: Monitor[], states: Map<string, { since: string }>): Promise<string[]> {
  const now = Date.now()
  const [latest, flagged] = await Promise.all([store.latest(), store.overdueTargets()])
  const changes: Array<{ target: string; since: string; back: boolean; alert: Alert }> = []
  const overdue: string[] = []
  for (const m of monitors) {
    const name = m.target.name
    const since = overdueSince(m, states.get(name), latest.get(name), now)
    if (since) overdue.push(name)
    const was = flagged.get(name)
    if (since && was === undefined) changes.push({ target: name, since, back: false, alert: overdueAlert('overdue', name, since, latest.get(name), now, env.PUBLIC_URL) })
    else if (!since && was !== undefined) changes.push({ target: name, since: was, back: true, alert: overdueAlert('resumed', name, was, latest.get(name), now, env.PUBLIC_URL) })
  }
  await store.markOverdue(changes.map((c) => ({ ...c, alert: { id: c.alert.id, runId: c.alert.run.id, at: c.alert.at, body: JSON.stringify(c.alert) } })))
  if (changes.length && env.ALERT_WEBHOOK_URL) await store.budget.op(() => env.RUNS.sendBatch(changes.map((c) => ({ body: { kind: 'deliver' as const, alertId: c.alert.id } }))))
  return overdue
}

/**
 * Pings `HEARTBEAT_URL` (GET, 5 s at most, one subrequest of the tick's budget), so that an
 * outside monitor notices when the cron stops. Its failure is logged, never the tick's.
 */
async function ping(env: Env, budget: Budget): Promise<number | string | undefined> {
  if (!env.HEARTBEAT_URL) return undefined
  try {
    const res = await budget.fetch(env.HEARTBEAT_URL, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(5_000) })
    await res.body?.cancel()
    return res.status
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}
