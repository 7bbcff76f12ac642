/**
 * The D1 schema. Applied with `CREATE … IF NOT EXISTS` once per isolate (one batch), so a fresh
 * database works without a migration step; `migrations/0001_monitoring.sql` holds the same text
 * for `wrangler d1 migrations apply`, and a test keeps the two equal.
 *
 * Per-case results are a JSON object per run (`results`), not a row per case: a run writes one
 * row whatever its size, which keeps every invocation far below D1's per-invocation query limit.
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
`

/** The schema as separate statements, for one D1 batch. */
export const SCHEMA_STATEMENTS = SCHEMA.split(';')
  .map((s) => s.trim())
  .filter(Boolean)
