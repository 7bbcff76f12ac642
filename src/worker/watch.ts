/**
 * Watching the watcher, and the load manual runs may put on a tenant (issue 25). A target with no
 * finished run within twice its schedule is overdue: the dashboard, `/api/targets`, `/metrics` and
 * `/healthz` say so, and the cron alerts once when it becomes overdue and once when it is back. Run
 * requests are merged into a pending run that covers them, and the runs a caller starts are
 * limited per target and window.
 */
import { link, type Alert } from './alerts.ts'
import { positiveInt, type Monitor } from './config.ts'
import type { Env } from './env.ts'
import type { LatestRun } from './store.ts'

/**
 * The limit on manual runs: at most `runs` runs started per caller and target in `windowMinutes`
 * (`RUN_LIMIT`, default 5; `RUN_LIMIT_MINUTES`, default 60). A request merged into a pending run
 * starts nothing and is not counted.
 */
export function runLimit(env: Env): { runs: number; windowMinutes: number } {
  return { runs: positiveInt(env.RUN_LIMIT, 5), windowMinutes: positiveInt(env.RUN_LIMIT_MINUTES, 60) }
}

/** A run requested this long ago and still not finished has lost work: nothing is merged into it. */
export const MERGE_WITHIN_MS = 2 * 3_600_000

/**
 * Since when a target is overdue, by the real clock: its last finished run (or, before any
 * finished, its first scheduling) is more than twice its schedule old. Undefined while it is on
 * time, and for a target never scheduled at all (the heartbeat is what notices a cron that never
 * fires).
 */
export function overdueSince(monitor: Monitor, state: { since: string } | undefined, latest: Pick<LatestRun, 'finishedAt'> | undefined, now: number): string | undefined {
  const from = latest?.finishedAt || state?.since
  const at = from ? Date.parse(from) : NaN
  return Number.isFinite(at) && now - at > 2 * monitor.everyMinutes * 60_000 ? from : undefined
}

/** The alert of a target that became overdue (`overdue`) or that finished a run again (`resumed`). */
export function overdueAlert(change: 'overdue' | 'resumed', target: string, since: string, latest: Pick<LatestRun, 'runId'> | undefined, now: number, publicUrl: string | undefined): Alert {
  return {
    event: 'grantcheck.alert',
    id: `${change}:${encodeURIComponent(target)}:${Date.parse(since)}`,
    at: new Date(now).toISOString(),
    target,
    run: { id: latest?.runId ?? '', trigger: 'schedule', link: link(publicUrl, latest ? `/runs/${latest.runId}` : `/targets/${encodeURIComponent(target)}`) },
    targetChange: { change, since },
    cases: [],
  }
}
