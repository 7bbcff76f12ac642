/**
 * The cron: it runs nothing itself. It queues the runs that are due (each target on its own
 * schedule), re-queues alerts whose delivery was lost, and deletes what is older than the
 * retention. A few binding calls whatever the number of targets: fan-out happens in the queue.
 */
import { Budget } from './budget.ts'
import { configuration, settings } from './config.ts'
import type { Env, WorkMessage } from './env.ts'
import { Store } from './store.ts'
import { planRun } from './work.ts'

/** Cron triggers fire a little early or late: a target due within this margin runs now. */
const JITTER_MS = 30_000
/** An undelivered alert older than this has lost its queue message (or exhausted its retries). */
const REDELIVER_AFTER_MS = 15 * 60_000
/** A run not finished this long after it was requested has lost work; its parts are queued again. */
const STALLED_AFTER_MS = 2 * 3_600_000

export async function scheduled(env: Env, now: number): Promise<{ queued: string[]; problems: number; redelivered: number; pruned: number }> {
  const s = settings(env)
  const budget = new Budget(s.maxSubrequests)
  const store = new Store(env, budget)
  const config = await configuration(env, budget)
  const states = await store.targetStates()
  const due = config.monitors.filter((m) => {
    const last = states.get(m.target.name)?.lastScheduled
    return !last || now - Date.parse(last) >= m.everyMinutes * 60_000 - JITTER_MS
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
        at,
      ),
    ])

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
    }),
  )
  await store.recordInvocation('schedule', undefined, undefined, at)
  return { queued: runs.map((r) => r.row.id), problems: problems.length, redelivered, pruned }
}
