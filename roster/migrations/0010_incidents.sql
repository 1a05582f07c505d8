-- 0010: quick reports, their follow-ups, and leaders' instructions (批示)
-- (package roster/incident).

CREATE TABLE incident_reports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    number           TEXT NOT NULL UNIQUE,
    category         TEXT NOT NULL,
    level            TEXT NOT NULL,
    sensitive        INTEGER NOT NULL DEFAULT 0,
    occurred_at      TEXT,
    known_at         TEXT NOT NULL,
    place            TEXT NOT NULL DEFAULT '',
    summary          TEXT NOT NULL,
    casualties       TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL DEFAULT '',
    reporter         TEXT NOT NULL DEFAULT '',
    filed_by         TEXT NOT NULL REFERENCES members (userid),
    filed_at         TEXT NOT NULL,
    duty_date        TEXT NOT NULL DEFAULT '',
    shift            TEXT NOT NULL DEFAULT '',
    due_at           TEXT NOT NULL,
    late_seconds     INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'open',
    next_followup_at TEXT,
    closed_at        TEXT,
    escalation_id    TEXT NOT NULL DEFAULT ''
);

CREATE INDEX incident_reports_filed ON incident_reports (filed_at);

CREATE TABLE incident_followups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id    INTEGER NOT NULL REFERENCES incident_reports (id),
    kind         TEXT NOT NULL,
    content      TEXT NOT NULL,
    by_user      TEXT NOT NULL,
    at           TEXT NOT NULL,
    late_seconds INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX incident_followups_report ON incident_followups (report_id, id);

CREATE TABLE incident_instructions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id     INTEGER NOT NULL REFERENCES incident_reports (id),
    leader        TEXT NOT NULL,
    content       TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    officer       TEXT NOT NULL DEFAULT '',
    relay_due     TEXT NOT NULL,
    relayed_at    TEXT,
    relayed_to    TEXT NOT NULL DEFAULT '',
    feedback_due  TEXT NOT NULL,
    feedback_at   TEXT,
    feedback_by   TEXT NOT NULL DEFAULT '',
    feedback      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'delivered',
    escalation_id TEXT NOT NULL DEFAULT ''
);

CREATE INDEX incident_instructions_report ON incident_instructions (report_id, id);
CREATE INDEX incident_instructions_issued ON incident_instructions (issued_at);
