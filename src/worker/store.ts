/**
 * Everything the Worker keeps: runs, their per-case results and progress in D1; full reports in
 * R2; case and target states, alerts (an outbox) and metadata snapshots in D1. Every call goes
 * through the invocation's Budget. No read-modify-write of a shared value: each run is its own
 * row, and a run's progress is one atomic UPDATE … RETURNING.
 */
import type { OutcomeCounts, Report } from '../schema/report.ts'
import type { Budget } from './budget.ts'
import { SCHEMA_STATEMENTS } from './db-schema.ts'
import type { Env, WorkMessage } from './env.ts'
import type { CaseState, TargetState } from './state.ts'

export type Trigger = 'schedule' | 'api' | 'dashboard' | 'confirm'
type RunStatus = 'queued' | 'running' | 'done'

export interface RunRow {
  id: string
  target: string
  trigger: Trigger
  suites: string[] | null
  caseCount: number
  parts: number
  partsDone: number
  status: RunStatus
  requestedAt: string
  startedAt?: string
  finishedAt?: string
  durationMs?: number
  requests?: number
  counts?: OutcomeCounts
  /** `suite/case` → [outcome, milliseconds]. */
  results?: Record<string, [string, number]>
  error?: string
  confirms?: string
}

/**
 * A target's last finished run, and the counts of its last {@link RECENT_RUNS} finished runs: one
 * row per target (`target_latest`), written with each run, so the overview, the badge, `/metrics`
 * and `/api/targets` never read the history (issue 25).
 */
export interface LatestRun {
  runId: string
  requestedAt: string
  finishedAt: string
  durationMs: number
  requests: number
  counts: OutcomeCounts
  /** Newest first (by request time), at most {@link RECENT_RUNS}. */
  recent: OutcomeCounts[]
}

/** How many finished runs' counts `target_latest` keeps per target: the overview's pass rates. */
const RECENT_RUNS = 10
/** Runs deleted per retention batch: their reports and parts are at most 1000 keys per R2 delete. */
const PRUNE_RUNS = 200
/** Rows of each other table deleted per retention batch. */
const PRUNE_ROWS = 1000
/** Retention batches per cron tick: at most 2000 runs and 10,000 rows of each other table. */
const PRUNE_BATCHES = 10
/** Binding calls one retention batch may take (a select, an R2 delete, a D1 batch, one spare). */
const PRUNE_BATCH_OPS = 4

interface PruneCounts {
  runs: number
  /** R2 objects (reports and parts) whose keys were deleted. */
  reports: number
  alerts: number
  snapshots: number
  invocations: number
  /** case_state, target_state and target_latest rows of targets no longer configured or past the retention. */
  states: number
  batches: number
  /** Whether a limit stopped the tick before the backlog was gone: the next tick goes on. */
  more: boolean
}

const reportKey = (runId: string) => `reports/${runId}.json`
const partKey = (runId: string, part: number) => `parts/${runId}/${part}.json`
/** Run ids are made here (engine-like: time and randomness); anything else is not a run id. */
const RUN_ID = /^[0-9TZ]{16}-[0-9a-f]{6,12}$/

let schemaReady: Promise<unknown> | undefined
/** A statement of the schema that adds a column (table, column): run only where it is missing. */
const ADD_COLUMN = /^ALTER TABLE (\w+) ADD COLUMN (\w+)/i

export class Store {
  private readonly env: Env
  readonly budget: Budget

  constructor(env: Env, budget: Budget) {
    this.env = env
    this.budget = budget
  }

  /** D1 statements this Store ran and the rows D1 says they read: a request's cost, in Server-Timing. */
  readonly reads = { statements: 0, rows: 0 }

  private get db() {
    return this.env.DB
  }

  /** One D1 call through the budget, its statements and rows read counted in `reads`. */
  private d1<R extends { meta: { rows_read?: number } } | Array<{ meta: { rows_read?: number } }>>(call: () => Promise<R>): Promise<R> {
    return this.budget.op(call).then((r) => {
      for (const x of Array.isArray(r) ? r : [r]) {
        this.reads.statements++
        this.reads.rows += x.meta?.rows_read ?? 0
      }
      return r
    })
  }

  /**
   * Creates the tables once per isolate (one batch); a failure lets the next call try again.
   * SQLite has no `ADD COLUMN IF NOT EXISTS`: the batch also reads the columns of each table an
   * `ALTER TABLE … ADD COLUMN` of the schema changes, and only the missing columns are added, in a
   * second call that a database needs once. Two isolates adding one at once: the loser's
   * "duplicate column name" means the column is there.
   */
  async ready(): Promise<void> {
    schemaReady ??= this.applySchema().catch((e: unknown) => {
      schemaReady = undefined
      throw e
    })
    await schemaReady
  }

