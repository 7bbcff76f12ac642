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

const reportKey = (runId: string) => `reports/${runId}.json`
const partKey = (runId: string, part: number) => `parts/${runId}/${part}.json`
/** Run ids are made here (engine-like: time and randomness); anything else is not a run id. */
const RUN_ID = /^[0-9TZ]{16}-[0-9a-f]{6,12}$/

let schemaReady: Promise<unknown> | undefined

export class Store {
  private readonly env: Env
  readonly budget: Budget

  constructor(env: Env, budget: Budget) {
    this.env = env
    this.budget = budget
  }

  private get db() {
    return this.env.DB
  }

  /** Creates the tables once per isolate (one batch); a failure lets the next call try again. */
  async ready(): Promise<void> {
    schemaReady ??= this.budget
      .op(() => this.db.batch(SCHEMA_STATEMENTS.map((s) => this.db.prepare(s))))
      .catch((e: unknown) => {
        schemaReady = undefined
        throw e
      })
    await schemaReady
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
    const { results } = await this.budget.op(() =>
      this.db
        .prepare(sql)
        .bind(options.target ?? null, options.before ?? null, options.limit)
        .all(),
    )
    return results.map(toRun)
  }

  /** The newest `perTarget` runs of every target, newest first: one query for the whole dashboard. */
  async recentRuns(perTarget: number): Promise<RunRow[]> {
    await this.ready()
    const { results } = await this.budget.op(() =>
      this.db
        .prepare('SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY requested_at DESC, id DESC) AS n FROM runs) WHERE n <= ? ORDER BY requested_at DESC, id DESC')
        .bind(perTarget)
        .all(),
    )
    return results.map(toRun)
  }

  /** Every target's case states: `target` → `case` → state. */
  async allCaseStates(): Promise<Map<string, Map<string, CaseState>>> {
    await this.ready()
    const { results } = await this.budget.op(() => this.db.prepare('SELECT * FROM case_state').all<Record<string, unknown>>())
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
    const { results } = await this.budget.op(() => this.db.prepare('SELECT * FROM case_state WHERE target = ?').bind(target).all<Record<string, unknown>>())
    return new Map(results.map((r) => [String(r.case_key), caseStateOf(r)]))
  }

  async targetStates(): Promise<Map<string, TargetState & { lastScheduled?: string }>> {
    await this.ready()
    const { results } = await this.budget.op(() => this.db.prepare('SELECT * FROM target_state').all<Record<string, unknown>>())
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

  async alert(id: string): Promise<{ id: string; body: string; deliveredAt?: string; attempts: number } | undefined> {
    await this.ready()
    const row = await this.budget.op(() => this.db.prepare('SELECT * FROM alerts WHERE id = ?').bind(id).first<Record<string, unknown>>())
    return row ? { id: String(row.id), body: String(row.body), deliveredAt: (row.delivered_at as string | null) ?? undefined, attempts: Number(row.attempts) } : undefined
  }

  async alertAttempt(id: string, at: string, error?: string): Promise<void> {
    await this.budget.op(() =>
      this.db
        .prepare('UPDATE alerts SET attempts = attempts + 1, delivered_at = CASE WHEN ?2 IS NULL THEN ?1 ELSE delivered_at END, last_error = ?2 WHERE id = ?3')
        .bind(at, error ?? null, id)
        .run(),
    )
  }

  /** Alerts not yet delivered, created before `before` (their queue message may have been lost). */
  async undeliveredAlerts(before: string, limit: number): Promise<string[]> {
    const { results } = await this.budget.op(() =>
      this.db.prepare('SELECT id FROM alerts WHERE delivered_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?').bind(before, limit).all<{ id: string }>(),
    )
    return results.map((r) => r.id)
  }

  async recentAlerts(
    target: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; target: string; runId: string; createdAt: string; body: string; deliveredAt?: string; attempts: number; lastError?: string }>> {
    await this.ready()
    const { results } = await this.budget.op(() =>
      this.db
        .prepare('SELECT * FROM alerts WHERE (?1 IS NULL OR target = ?1) ORDER BY created_at DESC LIMIT ?2')
        .bind(target ?? null, limit)
        .all<Record<string, unknown>>(),
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
    const { results } = await this.budget.op(() => this.db.prepare('SELECT * FROM snapshots WHERE target = ? ORDER BY at DESC LIMIT ?').bind(target, limit).all<Record<string, unknown>>())
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

  /** Deletes what is older than `before`: up to `maxReports` finished runs with their parts and reports, delivered alerts, snapshots, invocations. */
  async prune(before: string, maxReports: number): Promise<{ runs: number; reports: number }> {
    await this.ready()
    // Finished runs only: a run still in the queue is never pulled from under its parts.
    const { results } = await this.budget.op(() =>
      this.db.prepare("SELECT id, parts FROM runs WHERE requested_at < ? AND status = 'done' ORDER BY requested_at LIMIT ?").bind(before, maxReports).all<{ id: string; parts: number }>(),
    )
    if (results.length) {
      const keys = results.flatMap((r) => [reportKey(r.id), ...Array.from({ length: r.parts }, (_, i) => partKey(r.id, i))])
      await this.budget.op(() => this.env.REPORTS.delete(keys))
      const ids = JSON.stringify(results.map((r) => r.id))
      await this.budget.op(() =>
        this.db.batch([
          this.db.prepare('DELETE FROM parts WHERE run_id IN (SELECT value FROM json_each(?))').bind(ids),
          this.db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').bind(ids),
        ]),
      )
    }
    await this.budget.op(() =>
      this.db.batch([
        this.db.prepare('DELETE FROM alerts WHERE created_at < ? AND delivered_at IS NOT NULL').bind(before),
        this.db.prepare('DELETE FROM snapshots WHERE at < ?').bind(before),
        this.db.prepare('DELETE FROM invocations WHERE at < ?').bind(before),
      ]),
    )
    return { runs: results.length, reports: results.length }
  }

  /** The statement that records when targets were last scheduled, for createRuns' batch. */
  markScheduled(targets: string[], at: string): { sql: string; args: unknown[] } {
    return {
      sql: `INSERT INTO target_state (target, state, since, last_scheduled) SELECT value, 'up', ?1, ?1 FROM json_each(?2) WHERE true
            ON CONFLICT (target) DO UPDATE SET last_scheduled = ?1`,
      args: [at, JSON.stringify(targets)],
    }
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
