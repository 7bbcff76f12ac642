-- Per-target latest state (the pages read it, never the history), and the indexes that keep reads and retention deletes bounded (issue 25).
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
