/**
 * The D1 schema. Applied with `CREATE … IF NOT EXISTS` once per isolate (one batch), so a fresh
 * database works without a migration step; the files of `migrations/` hold the same text, in
 * order, for `wrangler d1 migrations apply`, and a test keeps the two equal.
 *
 * Per-case results are a JSON object per run (`results`), not a row per case: a run writes one
 * row whatever its size, which keeps every invocation far below D1's per-invocation query limit.
 * `targets` holds the monitored targets (0002): each body is a target file's JSON with its
 * `monitor`, secrets only as `{ "env": "VAR" }` references.
 *
 * `target_latest` (0003) is what the pages read instead of the history: per target, its last
 * finished run and the counts of its last runs, written with the run (store.finishRun). The
 * indexes of 0003 let every read and every retention delete touch only the rows it needs.
 *
 * `run_requests` (0005) holds who started which manual run, for the per-caller limit (a run
 * request merged into a pending run starts nothing and is not recorded); `target_overdue` the
 * targets found overdue, so that each alerts once and once when it is back (watch.ts).
 *
 * `alerts.claimed_until` and `alerts.given_up_at` (0006) keep one delivery chain per alert
 * (work.ts deliver). SQLite has no `ADD COLUMN IF NOT EXISTS`, so the columns are not in the
 * `CREATE TABLE` (a fresh database gets them from the `ALTER`, as an existing one does) and
 * store.ready runs an `ALTER TABLE … ADD COLUMN` only where the column is missing.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  trigger TEXT NOT NULL,
  suites TEXT,
  case_count INTEGER NOT NULL,
  parts INTEGER NOT NULL,
  parts_done INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  duration_ms INTEGER,
  requests INTEGER,
  counts TEXT,
  results TEXT,
  error TEXT,
  confirms TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_target ON runs (target, requested_at DESC);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (requested_at);
CREATE TABLE IF NOT EXISTS parts (
  run_id TEXT NOT NULL,
  part INTEGER NOT NULL,
  cases TEXT NOT NULL,
  done_at TEXT,
  subrequests INTEGER,
  ops INTEGER,
  PRIMARY KEY (run_id, part)
);
CREATE TABLE IF NOT EXISTS case_state (
  target TEXT NOT NULL,
  case_key TEXT NOT NULL,
  state TEXT NOT NULL,
  since TEXT NOT NULL,
  run_id TEXT NOT NULL,
  flips INTEGER NOT NULL,
  seen INTEGER NOT NULL,
  PRIMARY KEY (target, case_key)
);
CREATE TABLE IF NOT EXISTS target_state (
  target TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since TEXT NOT NULL,
  error TEXT,
  last_scheduled TEXT
);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  run_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  body TEXT NOT NULL,
  delivered_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (delivered_at, created_at);
CREATE TABLE IF NOT EXISTS snapshots (
  target TEXT NOT NULL,
  run_id TEXT NOT NULL,
  at TEXT NOT NULL,
  metadata_hash TEXT,
  jwks_hash TEXT,
  summary TEXT NOT NULL,
  PRIMARY KEY (target, run_id)
);
CREATE TABLE IF NOT EXISTS invocations (
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT,
  run_id TEXT,
  subrequests INTEGER NOT NULL,
  ops INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS targets (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS target_latest (
  target TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  counts TEXT NOT NULL,
  recent TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_target_id ON runs (target, requested_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (created_at);
CREATE INDEX IF NOT EXISTS alerts_by_target ON alerts (target, created_at);
CREATE INDEX IF NOT EXISTS snapshots_by_target ON snapshots (target, at);
CREATE INDEX IF NOT EXISTS snapshots_by_time ON snapshots (at);
CREATE INDEX IF NOT EXISTS invocations_by_time ON invocations (at);
CREATE INDEX IF NOT EXISTS runs_unfinished ON runs (requested_at) WHERE status != 'done';
CREATE TABLE IF NOT EXISTS run_requests (
  target TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  at TEXT NOT NULL,
  run_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_requests_by_caller ON run_requests (target, requested_by, at);
CREATE TABLE IF NOT EXISTS target_overdue (
  target TEXT PRIMARY KEY,
  since TEXT NOT NULL,
  alert_id TEXT NOT NULL
);
ALTER TABLE alerts ADD COLUMN claimed_until TEXT;
ALTER TABLE alerts ADD COLUMN given_up_at TEXT;
`

/** The schema as separate statements, for one D1 batch. */
export const SCHEMA_STATEMENTS = SCHEMA.split(';')
  .map((s) => s.trim())
  .filter(Boolean)
