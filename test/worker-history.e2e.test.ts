/**
 * The Worker against a long history (issue 25: reads grew with history; was: every page, the
 * badge, `/metrics` and `/api/targets` ranked every run, about 1 s at 119 k runs, and retention
 * deleted at most 50 runs a tick and never undelivered alerts or removed targets' states).
 *
 * Reads: 55 targets, 100 runs, then 100,000 (90 days) injected straight into D1; each route's D1
 * rows read (the Worker's Server-Timing header, from D1's meta) must not grow with the history.
 * The times are the bench's (`npm run bench`, bench/worker-history.ts), never asserted here.
 *
 * Retention: a backlog of thousands of old runs, alerts (delivered or not), snapshots,
 * invocations and a removed target's states goes over successive cron ticks, each tick within
 * its bounds and its budget.
 */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { database, historyWorker, injectRuns, injectStates, measureRoutes, ready, targetName, windowQuery, type RouteFigure } from '../bench/worker-history.ts'
import { ROOT } from './_run.ts'
import { cron } from './_worker.ts'

describe('the pages over 100 and 100,000 runs of 55 targets', () => {
  let mf: Miniflare
  const now = Date.now()
  let small: RouteFigure[]
  let large: RouteFigure[]
  let windowRows: number[]

  beforeAll(async () => {
    mf = historyWorker(ROOT)
    await ready(mf)
    await injectRuns(mf, 0, 100, now)
    await injectStates(mf, 100, now)
    small = await measureRoutes(mf, 3)
    const before = (await windowQuery(mf)).rowsRead
    await injectRuns(mf, 100, 100_000, now)
    await injectStates(mf, 100_000, now)
    large = await measureRoutes(mf, 3)
    windowRows = [before, (await windowQuery(mf)).rowsRead]
    for (const [i, s] of small.entries())
      console.log(`${s.route}: ${s.rowsRead} rows read in ${s.statements} statements at 100 runs (${s.ms.toFixed(0)} ms), ${large[i]!.rowsRead} at 100,000 (${large[i]!.ms.toFixed(0)} ms)`)
    console.log(`the window over every run (the reads before issue 25): ${windowRows[0]} rows read at 100 runs, ${windowRows[1]} at 100,000`)
  }, 300_000)
  afterAll(() => mf?.dispose())

  it('answers every route, and D1 reports what each read', () => {
    for (const r of [...small, ...large]) {
      expect(r.status, r.route).toBe(200)
      expect(r.statements, r.route).toBeGreaterThan(0)
      expect(r.rowsRead, r.route).toBeGreaterThan(0)
    }
  })

  it('reads no more rows at 100,000 runs than at 100, on every page, the badge, /metrics and /api/targets (issue 25)', () => {
    // The measure sees the history: the query the pages made before reads every run.
    expect(windowRows[1]).toBeGreaterThanOrEqual(100_000)
    for (const [i, s] of small.entries()) {
      const l = large[i]!
      // Flat: the same rows whatever the history (a target's page reads its 30 newest runs at
      // 100,000 where it had 2 at 100; the alerts page its 50 newest alerts where it had 1).
      expect(l.rowsRead, s.route).toBeLessThanOrEqual(s.rowsRead + 100)
      expect(l.rowsRead, s.route).toBeLessThan(2_000)
    }
  })

  it('lets the cron find stalled runs and lost alerts without reading the history', async () => {
    // The statements of store.stalledWork and store.undeliveredAlerts, on the same database.
    const db = await database(mf)
    const before = new Date(now - 2 * 3_600_000).toISOString()
    const stalled = await db
      .prepare(
        `SELECT r.id AS run_id, r.target AS target, p.part AS part, p.cases AS cases FROM runs r LEFT JOIN parts p ON p.run_id = r.id AND p.done_at IS NULL
           WHERE r.status != 'done' AND r.requested_at < ? ORDER BY r.requested_at LIMIT ?`,
      )
      .bind(before, 50)
      .all()
    expect(stalled.results).toEqual([])
    expect(stalled.meta.rows_read).toBeLessThan(10)
    const lost = await db.prepare('SELECT id FROM alerts WHERE delivered_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?').bind(before, 50).all()
    expect(lost.results).toHaveLength(50)
    expect(lost.meta.rows_read).toBeLessThanOrEqual(100)
  })

  it('shows the latest runs from the per-target rows: last run, pass rates and metrics', async () => {
    const auth = { Authorization: `Bearer history-api-token-0123456789` }
    const overview = await (await mf.dispatchFetch('http://localhost/', { headers: auth })).text()
    const [newest] = await (
      await database(mf)
    )
      .prepare('SELECT id, finished_at FROM runs WHERE target = ? ORDER BY requested_at DESC LIMIT 1')
      .bind(targetName(7))
      .all()
      .then((r) => r.results)
    expect(overview).toContain(`<a href="/runs/${String(newest!.id)}">${String(newest!.finished_at)}</a>`)
    // Ten pass rates per target, from the ten newest runs' counts.
    expect(overview).toMatch(/<td>(\d+% ){9}\d+%<\/td>/)
    const metrics = await (await mf.dispatchFetch('http://localhost/metrics', { headers: auth })).text()
    expect(metrics).toContain(`grantcheck_last_run_timestamp_seconds{target="${targetName(7)}"} ${Math.floor(Date.parse(String(newest!.finished_at)) / 1000)}`)
    // A target without its row (history from before migration 0003) reads its 30 newest runs instead, through the index.
    await (await database(mf)).prepare('DELETE FROM target_latest WHERE target = ?').bind(targetName(7)).run()
    const res = await mf.dispatchFetch('http://localhost/', { headers: auth })
    const again = await res.text()
    expect(again.replace(/<input type="hidden" name="csrf" value="[^"]*"/g, '')).toBe(overview.replace(/<input type="hidden" name="csrf" value="[^"]*"/g, ''))
    const rows = Number(/(\d+) rows read/.exec(res.headers.get('server-timing') ?? '')?.[1])
    expect(rows).toBeLessThanOrEqual(small[0]!.rowsRead + 30)
  })
})

