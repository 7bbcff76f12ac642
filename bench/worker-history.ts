/**
 * The Worker's pages against a long history (issue 25): Miniflare runs dist/worker.mjs with 55
 * targets, its D1 is filled straight with runs as the Worker stores them (spread over 90 days,
 * each with a per-case `results` object of about 600 bytes), and every page, the badge,
 * `/metrics` and `/api/targets` is timed and its D1 rows read (the Worker's Server-Timing header,
 * from D1's own meta) taken at 100 runs and at 100,000.
 *
 * `npm run bench` prints and records the times; test/worker-history.e2e.test.ts asserts only on
 * the rows read, which do not depend on the machine's load.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'

const HISTORY_TARGETS = 55
const HISTORY_DAYS = 90
const HISTORY_RUNS = 100_000
/** Case keys per run: a `results` object of about 600 bytes. */
const CASES = Array.from({ length: 16 }, (_, i) => `suite-${i % 4}/case-${String(i).padStart(2, '0')}-of-a-realistic-length`)
const SPACING_S = (HISTORY_DAYS * 86_400) / HISTORY_RUNS
const TOKEN = 'history-api-token-0123456789'
const ORIGIN = 'http://localhost'

export const targetName = (i: number) => `tenant-${String(i).padStart(2, '0')}`

/** The routes measured, the one target's page and badge for tenant-07. */
const HISTORY_ROUTES = ['/', `/targets/${targetName(7)}`, '/alerts', `/badge/${targetName(7)}.svg`, '/metrics', '/api/targets']

/** A Worker with 55 copies of the reference target (never contacted: nothing here runs a case). */
export function historyWorker(root: string, bindings: Record<string, string> = {}, names = Array.from({ length: HISTORY_TARGETS }, (_, i) => targetName(i))): Miniflare {
  const reference = JSON.parse(readFileSync(join(root, 'src/reference-server/reference-target.json'), 'utf8')) as Record<string, unknown>
  const targets = names.map((name) => ({ ...reference, $schema: undefined, name, issuer: 'http://127.0.0.1:9' }))
  return new Miniflare({
    modules: true,
    scriptPath: join(root, 'dist/worker.mjs'),
    compatibilityDate: '2026-04-01',
    d1Databases: ['DB'],
    r2Buckets: ['REPORTS'],
    queueProducers: { RUNS: 'grantcheck-runs' },
    queueConsumers: { 'grantcheck-runs': { maxBatchSize: 1, maxBatchTimeout: 1, maxRetries: 0 } },
    durableObjects: { GATE: 'TargetGate' },
    bindings: { API_TOKEN: TOKEN, GRANTCHECK_TARGETS: JSON.stringify(targets), ...bindings },
  })
}

interface D1 {
  prepare(sql: string): { bind(...a: unknown[]): { all(): Promise<{ results: Array<Record<string, unknown>>; meta: { rows_read?: number; changes?: number } }>; run(): Promise<unknown> } }
  exec(sql: string): Promise<unknown>
}

export async function database(mf: Miniflare): Promise<D1> {
  return (await mf.getD1Database('DB')) as unknown as D1
}

