-- 0006: check-ins (签到/签退) and absences (空岗), package roster/duty.
-- One check-in per member and slot; the check-out is filled in once. An
-- absence is recorded once per kind, slot and member and stays when it is
-- resolved by a late check-in.

CREATE TABLE duty_checkins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    duty_date       TEXT NOT NULL,
    shift           TEXT NOT NULL,
    userid          TEXT NOT NULL REFERENCES members (userid),
    role            TEXT NOT NULL,
    checked_in_at   TEXT NOT NULL,
    status          TEXT NOT NULL,
    minutes_late    INTEGER NOT NULL DEFAULT 0,
    via             TEXT NOT NULL,
    latitude        REAL,
    longitude       REAL,
    distance_m      REAL,
    checked_out_at  TEXT,
    checkout_status TEXT NOT NULL DEFAULT '',
    minutes_early   INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    UNIQUE (duty_date, shift, userid)
);

CREATE INDEX duty_checkins_user ON duty_checkins (userid, duty_date);

CREATE TABLE duty_absences (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    duty_date     TEXT NOT NULL,
    shift         TEXT NOT NULL,
    userid        TEXT NOT NULL REFERENCES members (userid),
    detected_at   TEXT NOT NULL,
    escalation_id TEXT NOT NULL DEFAULT '',
    resolved_at   TEXT,
    resolution    TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, duty_date, shift, userid)
);

CREATE INDEX duty_absences_date ON duty_absences (duty_date);

-- Working state for the geofence, not records: each member's latest
-- location, and a 签到 waiting for one.
CREATE TABLE duty_locations (
    userid    TEXT PRIMARY KEY REFERENCES members (userid),
    latitude  REAL NOT NULL,
    longitude REAL NOT NULL,
    source    TEXT NOT NULL DEFAULT '',
    at        TEXT NOT NULL
);

CREATE TABLE duty_checkin_waits (
    userid    TEXT PRIMARY KEY REFERENCES members (userid),
    duty_date TEXT NOT NULL,
    shift     TEXT NOT NULL,
    asked_at  TEXT NOT NULL
);
