-- The monitored targets: one row per target, its body the target file's JSON with its "monitor" (secrets as { "env": "VAR" } only).
CREATE TABLE IF NOT EXISTS targets (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