  private async applySchema(): Promise<void> {
    const creates = SCHEMA_STATEMENTS.filter((s) => !ADD_COLUMN.test(s))
    const adds = SCHEMA_STATEMENTS.flatMap((sql) => {
      const m = ADD_COLUMN.exec(sql)
      return m ? [{ sql, table: m[1]!, column: m[2]! }] : []
    })
    const tables = [...new Set(adds.map((a) => a.table))]
    const results = await this.d1(() => this.db.batch([...creates.map((s) => this.db.prepare(s)), ...tables.map((t) => this.db.prepare('SELECT name FROM pragma_table_info(?)').bind(t))]))
    const present = new Set(results.slice(creates.length).flatMap((r, i) => r.results.map((c) => `${tables[i]}.${String(c.name)}`)))
    const missing = adds.filter((a) => !present.has(`${a.table}.${a.column}`))
    if (missing.length)
      await this.d1(() => this.db.batch(missing.map((a) => this.db.prepare(a.sql)))).catch((e: unknown) => {
        if (!/duplicate column name/i.test(e instanceof Error ? e.message : String(e))) throw e
      })
  }

  // Runs ------------------------------------------------------------------------------------

  /** Records runs and queues their work: one D1 batch, then the messages in batches of 100. */
  async createRuns(runs: Array<{ row: RunRow; parts: string[][] }>, messages: WorkMessage[], extra: Array<{ sql: string; args: unknown[] }> = []): Promise<void> {
    await this.ready()
    const statements = runs.flatMap(({ row, parts }) => [
      this.db
        .prepare('INSERT INTO runs (id, target, trigger, suites, case_count, parts, parts_done, status, requested_at, confirms) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)')
        .bind(row.id, row.target, row.trigger, row.suites ? JSON.stringify(row.suites) : null, row.caseCount, row.parts, row.status, row.requestedAt, row.confirms ?? null),
      this.db.prepare('INSERT INTO parts (run_id, part, cases) SELECT ?, key, value FROM json_each(?)').bind(row.id, JSON.stringify(parts.map((p) => JSON.stringify(p)))),
    ])
    for (const e of extra) statements.push(this.db.prepare(e.sql).bind(...e.args))
    if (statements.length) await this.budget.op(() => this.db.batch(statements))
    for (let i = 0; i < messages.length; i += 100) await this.budget.op(() => this.env.RUNS.sendBatch(messages.slice(i, i + 100).map((body) => ({ body }))))
  }

  /**
   * A manual run, unless a pending run covers it or its caller has started too many (issue 25),
   * decided in one D1 batch (a transaction) so that requests arriving together cannot all start
   * one: `started` (the run is recorded and its work queued), `merged` into the oldest pending run
   * of the target, not a confirming one, requested since `mergeSince`, whose suites include the
   * request's (all suites cover everything), or `limited`: `caller` has started `limit.runs` runs
   * of the target since `limit.since`, the oldest of them at `oldest`.
   */
  async requestRun(
    planned: { row: RunRow; parts: string[][]; messages: WorkMessage[] },
    caller: string,
    limit: { runs: number; since: string },
    mergeSince: string,
  ): Promise<{ started: RunRow } | { merged: RunRow } | { limited: { oldest: string } }> {
    await this.ready()
    const { row, parts, messages } = planned
    const db = this.db
    const suites = row.suites ? JSON.stringify(row.suites) : null
    // ?1 target, ?2 requested suites (null: all), ?3 merge window.
    const covering = `r.target = ?1 AND r.status != 'done' AND r.trigger != 'confirm' AND r.requested_at >= ?3
      AND (r.suites IS NULL OR (?2 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(?2) q WHERE q.value NOT IN (SELECT value FROM json_each(r.suites)))))`
    const [inserted, , , , pending, counted] = await this.d1(() =>
      db.batch([
        db
          .prepare(
            `INSERT INTO runs (id, target, trigger, suites, case_count, parts, parts_done, status, requested_at, confirms)
             SELECT ?4, ?1, ?5, ?2, ?6, ?7, 0, ?8, ?9, NULL
             WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE ${covering})
               AND (SELECT COUNT(*) FROM run_requests WHERE target = ?1 AND requested_by = ?10 AND at >= ?11) < ?12`,
          )
          .bind(row.target, suites, mergeSince, row.id, row.trigger, row.caseCount, row.parts, row.status, row.requestedAt, caller, limit.since, limit.runs),
        db
          .prepare('INSERT INTO parts (run_id, part, cases) SELECT ?1, key, value FROM json_each(?2) WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?1)')
          .bind(row.id, JSON.stringify(parts.map((p) => JSON.stringify(p)))),
        db
          .prepare('INSERT INTO run_requests (target, requested_by, at, run_id) SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?4)')
          .bind(row.target, caller, row.requestedAt, row.id),
        // Older requests count no more: the table keeps at most `limit.runs` rows per caller and target.
        db.prepare('DELETE FROM run_requests WHERE target = ? AND requested_by = ? AND at < ?').bind(row.target, caller, limit.since),
        db.prepare(`SELECT * FROM runs r WHERE ${covering} AND r.id != ?4 ORDER BY r.requested_at, r.id LIMIT 1`).bind(row.target, suites, mergeSince, row.id),
        db.prepare('SELECT MIN(at) AS oldest FROM run_requests WHERE target = ? AND requested_by = ? AND at >= ?').bind(row.target, caller, limit.since),
      ]),
    )
    if ((inserted?.meta.changes ?? 0) > 0) {
      for (let i = 0; i < messages.length; i += 100) await this.budget.op(() => this.env.RUNS.sendBatch(messages.slice(i, i + 100).map((body) => ({ body }))))
      return { started: row }
    }
    const merged = pending?.results[0]
    if (merged) return { merged: toRun(merged) }
    return { limited: { oldest: String((counted?.results[0] as { oldest?: string } | undefined)?.oldest ?? row.requestedAt) } }
  }

