-- 0003: phones and escalations (package push keeps these tables; they live in
-- the same database so one backup holds everything).

CREATE TABLE devices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    userid      TEXT NOT NULL REFERENCES members (userid),
    platform    TEXT NOT NULL,
    token       TEXT NOT NULL,
    topic       TEXT NOT NULL DEFAULT '',
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    UNIQUE (platform, token)
);

CREATE INDEX devices_userid ON devices (userid);

CREATE TABLE pairing_codes (
    code       TEXT PRIMARY KEY,
    userid     TEXT NOT NULL REFERENCES members (userid),
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE escalations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    urgency     TEXT NOT NULL,
    policy      TEXT NOT NULL,
    status      TEXT NOT NULL,
    step        INTEGER NOT NULL DEFAULT 0,
    round       INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT,
    created_at  TEXT NOT NULL,
    acked_by    TEXT NOT NULL DEFAULT '',
    acked_via   TEXT NOT NULL DEFAULT '',
    acked_at    TEXT,
    closed_at   TEXT
);

-- Open escalations with a deadline: what a restarted process re-arms.
CREATE INDEX escalations_open ON escalations (next_at) WHERE status = 'open';
CREATE INDEX escalations_subject ON escalations (kind, subject);

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    escalation_id TEXT NOT NULL REFERENCES escalations (id),
    step          INTEGER NOT NULL,
    round         INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    target        TEXT NOT NULL,
    provider_id   TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    error         TEXT NOT NULL DEFAULT '',
    latency_ms    INTEGER NOT NULL DEFAULT 0,
    at            TEXT NOT NULL
);

CREATE INDEX notifications_escalation ON notifications (escalation_id, id);