describe('retention over a backlog', () => {
  let mf: Miniflare
  afterAll(() => mf?.dispose())

  it('deletes old runs, reports, parts, alerts delivered or not, snapshots, invocations and removed targets\u2019 states over successive ticks, each bounded', async () => {
    const configured = [targetName(0), targetName(1), targetName(2)]
    mf = historyWorker(ROOT, { RETENTION_DAYS: '3', MAX_SUBREQUESTS: '50' }, configured)
    const day = 86_400_000
    const now = Date.now()
    await ready(mf)
    const db = await database(mf)
    const count = async (table: string) => Number((await db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).bind().all()).results[0]!.n)
    // 10,000 runs, one every 78 s (9 days): about 6,700 are older than 3 days. Every target in the
    // history has states: the 52 not configured are removed ones, whose states go.
    await injectRuns(mf, 0, 10_000, now)
    await injectStates(mf, 10_000, now)
    const old = new Date(now - 3 * day).toISOString()
    const oldRuns = Number((await db.prepare('SELECT COUNT(*) AS n FROM runs WHERE requested_at < ?').bind(old).all()).results[0]!.n)
    await db
      .prepare(
        `INSERT INTO invocations (at, kind, target, run_id, subrequests, ops)
         WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 14999) SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1 - n * 300, 'unixepoch'), 'part', NULL, NULL, 30, 5 FROM k`,
      )
      .bind(now / 1000 - 4 * 86_400)
      .run()
    await db.prepare("UPDATE target_state SET last_scheduled = ? WHERE target IN ('tenant-00', 'tenant-01', 'tenant-02')").bind(new Date(now).toISOString()).run()
    // Reports and parts in R2 for 300 old runs.
    const r2 = (await mf.getR2Bucket('REPORTS')) as unknown as { put(k: string, v: string): Promise<unknown>; list(o?: { limit?: number }): Promise<{ objects: unknown[] }> }
    const withReports = (await db.prepare('SELECT id FROM runs WHERE requested_at < ? ORDER BY requested_at DESC LIMIT 300').bind(old).all()).results.map((r) => String(r.id))
    for (const id of withReports) await Promise.all([r2.put(`reports/${id}.json`, '{}'), r2.put(`parts/${id}/0.json`, '{}')])
    await db.prepare("INSERT INTO parts (run_id, part, cases, done_at) SELECT value, 0, '[]', NULL FROM json_each(?)").bind(JSON.stringify(withReports)).run()

    const before = {
      runs: await count('runs'),
      alerts: await count('alerts'),
      undelivered: await count('alerts WHERE delivered_at IS NULL'),
      snapshots: await count('snapshots'),
      invocations: await count('invocations'),
    }
    const ticks: Array<{ runs: number; alerts: number; invocations: number; ops: number }> = []
    let last = { runs: before.runs, alerts: before.alerts, invocations: before.invocations }
    for (let tick = 1; tick <= 60; tick++) {
      await cron(mf, now)
      const recorded = (await db.prepare("SELECT ops, subrequests FROM invocations WHERE kind = 'schedule' ORDER BY rowid DESC LIMIT 1").bind().all()).results[0]
      const counts = { runs: await count('runs'), alerts: await count('alerts'), invocations: await count("invocations WHERE kind != 'schedule'") }
      ticks.push({ runs: last.runs - counts.runs, alerts: last.alerts - counts.alerts, invocations: last.invocations - counts.invocations, ops: Number(recorded?.ops ?? NaN) })
      last = counts
      if (counts.runs === before.runs - oldRuns && ticks.at(-1)!.runs === 0) break
    }
    console.log(
      `retention: ${oldRuns} runs, ${before.alerts} alerts (${before.undelivered} undelivered), ${before.snapshots} snapshots and 15,000 invocations (most past 3 days) in ${ticks.length} ticks; per tick: ${ticks.map((t) => `${t.runs} runs/${t.alerts} alerts/${t.invocations} invocations in ${t.ops} calls`).join(', ')}`,
    )
    // Bounded: no tick deletes more than 10 batches of 200 runs or 1000 rows, or spends past its budget.
    for (const t of ticks) {
      expect(t.runs).toBeLessThanOrEqual(2_000)
      expect(t.alerts).toBeLessThanOrEqual(10_000)
      expect(t.invocations).toBeLessThanOrEqual(10_000)
      expect(t.ops).toBeLessThanOrEqual(50)
    }
    expect(ticks.length).toBeGreaterThan(3)
    // Everything past its age is gone, and nothing younger.
    expect(await count('runs')).toBe(before.runs - oldRuns)
    expect(Number((await db.prepare('SELECT COUNT(*) AS n FROM runs WHERE requested_at < ?').bind(old).all()).results[0]!.n)).toBe(0)
    for (const table of ['alerts WHERE created_at < ?', 'snapshots WHERE at < ?', 'invocations WHERE at < ?'])
      expect(Number((await db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).bind(old).all()).results[0]!.n), table).toBe(0)
    expect(await count('alerts WHERE delivered_at IS NULL')).toBeGreaterThan(0)
    expect(await count('parts')).toBe(0)
    expect((await r2.list({ limit: 1000 })).objects).toEqual([])
    // The removed targets' states went; the configured ones' stay.
    for (const table of ['case_state', 'target_state', 'target_latest'])
      expect(
        (await db.prepare(`SELECT DISTINCT target FROM ${table} ORDER BY target`).bind().all()).results.map((r) => r.target),
        table,
      ).toEqual(configured)
  }, 600_000)
})
