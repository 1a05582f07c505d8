-- 0007: spot checks (查岗, package roster/duty). One row per officer checked;
-- a row is never deleted: status moves from pending to answered (in time)
-- or missed (脱岗), and a late answer is recorded beside a missed status.
-- trigger_key names the random check (the deadline's key) that created the
-- row, so a re-run after a crash finds it instead of checking twice; it is
-- '' for checks a leader asked for.

CREATE TABLE spot_checks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    duty_date     TEXT NOT NULL,
    shift         TEXT NOT NULL,
    userid        TEXT NOT NULL REFERENCES members (userid),
    requested_by  TEXT NOT NULL,
    trigger_key   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    due_at        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    answered_at   TEXT,
    answered_via  TEXT NOT NULL DEFAULT '',
    escalation_id TEXT NOT NULL DEFAULT ''
);

CREATE INDEX spot_checks_created ON spot_checks (created_at);
CREATE INDEX spot_checks_user ON spot_checks (userid, status);
CREATE INDEX spot_checks_trigger ON spot_checks (trigger_key, userid) WHERE trigger_key <> '';