  async run(id: string): Promise<RunRow | undefined> {
    if (!RUN_ID.test(id)) return undefined
    await this.ready()
    const row = await this.budget.op(() => this.db.prepare('SELECT * FROM runs WHERE id = ?').bind(id).first())
    return row ? toRun(row) : undefined
  }

  /** A target's runs (or all targets'), newest first, a page at a time: pass the last id seen as `before`. */
  async runs(options: { target?: string; before?: string; limit: number }): Promise<RunRow[]> {
    await this.ready()
    const where = [options.target ? 'target = ?1' : '', options.before ? '(requested_at, id) < (SELECT requested_at, id FROM runs WHERE id = ?2)' : ''].filter(Boolean)
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at DESC, id DESC LIMIT ?3`
    const { results } = await this.d1(() =>
      this.db
        .prepare(sql)
        .bind(options.target ?? null, options.before ?? null, options.limit)
        .all(),
    )
    return results.map(toRun)
  }

  /**
   * The newest `perTarget` runs of each of `targets`, newest first: one statement per target in one
   * batch, each reading only its `perTarget` rows through `runs_by_target_id` (never a window over
   * every run: issue 25).
   */
  async recentRunsOf(targets: string[], perTarget: number): Promise<Map<string, RunRow[]>> {
    await this.ready()
    if (!targets.length) return new Map()
    const statement = this.db.prepare('SELECT * FROM runs WHERE target = ? ORDER BY requested_at DESC, id DESC LIMIT ?')
    const results = await this.d1(() => this.db.batch(targets.map((t) => statement.bind(t, perTarget))))
    return new Map(targets.map((t, i) => [t, (results[i]?.results ?? []).map(toRun)]))
  }

  /** The targets' last finished runs (all targets' when `targets` is not given): one row each. */
  async latest(targets?: string[]): Promise<Map<string, LatestRun>> {
    await this.ready()
    const statement = targets
      ? this.db.prepare('SELECT * FROM target_latest WHERE target IN (SELECT value FROM json_each(?))').bind(JSON.stringify(targets))
      : this.db.prepare('SELECT * FROM target_latest')
    const { results } = await this.d1(() => statement.all<Record<string, unknown>>())
    return new Map(
      results.map((r) => [
        String(r.target),
        {
          runId: String(r.run_id),
          requestedAt: String(r.requested_at),
          finishedAt: String(r.finished_at),
          durationMs: Number(r.duration_ms),
          requests: Number(r.requests),
          counts: JSON.parse(String(r.counts)) as OutcomeCounts,
          recent: (JSON.parse(String(r.recent)) as Array<{ counts: OutcomeCounts }>).map((x) => x.counts),
        },
      ]),
    )
  }

  /** Every target's case states: `target` → `case` → state. */
  async allCaseStates(): Promise<Map<string, Map<string, CaseState>>> {
    await this.ready()
    const { results } = await this.d1(() => this.db.prepare('SELECT * FROM case_state').all<Record<string, unknown>>())
    const out = new Map<string, Map<string, CaseState>>()
    for (const r of results) {
      const m = out.get(String(r.target)) ?? new Map<string, CaseState>()
      m.set(String(r.case_key), caseStateOf(r))
      out.set(String(r.target), m)
    }
    return out
  }

  /** Whether a part was already done (a queue may deliver a message twice). */
  async partIsDone(runId: string, part: number): Promise<boolean> {
    const row = await this.budget.op(() => this.db.prepare('SELECT done_at FROM parts WHERE run_id = ? AND part = ?').bind(runId, part).first<{ done_at: string | null }>())
    return !!row?.done_at
  }

  /**
   * Work of runs that should have finished by `before` but did not: their parts not done (whose
   * messages were lost or ran out of retries), and runs whose parts are all done but that were
   * never completed.
   */
  async stalledWork(before: string, limit: number): Promise<Array<{ runId: string; target: string; part?: number; cases?: string[] }>> {
    const { results } = await this.budget.op(() =>
      this.db
        .prepare(
          `SELECT r.id AS run_id, r.target AS target, p.part AS part, p.cases AS cases FROM runs r LEFT JOIN parts p ON p.run_id = r.id AND p.done_at IS NULL
           WHERE r.status != 'done' AND r.requested_at < ? ORDER BY r.requested_at LIMIT ?`,
        )
        .bind(before, limit)
        .all<{ run_id: string; target: string; part: number | null; cases: string | null }>(),
    )
    return results.map((r) => ({ runId: r.run_id, target: r.target, part: r.part ?? undefined, cases: r.cases ? (JSON.parse(r.cases) as string[]) : undefined }))
  }

  async markRunning(runId: string, at: string): Promise<void> {
    await this.budget.op(() => this.db.prepare("UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?) WHERE id = ?").bind(at, runId).run())
  }

  /**
   * Stores a part's report and counts it done, once: a part delivered twice (queues deliver at
   * least once) is not counted twice. Returns whether this call completed the run.
   */
  async partDone(runId: string, part: number, report: Report, at: string): Promise<{ complete: boolean; counted: boolean }> {
    await this.budget.op(() => this.env.REPORTS.put(partKey(runId, part), JSON.stringify(report), { httpMetadata: { contentType: 'application/json' } }))
    const [marked, progress] = await this.budget.op(() =>
      this.db.batch([
        this.db.prepare('UPDATE parts SET done_at = ?, subrequests = ?, ops = ? WHERE run_id = ? AND part = ? AND done_at IS NULL').bind(at, this.budget.subrequests, this.budget.ops, runId, part),
        this.db.prepare('UPDATE runs SET parts_done = (SELECT COUNT(*) FROM parts WHERE run_id = ?1 AND done_at IS NOT NULL) WHERE id = ?1 RETURNING parts_done, parts').bind(runId),
      ]),
    )
    const row = progress?.results[0] as { parts_done: number; parts: number } | undefined
    // Complete whenever every part is done, also for a part delivered again: the completion is idempotent.
    return { counted: (marked?.meta.changes ?? 0) > 0, complete: !!row && row.parts_done >= row.parts }
  }

  async partReports(runId: string, parts: number): Promise<Report[]> {
    return Promise.all(
      Array.from({ length: parts }, async (_, i) => {
        const o = await this.budget.op(() => this.env.REPORTS.get(partKey(runId, i)))
        if (!o) throw new Error(`part ${i} of run ${runId} has no report`)
        return JSON.parse(await o.text()) as Report
      }),
    )
  }

  async putReport(report: Report): Promise<void> {
    await this.budget.op(() => this.env.REPORTS.put(reportKey(report.runId), JSON.stringify(report), { httpMetadata: { contentType: 'application/json' } }))
  }

  async deleteParts(runId: string, parts: number): Promise<void> {
    await this.budget.op(() => this.env.REPORTS.delete(Array.from({ length: parts }, (_, i) => partKey(runId, i))))
  }

  async report(runId: string): Promise<Report | undefined> {
    if (!RUN_ID.test(runId)) return undefined
    const o = await this.budget.op(() => this.env.REPORTS.get(reportKey(runId)))
    return o ? (JSON.parse(await o.text()) as Report) : undefined
  }

  // States and alerts -----------------------------------------------------------------------

  async caseStates(target: string): Promise<Map<string, CaseState>> {
    await this.ready()
    const { results } = await this.d1(() => this.db.prepare('SELECT * FROM case_state WHERE target = ?').bind(target).all<Record<string, unknown>>())
    return new Map(results.map((r) => [String(r.case_key), caseStateOf(r)]))
  }

  async targetStates(): Promise<Map<string, TargetState & { lastScheduled?: string }>> {
    await this.ready()
    const { results } = await this.d1(() => this.db.prepare('SELECT * FROM target_state').all<Record<string, unknown>>())
    return new Map(
      results.map((r) => [
        String(r.target),
        { state: r.state as TargetState['state'], since: String(r.since), error: (r.error as string | null) ?? undefined, lastScheduled: (r.last_scheduled as string | null) ?? undefined },
      ]),
    )
  }

  /**
   * A finished run, atomically: its summary and results, the new case and target states, and the
   * alert it raised (the outbox row that work.ts delivers). One D1 batch.
   */
  async finishRun(f: {
    run: RunRow & { finishedAt: string; startedAt: string; durationMs: number; requests: number; counts: OutcomeCounts; results: Record<string, [string, number]> }
    cases: Map<string, CaseState>
    target: TargetState
    alert?: { id: string; body: string }
    snapshot?: { metadataHash?: string; jwksHash?: string; summary: unknown }
  }): Promise<void> {
    const r = f.run
    const db = this.db
    const statements = [
      db
        .prepare("UPDATE runs SET status = 'done', started_at = ?, finished_at = ?, duration_ms = ?, requests = ?, counts = ?, results = ?, error = ? WHERE id = ?")
        .bind(r.startedAt, r.finishedAt, r.durationMs, r.requests, JSON.stringify(r.counts), JSON.stringify(r.results), r.error ?? null, r.id),
      db
        .prepare(
          `INSERT INTO case_state (target, case_key, state, since, run_id, flips, seen)
           SELECT ?1, key, json_extract(value, '$.state'), json_extract(value, '$.since'), json_extract(value, '$.runId'), json_extract(value, '$.flips'), json_extract(value, '$.seen')
           FROM json_each(?2) WHERE true
           ON CONFLICT (target, case_key) DO UPDATE SET state = excluded.state, since = excluded.since, run_id = excluded.run_id, flips = excluded.flips, seen = excluded.seen`,
        )
        .bind(r.target, JSON.stringify(Object.fromEntries(f.cases))),
      db
        .prepare('INSERT INTO target_state (target, state, since, error) VALUES (?, ?, ?, ?) ON CONFLICT (target) DO UPDATE SET state = excluded.state, since = excluded.since, error = excluded.error')
        .bind(r.target, f.target.state, f.target.since, f.target.error ?? null),
      // The latest run, unless a run requested later has already finished (runs of one target may overlap).
      db
        .prepare(
          `INSERT INTO target_latest (target, run_id, requested_at, finished_at, duration_ms, requests, counts, recent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '[]')
           ON CONFLICT (target) DO UPDATE SET run_id = excluded.run_id, requested_at = excluded.requested_at, finished_at = excluded.finished_at,
             duration_ms = excluded.duration_ms, requests = excluded.requests, counts = excluded.counts
           WHERE (excluded.requested_at, excluded.run_id) >= (target_latest.requested_at, target_latest.run_id)`,
        )
        .bind(r.target, r.id, r.requestedAt, r.finishedAt, r.durationMs, r.requests, JSON.stringify(r.counts)),
      // Its counts among the last RECENT_RUNS, in request order, once (a completion delivered twice adds nothing).
      db
        .prepare(
          `UPDATE target_latest SET recent = (
             SELECT json_group_array(json(value)) FROM (
               SELECT value FROM (SELECT json_object('id', ?2, 'at', ?3, 'counts', json(?4)) AS value
                                  UNION ALL SELECT value FROM json_each(target_latest.recent) WHERE json_extract(value, '$.id') != ?2)
               ORDER BY json_extract(value, '$.at') DESC, json_extract(value, '$.id') DESC LIMIT ?5))
           WHERE target = ?1`,
        )
        .bind(r.target, r.id, r.requestedAt, JSON.stringify(r.counts), RECENT_RUNS),
    ]
    if (f.alert) statements.push(db.prepare('INSERT INTO alerts (id, target, run_id, created_at, body) VALUES (?, ?, ?, ?, ?)').bind(f.alert.id, r.target, r.id, r.finishedAt, f.alert.body))
    if (f.snapshot)
      statements.push(
        db
          .prepare('INSERT OR REPLACE INTO snapshots (target, run_id, at, metadata_hash, jwks_hash, summary) VALUES (?, ?, ?, ?, ?, ?)')
          .bind(r.target, r.id, r.finishedAt, f.snapshot.metadataHash ?? null, f.snapshot.jwksHash ?? null, JSON.stringify(f.snapshot.summary)),
      )
    await this.budget.op(() => db.batch(statements))
  }

  /**
   * Claims an alert for one delivery attempt, atomically: only an alert neither delivered nor given
   * up, whose last claim has lapsed by `now`, is claimed (until `until`), so of the messages that
   * deliver one alert at once (a queue's duplicate, a cron re-queue) one sends it (issue 25).
   * Undefined when it was not claimed: delivered, given up, gone, or another attempt holds it.
   */
  async claimAlert(id: string, now: string, until: string): Promise<{ id: string; body: string; createdAt: string; attempts: number } | undefined> {
    await this.ready()
    const { results } = await this.budget.op(() =>
      this.db
        .prepare(
          `UPDATE alerts SET claimed_until = ?1 WHERE id = ?2 AND delivered_at IS NULL AND given_up_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?3)
           RETURNING id, body, created_at, attempts`,
        )
        .bind(until, id, now)
        .all<Record<string, unknown>>(),
    )
    const row = results[0]
    return row ? { id: String(row.id), body: String(row.body), createdAt: String(row.created_at), attempts: Number(row.attempts) } : undefined
  }

  /**
   * Records a delivery attempt: delivered (the claim released), refused and claimed until its
   * retry is due (`claimedUntil`), or refused and given up.
   */
  async alertAttempt(id: string, at: string, error?: string, next: { claimedUntil?: string; givenUp?: boolean } = {}): Promise<void> {
    await this.budget.op(() =>
      this.db
        .prepare(
          `UPDATE alerts SET attempts = attempts + 1, delivered_at = CASE WHEN ?2 IS NULL THEN ?1 ELSE delivered_at END, last_error = ?2,
             claimed_until = ?4, given_up_at = CASE WHEN ?5 THEN ?1 ELSE given_up_at END WHERE id = ?3`,
        )
        .bind(at, error ?? null, id, next.claimedUntil ?? null, next.givenUp ? 1 : 0)
        .run(),
    )
  }

  /**
   * Alerts to re-queue: not delivered nor given up, created before `before`, and claimed by no
   * attempt since `before` (their delivery chain was lost, or ran out of retries). An alert whose
   * chain is alive holds a claim until its next retry, so it is not queued a second time.
   */
  async undeliveredAlerts(before: string, limit: number): Promise<string[]> {
    const { results } = await this.budget.op(() =>
      this.db
        .prepare('SELECT id FROM alerts WHERE delivered_at IS NULL AND given_up_at IS NULL AND created_at < ?1 AND (claimed_until IS NULL OR claimed_until < ?1) ORDER BY created_at LIMIT ?2')
        .bind(before, limit)
        .all<{ id: string }>(),
    )
    return results.map((r) => r.id)
  }

  async recentAlerts(
    target: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; target: string; runId: string; createdAt: string; body: string; deliveredAt?: string; attempts: number; lastError?: string; givenUpAt?: string }>> {
    await this.ready()
    // Two statements, so that each reads only its `limit` rows through alerts_by_target or alerts_by_time.
    const { results } = await this.d1(() =>
      (target === undefined
        ? this.db.prepare('SELECT * FROM alerts ORDER BY created_at DESC LIMIT ?').bind(limit)
        : this.db.prepare('SELECT * FROM alerts WHERE target = ? ORDER BY created_at DESC LIMIT ?').bind(target, limit)
      ).all<Record<string, unknown>>(),
    )
    return results.map((r) => ({
      id: String(r.id),
      target: String(r.target),
      runId: String(r.run_id),
      createdAt: String(r.created_at),
      body: String(r.body),
      deliveredAt: (r.delivered_at as string | null) ?? undefined,
      attempts: Number(r.attempts),
      lastError: (r.last_error as string | null) ?? undefined,
      givenUpAt: (r.given_up_at as string | null) ?? undefined,
    }))
  }

  // History ---------------------------------------------------------------------------------

  /** A case's outcomes in a target's finished runs that ran it, newest first. */
  async caseHistory(target: string, key: string, limit: number): Promise<Array<{ runId: string; at: string; outcome: string; ms: number }>> {
    await this.ready()
    const { results } = await this.budget.op(() =>
      this.db
        .prepare(
          `SELECT id, finished_at, json_extract(results, '$."' || ?2 || '"') AS r FROM runs
           WHERE target = ?1 AND status = 'done' AND json_extract(results, '$."' || ?2 || '"') IS NOT NULL
           ORDER BY finished_at DESC LIMIT ?3`,
        )
        .bind(target, key.replace(/"/g, ''), limit)
        .all<{ id: string; finished_at: string; r: string }>(),
    )
    return results.map((row) => {
      const [outcome, ms] = JSON.parse(row.r) as [string, number]
      return { runId: row.id, at: row.finished_at, outcome, ms }
    })
  }

  async snapshots(target: string, limit: number): Promise<Array<{ runId: string; at: string; metadataHash?: string; jwksHash?: string; summary: unknown }>> {
    await this.ready()
    const { results } = await this.d1(() => this.db.prepare('SELECT * FROM snapshots WHERE target = ? ORDER BY at DESC LIMIT ?').bind(target, limit).all<Record<string, unknown>>())
    return results.map((r) => ({
      runId: String(r.run_id),
      at: String(r.at),
      metadataHash: (r.metadata_hash as string | null) ?? undefined,
      jwksHash: (r.jwks_hash as string | null) ?? undefined,
      summary: JSON.parse(String(r.summary)),
    }))
  }

  // Scheduling and housekeeping ---------------------------------------------------------------

  async recordInvocation(kind: string, target: string | undefined, runId: string | undefined, at: string): Promise<void> {
    // Counts itself first, so the record holds everything the invocation spent.
    const ops = this.budget.ops + 1
    await this.budget.op(() =>
      this.db
        .prepare('INSERT INTO invocations (at, kind, target, run_id, subrequests, ops) VALUES (?, ?, ?, ?, ?, ?)')
        .bind(at, kind, target ?? null, runId ?? null, this.budget.subrequests, ops)
        .run(),
    )
  }

  /**
   * Deletes what is older than `before`, in bounded batches: finished runs, and unfinished ones
   * requested before `unfinishedBefore` (by then they never will finish), with their reports and parts, alerts (delivered or not: one that old is
   * wanted by nobody), snapshots, invocations and latest rows; and the case, target and latest
   * states of targets not in `configured` (left alone when it is undefined). At most
   * {@link PRUNE_BATCHES} batches, each a few binding calls and a bounded number of rows, and never
   * past the budget: a backlog is worked off over successive ticks (`more`).
   */
  async prune(before: string, configured: string[] | undefined, unfinishedBefore = before): Promise<PruneCounts> {
    await this.ready()
    const out: PruneCounts = { runs: 0, reports: 0, alerts: 0, snapshots: 0, invocations: 0, states: 0, batches: 0, more: false }
    const db = this.db
    const names = configured && JSON.stringify(configured)
    for (;;) {
      if (out.batches >= PRUNE_BATCHES || this.budget.used + PRUNE_BATCH_OPS >= this.budget.limit) {
        out.more = true
        break
      }
      out.batches++
      const { results: runs } = await this.d1(() =>
        db
          .prepare("SELECT id, parts FROM runs WHERE requested_at < ?1 AND (status = 'done' OR requested_at < ?2) ORDER BY requested_at LIMIT ?3")
          .bind(before, unfinishedBefore, PRUNE_RUNS)
          .all<{ id: string; parts: number }>(),
      )
      const keys = runs.flatMap((r) => [reportKey(r.id), ...Array.from({ length: r.parts }, (_, i) => partKey(r.id, i))])
      // Reports first: a run row is only deleted once nothing of it is left in R2.
      for (let i = 0; i < keys.length; i += 1000) await this.budget.op(() => this.env.REPORTS.delete(keys.slice(i, i + 1000)))
      const ids = JSON.stringify(runs.map((r) => r.id))
      const statements = [
        db.prepare('DELETE FROM parts WHERE run_id IN (SELECT value FROM json_each(?))').bind(ids),
        db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').bind(ids),
        db.prepare('DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE created_at < ? ORDER BY created_at LIMIT ?)').bind(before, PRUNE_ROWS),
        db.prepare('DELETE FROM snapshots WHERE rowid IN (SELECT rowid FROM snapshots WHERE at < ? ORDER BY at LIMIT ?)').bind(before, PRUNE_ROWS),
        db.prepare('DELETE FROM invocations WHERE rowid IN (SELECT rowid FROM invocations WHERE at < ? ORDER BY at LIMIT ?)').bind(before, PRUNE_ROWS),
        db.prepare('DELETE FROM target_latest WHERE finished_at < ?').bind(before),
      ]
      if (names)
        statements.push(
          // The case states of removed targets, a bounded number at a time (through the primary key,
          // target by target); a target's own row goes once its case states are gone.
          db
            .prepare(
              `DELETE FROM case_state WHERE rowid IN (SELECT rowid FROM case_state WHERE target IN
                 (SELECT target FROM target_state WHERE target NOT IN (SELECT value FROM json_each(?1))) LIMIT ?2)`,
            )
            .bind(names, PRUNE_ROWS),
          db.prepare('DELETE FROM target_state WHERE target NOT IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM case_state c WHERE c.target = target_state.target)').bind(names),
          db.prepare('DELETE FROM target_latest WHERE target NOT IN (SELECT value FROM json_each(?))').bind(names),
        )
      const done = await this.d1(() => db.batch(statements))
      const changes = done.map((d) => d.meta.changes ?? 0)
      out.runs += changes[1] ?? 0
      out.reports += keys.length
      out.alerts += changes[2] ?? 0
      out.snapshots += changes[3] ?? 0
      out.invocations += changes[4] ?? 0
      out.states += changes.slice(5).reduce((a, b) => a + b, 0)
      const full = runs.length === PRUNE_RUNS || changes.slice(2, 5).some((n) => n >= PRUNE_ROWS) || (names !== undefined && (changes[6] ?? 0) >= PRUNE_ROWS)
      if (!full) break
    }
    return out
  }

  /** The statement that records when targets were last scheduled, for createRuns' batch. */
  markScheduled(targets: string[], at: string): { sql: string; args: unknown[] } {
    return {
      sql: `INSERT INTO target_state (target, state, since, last_scheduled) SELECT value, 'up', ?1, ?1 FROM json_each(?2) WHERE true
            ON CONFLICT (target) DO UPDATE SET last_scheduled = ?1`,
      args: [at, JSON.stringify(targets)],
    }
  }

  /** The targets found overdue and not back yet: `target` → since when (the alert's `since`). */
  async overdueTargets(): Promise<Map<string, string>> {
    await this.ready()
    const { results } = await this.d1(() => this.db.prepare('SELECT target, since FROM target_overdue').all<{ target: string; since: string }>())
    return new Map(results.map((r) => [r.target, r.since]))
  }

  /**
   * Targets that became overdue or are back, with their alerts, in one D1 batch. An alert's id
   * names its target and since when, so a tick that runs twice writes it once.
   */
  async markOverdue(changes: Array<{ target: string; since: string; back: boolean; alert: { id: string; runId: string; at: string; body: string } }>): Promise<void> {
    if (!changes.length) return
    const db = this.db
    const statements = changes.flatMap((c) => [
      c.back
        ? db.prepare('DELETE FROM target_overdue WHERE target = ?').bind(c.target)
        : db.prepare('INSERT INTO target_overdue (target, since, alert_id) VALUES (?, ?, ?) ON CONFLICT (target) DO NOTHING').bind(c.target, c.since, c.alert.id),
      db.prepare('INSERT OR IGNORE INTO alerts (id, target, run_id, created_at, body) VALUES (?, ?, ?, ?, ?)').bind(c.alert.id, c.target, c.alert.runId, c.alert.at, c.alert.body),
    ])
    await this.budget.op(() => db.batch(statements))
  }
}

/** The latest run as `target_latest` holds it, from a target's newest runs (newest first). */
export function latestOf(runs: RunRow[]): LatestRun | undefined {
  const done = runs.filter((r) => r.status === 'done' && r.counts)
  const last = done[0]
  if (!last) return undefined
  return {
    runId: last.id,
    requestedAt: last.requestedAt,
    finishedAt: last.finishedAt ?? '',
    durationMs: last.durationMs ?? 0,
    requests: last.requests ?? 0,
    counts: last.counts!,
    recent: done.slice(0, RECENT_RUNS).map((r) => r.counts!),
  }
}

function caseStateOf(r: Record<string, unknown>): CaseState {
  return { state: r.state as CaseState['state'], since: String(r.since), runId: String(r.run_id), flips: Number(r.flips), seen: Number(r.seen) }
}

function toRun(r: Record<string, unknown>): RunRow {
  const opt = <T>(v: unknown, f: (x: unknown) => T): T | undefined => (v === null || v === undefined ? undefined : f(v))
  return {
    id: String(r.id),
    target: String(r.target),
    trigger: r.trigger as Trigger,
    suites: opt(r.suites, (x) => JSON.parse(String(x)) as string[]) ?? null,
    caseCount: Number(r.case_count),
    parts: Number(r.parts),
    partsDone: Number(r.parts_done),
    status: r.status as RunStatus,
    requestedAt: String(r.requested_at),
    startedAt: opt(r.started_at, String),
    finishedAt: opt(r.finished_at, String),
    durationMs: opt(r.duration_ms, Number),
    requests: opt(r.requests, Number),
    counts: opt(r.counts, (x) => JSON.parse(String(x)) as OutcomeCounts),
    results: opt(r.results, (x) => JSON.parse(String(x)) as Record<string, [string, number]>),
    error: opt(r.error, String),
    confirms: opt(r.confirms, String),
  }
}
