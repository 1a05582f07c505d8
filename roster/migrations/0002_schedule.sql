-- 0002: the roster: assignments, the holiday schedule, leave and the audit trail.
--
-- Duty days are ISO dates (YYYY-MM-DD) in the office's time zone; a shift
-- belongs to the day it starts on.

CREATE TABLE assignments (
    duty_date TEXT NOT NULL,
    shift     TEXT NOT NULL,
    role      TEXT NOT NULL,
    userid    TEXT NOT NULL REFERENCES members (userid),
    source    TEXT NOT NULL DEFAULT 'manual',
    PRIMARY KEY (duty_date, shift, role, userid)
);

CREATE INDEX assignments_userid ON assignments (userid, duty_date);

CREATE TABLE holiday_days (
    day  TEXT PRIMARY KEY,
    off  BOOLEAN NOT NULL,
    name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE leaves (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    userid    TEXT NOT NULL REFERENCES members (userid),
    from_date TEXT NOT NULL,
    to_date   TEXT NOT NULL,
    reason    TEXT NOT NULL DEFAULT ''
);

CREATE INDEX leaves_dates ON leaves (to_date, from_date);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    before  TEXT NOT NULL DEFAULT '',
    after   TEXT NOT NULL DEFAULT ''
);
