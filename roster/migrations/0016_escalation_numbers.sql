-- 0016: the last number given to an escalation on each day (package push).
--
-- Escalation ids are E<MMDD>-<n>, numbered from 1 each day (of any year:
-- E1202-051 may follow last year's E1202-050). They were numbered by
-- counting the day's escalations when raising one, which read the whole
-- day's ids inside the write transaction: with tens of thousands open,
-- raising slowed to a few a second (docs/benchmarks.md). The counter is
-- read and bumped in the raise's transaction instead. (Version 15 is the
-- takeover work's.)

CREATE TABLE escalation_numbers (
    prefix      TEXT PRIMARY KEY, -- E1202-
    last_number INTEGER NOT NULL
);

INSERT INTO escalation_numbers (prefix, last_number)
SELECT substr(id, 1, 6), COUNT(*) FROM escalations GROUP BY substr(id, 1, 6);