/** The first request creates the tables (the Worker does it itself on first use). */
export async function ready(mf: Miniflare): Promise<void> {
  const res = await mf.dispatchFetch(`${ORIGIN}/api/targets`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  if (res.status !== 200) throw new Error(`the Worker answered ${res.status}: ${await res.text()}`)
}

/**
 * Runs `from` to `to` of the history, run k requested k × 78 s before `now` (k = 0 is the newest)
 * for target k mod 55, generated inside D1 (a recursive CTE, 10,000 rows a statement), with a
 * failure here and there; one alert per 100 runs (one in five undelivered) and a snapshot per 50.
 */
export async function injectRuns(mf: Miniflare, from: number, to: number, now: number): Promise<void> {
  const db = await database(mf)
  const results = `json_object(${CASES.map((k, i) => `'${k}', json_array(CASE WHEN (n * 7 + ${i}) % 41 = 0 THEN 'failed' ELSE 'passed' END, 10 + (n + ${i}) % 90)`).join(', ')})`
  const failed = `(${CASES.map((_, i) => `((n * 7 + ${i}) % 41 = 0)`).join(' + ')})`
  const ts = `(${now / 1000} - n * ${SPACING_S})`
  for (let start = from; start < to; start += 10_000) {
    const end = Math.min(to, start + 10_000) - 1
    await db
      .prepare(
        `INSERT INTO runs (id, target, trigger, suites, case_count, parts, parts_done, status, requested_at, started_at, finished_at, duration_ms, requests, counts, results)
         WITH RECURSIVE k(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM k WHERE n < ?2)
         SELECT strftime('%Y%m%dT%H%M%SZ', ${ts}, 'unixepoch') || '-' || printf('%08x', n), 'tenant-' || printf('%02d', n % ${HISTORY_TARGETS}), 'schedule', NULL, ${CASES.length}, 1, 1, 'done',
                strftime('%Y-%m-%dT%H:%M:%fZ', ${ts}, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%fZ', ${ts} + 1, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%fZ', ${ts} + 20, 'unixepoch'),
                19000 + n % 2000, 150, json_object('passed', ${CASES.length} - ${failed}, 'failed', ${failed}, 'warning', 0, 'info', 0, 'skipped', 0, 'errored', 0), ${results}
         FROM k`,
      )
      .bind(start, end)
      .run()
    await db
      .prepare(
        `INSERT OR IGNORE INTO alerts (id, target, run_id, created_at, body, delivered_at, attempts)
         SELECT id || '-alert', target, id, finished_at, json_object('event', 'grantcheck.alert', 'target', target, 'run', json_object('id', id), 'cases', json_array()),
                CASE WHEN (rowid / 100) % 5 = 0 THEN NULL ELSE finished_at END, 1
         FROM runs WHERE requested_at BETWEEN strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - ?2 * ${SPACING_S}, 'unixepoch') AND strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - ?1 * ${SPACING_S}, 'unixepoch') AND rowid % 100 = 0`,
      )
      .bind(start, end)
      .run()
    await db
      .prepare(
        `INSERT OR IGNORE INTO snapshots (target, run_id, at, metadata_hash, jwks_hash, summary)
         SELECT target, id, finished_at, 'm' || (rowid % 3), 'j' || (rowid % 2), '{"keys":[]}'
         FROM runs WHERE requested_at BETWEEN strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - ?2 * ${SPACING_S}, 'unixepoch') AND strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - ?1 * ${SPACING_S}, 'unixepoch') AND rowid % 50 = 0`,
      )
      .bind(start, end)
      .run()
  }
}

/**
 * What the Worker's completions would have written for runs 0 to `to`: each target's state, its
 * cases' states and its latest row (its newest run and the counts of its ten newest).
 */
export async function injectStates(mf: Miniflare, to: number, now: number): Promise<void> {
  const db = await database(mf)
  const since = new Date(now - to * SPACING_S * 1000).toISOString()
  await db
    .prepare(`INSERT OR REPLACE INTO target_state (target, state, since, last_scheduled) SELECT 'tenant-' || printf('%02d', value), 'up', ?1, ?2 FROM json_each(?3)`)
    .bind(since, new Date(now).toISOString(), JSON.stringify(Array.from({ length: HISTORY_TARGETS }, (_, i) => i)))
    .run()
  await db
    .prepare(
      `INSERT OR REPLACE INTO case_state (target, case_key, state, since, run_id, flips, seen)
       SELECT t.target, c.value, 'passing', ?1, t.run_id, 0, 1 FROM (SELECT target, MAX(id) AS run_id FROM runs WHERE id IN (SELECT id FROM runs ORDER BY requested_at DESC LIMIT ?2) GROUP BY target) t, json_each(?3) c`,
    )
    .bind(since, Math.min(to, HISTORY_TARGETS), JSON.stringify(CASES))
    .run()
  // One statement per target through the per-target index, as the Worker's own fallback reads it.
  for (let i = 0; i < HISTORY_TARGETS; i++)
    await db
      .prepare(
        `INSERT OR REPLACE INTO target_latest (target, run_id, requested_at, finished_at, duration_ms, requests, counts, recent)
         SELECT target, id, requested_at, finished_at, duration_ms, requests, counts,
                (SELECT json_group_array(json_object('id', id, 'at', requested_at, 'counts', json(counts))) FROM (SELECT * FROM runs WHERE target = ?1 ORDER BY requested_at DESC, id DESC LIMIT 10))
         FROM runs WHERE target = ?1 ORDER BY requested_at DESC, id DESC LIMIT 1`,
      )
      .bind(targetName(i))
      .run()
}

export interface RouteFigure {
  route: string
  status: number
  /** Median of the timed requests, in milliseconds. */
  ms: number
  spread: string
  statements: number
  rowsRead: number
}

/** Each route once to warm up, then `repeats` times: the median time, and D1's rows read (Server-Timing). */
export async function measureRoutes(mf: Miniflare, repeats = 7): Promise<RouteFigure[]> {
  const out: RouteFigure[] = []
  for (const route of HISTORY_ROUTES) {
    const get = async () => {
      const t0 = performance.now()
      const res = await mf.dispatchFetch(`${ORIGIN}${route}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      await res.text()
      const timing = /d1;desc="(\d+) statements, (\d+) rows read"/.exec(res.headers.get('server-timing') ?? '')
      return { ms: performance.now() - t0, status: res.status, statements: Number(timing?.[1] ?? NaN), rowsRead: Number(timing?.[2] ?? NaN) }
    }
    await get()
    const samples = []
    for (let i = 0; i < repeats; i++) samples.push(await get())
    const times = samples.map((s) => s.ms).sort((a, b) => a - b)
    const last = samples.at(-1)!
    out.push({
      route,
      status: last.status,
      ms: times[Math.floor(times.length / 2)]!,
      spread: `${times[0]!.toFixed(0)}–${times.at(-1)!.toFixed(0)}`,
      statements: last.statements,
      rowsRead: last.rowsRead,
    })
  }
  return out
}

/** Rows D1 reads for the query the pages made before issue 25 (every run ranked), on the same database, and its time. */
export async function windowQuery(mf: Miniflare): Promise<{ rowsRead: number; ms: number }> {
  const db = await database(mf)
  const t0 = performance.now()
  const { meta } = await db
    .prepare('SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY requested_at DESC, id DESC) AS n FROM runs) WHERE n <= ? ORDER BY requested_at DESC, id DESC')
    .bind(30)
    .all()
  return { rowsRead: meta.rows_read ?? NaN, ms: performance.now() - t0 }
}

export interface HistoryFigures {
  small: { runs: number; routes: RouteFigure[]; windowQuery: { rowsRead: number; ms: number } }
  large: { runs: number; routes: RouteFigure[]; windowQuery: { rowsRead: number; ms: number }; injectSeconds: number }
}

/** The whole measurement: 100 runs, then 99,900 older ones added to the same database. */
export async function measureHistory(root: string, repeats = 7): Promise<HistoryFigures> {
  const mf = historyWorker(root)
  try {
    const now = Date.now()
    await ready(mf)
    await injectRuns(mf, 0, 100, now)
    await injectStates(mf, 100, now)
    const small = { runs: 100, routes: await measureRoutes(mf, repeats), windowQuery: await windowQuery(mf) }
    const t0 = performance.now()
    await injectRuns(mf, 100, HISTORY_RUNS, now)
    await injectStates(mf, HISTORY_RUNS, now)
    const injectSeconds = (performance.now() - t0) / 1000
    const large = { runs: HISTORY_RUNS, routes: await measureRoutes(mf, repeats), windowQuery: await windowQuery(mf), injectSeconds }
    return { small, large }
  } finally {
    await mf.dispose()
  }
}

export function printHistory(h: HistoryFigures): void {
  console.log(`\nWorker pages against the history (${HISTORY_TARGETS} targets; median ms (spread) and D1 rows read per request):`)
  console.log(`route                    ${String(h.small.runs).padStart(7)} runs              ${String(h.large.runs).padStart(7)} runs`)
  h.small.routes.forEach((s, i) => {
    const l = h.large.routes[i]!
    console.log(
      `  ${s.route.padEnd(22)} ${s.ms.toFixed(1).padStart(6)} ms (${s.spread.padStart(7)}) ${String(s.rowsRead).padStart(5)} rows   ${l.ms.toFixed(1).padStart(6)} ms (${l.spread.padStart(7)}) ${String(l.rowsRead).padStart(5)} rows`,
    )
  })
  const w = (x: HistoryFigures['small']) => `${x.windowQuery.rowsRead} rows read in ${x.windowQuery.ms.toFixed(0)} ms at ${x.runs} runs`
  console.log(`  the query every one of them made before issue 25 (every run ranked), alone: ${w(h.small)}, ${w(h.large)}`)
}
