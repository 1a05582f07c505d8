-- 0009: swap and leave requests (换班/请假, package roster/duty) and the
-- trail of every step taken on them. A request is never deleted: it ends
-- approved, rejected, declined, expired or cancelled, and each step is a
-- row in duty_request_events.
--
-- A swap (kind 'swap') is one-way: the counterpart takes the requester's
-- place (role) in one slot (duty_date, shift). A leave (kind 'leave')
-- covers from_date..to_date; on approval a row is added to leaves and its
-- id kept in leave_id.

CREATE TABLE duty_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    requester     TEXT NOT NULL REFERENCES members (userid),
    counterpart   TEXT NOT NULL DEFAULT '',
    duty_date     TEXT NOT NULL DEFAULT '',
    shift         TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL DEFAULT '',
    from_date     TEXT NOT NULL DEFAULT '',
    to_date       TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    needs_admin   BOOLEAN NOT NULL DEFAULT 0,
    expires_at    TEXT NOT NULL,
    consent_at    TEXT,
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_at    TEXT,
    decision_note TEXT NOT NULL DEFAULT '',
    leave_id      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE INDEX duty_requests_requester ON duty_requests (requester, id);
CREATE INDEX duty_requests_counterpart ON duty_requests (counterpart, id);
CREATE INDEX duty_requests_open ON duty_requests (status) WHERE status IN ('awaiting_consent', 'awaiting_approval');

CREATE TABLE duty_request_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES duty_requests (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);

CREATE INDEX duty_request_events_request ON duty_request_events (request_id, id);
