-- 0014: the web console's logins (package access).
--
-- api_tokens are admin API tokens made by `dutybot token create --as USERID`.
-- Only the SHA-256 of a token is kept (hex); the token itself is printed
-- once and never stored. A revoked token stays, for the record.
--
-- console_sessions are browser sessions of the console. The cookie holds a
-- random session id; only its SHA-256 (hex) is kept. A session lasts 8
-- hours from login; logging out deletes it.

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    hash         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    userid       TEXT NOT NULL REFERENCES members (userid),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE console_sessions (
    hash       TEXT PRIMARY KEY,
    userid     TEXT NOT NULL REFERENCES members (userid),
    csrf       TEXT NOT NULL,
    via        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
