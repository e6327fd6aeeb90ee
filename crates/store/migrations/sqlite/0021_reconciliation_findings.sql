-- What the latest check against the provincial roster found for each teacher (the notice
-- 五(二)1): shown beside the teacher's correction request, and the basis of a reminder to
-- correct. A check replaces the findings of the teachers it looked at.
CREATE TABLE reconciliation_findings (
    teacher_id TEXT PRIMARY KEY REFERENCES teachers (id),
    finding TEXT NOT NULL CHECK (finding IN ('not_registered', 'name_mismatch')),
    -- The name the province has for the teacher's ID number (name_mismatch).
    provincial_name TEXT,
    found_at INTEGER NOT NULL,
    -- The last reminder to correct sent to the teacher: one a day at most.
    reminded_at INTEGER
);
