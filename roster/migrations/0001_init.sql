-- 0001: members and their roles, received WeCom callbacks, outgoing messages.
--
-- Written in the SQL that SQLite and PostgreSQL share. The two phrases that
-- differ are rewritten for PostgreSQL by its dialect (see migrate.go):
-- "INTEGER PRIMARY KEY AUTOINCREMENT" and "BLOB".
--
-- Times are UTC RFC 3339 text with nine fractional digits
-- ("2006-01-02T15:04:05.000000000Z"), so text order is time order.

CREATE TABLE members (
    userid     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    mobile     TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE member_roles (
    userid TEXT NOT NULL REFERENCES members (userid) ON DELETE CASCADE,
    role   TEXT NOT NULL,
    PRIMARY KEY (userid, role)
);

CREATE TABLE received_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key    TEXT NOT NULL UNIQUE,
    from_user    TEXT NOT NULL DEFAULT '',
    msg_type     TEXT NOT NULL DEFAULT '',
    event        TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    raw          BLOB,
    received_at  TEXT NOT NULL,
    processed_at TEXT
);

-- Unprocessed reads only the few rows a crash left behind.
CREATE INDEX received_messages_unprocessed
    ON received_messages (id) WHERE processed_at IS NULL;

CREATE TABLE outgoing_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    reply_to    BIGINT REFERENCES received_messages (id),
    to_user     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    content     TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    wecom_msgid TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX outgoing_messages_status_id ON outgoing_messages (status, id);
CREATE INDEX outgoing_messages_reply_to ON outgoing_messages (reply_to);
