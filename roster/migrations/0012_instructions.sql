-- 0012: what the 批示 flow keeps beyond 0010 (package roster/incident).
--
-- incident_instructions.escalation_id holds the alert raised when a 批示
-- was not relayed (传达) in time; feedback_escalation_id the one raised when
-- its feedback (反馈) was overdue, so each deadline raises and tells once.
--
-- incident_instruction_prompts holds, per leader, the report whose card's
-- 批示 button the leader tapped: the leader's next message is the 批示. A
-- prompt is dialogue state, not a record: it is deleted when answered,
-- cancelled or found stale, and a new tap replaces it.

ALTER TABLE incident_instructions ADD COLUMN feedback_escalation_id TEXT NOT NULL DEFAULT '';

CREATE TABLE incident_instruction_prompts (
    leader    TEXT PRIMARY KEY REFERENCES members (userid),
    report_id INTEGER NOT NULL REFERENCES incident_reports (id),
    asked_at  TEXT NOT NULL
);
