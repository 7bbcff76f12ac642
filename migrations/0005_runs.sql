-- Runs that respect the tenant and a watched watcher (issue 25): who started which manual run (the per-caller limit), and the targets found overdue (each alerts once, and once when it is back).
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
