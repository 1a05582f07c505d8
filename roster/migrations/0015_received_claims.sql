-- 0015: several instances on one database (issue 8). An accepted callback is
-- claimed by the instance that accepted it (claimed_by, until claimed_until),
-- renewed while it waits or is processed; when the claim lapses (the instance
-- died) another instance takes the callback over. Rows without a claim
-- (accepted by a single instance) count as lapsed. Times are UTC text.

ALTER TABLE received_messages ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE received_messages ADD COLUMN claimed_until TEXT;
