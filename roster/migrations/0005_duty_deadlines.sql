-- 0005: the moments the duty flows act at (package roster/duty). Each is
-- stored before it is armed, so a restart re-arms every open one; the key
-- is unique, so planning the same moment again adds nothing.

CREATE TABLE duty_deadlines (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    duty_date  TEXT NOT NULL DEFAULT '',
    shift      TEXT NOT NULL DEFAULT '',
    userid     TEXT NOT NULL DEFAULT '',
    ref        INTEGER NOT NULL DEFAULT 0,
    due_at     TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open',
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    closed_at  TEXT
);

CREATE INDEX duty_deadlines_open ON duty_deadlines (due_at) WHERE status = 'open';
