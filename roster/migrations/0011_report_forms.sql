-- 0011: the 报告 form's draft, one per member (package roster/incident).
-- A member filling in a quick report question by question keeps the
-- answers here, so a restart does not lose them; the row is deleted when
-- the report is filed (in the same transaction) or the form is abandoned.
-- draft is JSON: the answers so far and the questions already passed.

CREATE TABLE incident_report_forms (
    userid     TEXT PRIMARY KEY REFERENCES members (userid),
    step       TEXT NOT NULL,
    draft      TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
