-- 0008: the duty log (值班日志) with its pending items (待办), and handovers
-- (交接班) with their signatures (package roster/duty). Log rows are never
-- edited: a correction is a new row pointing at the one it corrects; only a
-- pending item's closing (办结) and its holder (moved to the incoming shift
-- when a handover is confirmed) change.

CREATE TABLE duty_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    duty_date  TEXT NOT NULL DEFAULT '', -- the shift it was written in ('' for none)
    shift      TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,            -- 来电 来文 交办 会议通知 其他 待办 系统
    content    TEXT NOT NULL,
    author     TEXT NOT NULL,
    at         TEXT NOT NULL,
    corrects   INTEGER REFERENCES duty_log (id),
    pending    BOOLEAN NOT NULL DEFAULT FALSE,
    held_date  TEXT NOT NULL DEFAULT '', -- the shift holding an open pending item
    held_shift TEXT NOT NULL DEFAULT '',
    closed_at  TEXT,
    closed_by  TEXT NOT NULL DEFAULT '',
    result     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX duty_log_at ON duty_log (at);
CREATE INDEX duty_log_slot ON duty_log (duty_date, shift);
CREATE INDEX duty_log_corrects ON duty_log (corrects) WHERE corrects IS NOT NULL;
CREATE INDEX duty_log_open ON duty_log (held_date, held_shift) WHERE pending AND closed_at IS NULL;

-- One handover per outgoing slot: a second 交班 for the same shift is
-- refused, not stored beside the first.
CREATE TABLE duty_handovers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    out_date     TEXT NOT NULL,
    out_shift    TEXT NOT NULL,
    in_date      TEXT NOT NULL DEFAULT '',
    in_shift     TEXT NOT NULL DEFAULT '',
    from_user    TEXT NOT NULL,
    to_users     TEXT NOT NULL DEFAULT '', -- incoming officers' userids, comma-separated
    notes        TEXT NOT NULL DEFAULT '', -- equipment state and remarks
    sheet        TEXT NOT NULL,            -- the handover sheet as sent
    handed_at    TEXT NOT NULL,            -- the outgoing signature's time
    status       TEXT NOT NULL DEFAULT 'pending', -- pending, confirmed, escalated
    confirmed_at TEXT,
    escalated_at TEXT,
    UNIQUE (out_date, out_shift)
);

CREATE INDEX duty_handovers_unconfirmed ON duty_handovers (id) WHERE status <> 'confirmed';

-- The signatures: the outgoing officer's (role out) and each incoming
-- officer's (role in), each once.
CREATE TABLE duty_handover_signatures (
    handover_id INTEGER NOT NULL REFERENCES duty_handovers (id),
    userid      TEXT NOT NULL,
    role        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (handover_id, userid, role)
);

-- The pending items a handover's sheet listed (they move to the incoming
-- shift when it is confirmed).
CREATE TABLE duty_handover_items (
    handover_id INTEGER NOT NULL REFERENCES duty_handovers (id),
    log_id      INTEGER NOT NULL REFERENCES duty_log (id),
    PRIMARY KEY (handover_id, log_id)
);
