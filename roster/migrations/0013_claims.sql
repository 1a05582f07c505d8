-- 0013: several instances on one database (issue 8). An instance sends a
-- pending outgoing message only while it holds a claim on it (claimed_by,
-- until claimed_until), so two instances never send the same row, and the
-- rows of an instance that died are claimed by another once its claims
-- lapse. Times are UTC text like every other time column.

ALTER TABLE outgoing_messages ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outgoing_messages ADD COLUMN claimed_until TEXT;
