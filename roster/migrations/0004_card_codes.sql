-- 0004: what an outgoing message is about (e.g. an escalation id) and, for a
-- sent template card, the response code WeCom returned, which updates the
-- card once within 72 hours (so everyone's alert card can show who took it).

ALTER TABLE outgoing_messages ADD COLUMN ref TEXT NOT NULL DEFAULT '';
ALTER TABLE outgoing_messages ADD COLUMN response_code TEXT NOT NULL DEFAULT '';

CREATE INDEX outgoing_messages_ref ON outgoing_messages (ref) WHERE ref <> '';
