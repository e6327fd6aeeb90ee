-- Correction requests (更正申请, the notice 五(二)1): a teacher asks for their name or ID
-- number to be corrected; the school's district (the city for a city-affiliated school)
-- decides. A requested ID number is sealed like the teachers' own.
CREATE TABLE correction_requests (
    id TEXT PRIMARY KEY,
    teacher_id TEXT NOT NULL REFERENCES teachers (id),
    -- The teacher's school when asked: who may see and decide it.
    school_id TEXT NOT NULL REFERENCES orgs (id),
    name TEXT,
    id_number TEXT,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at INTEGER NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at INTEGER,
    decision_reason TEXT
);
-- One open request per teacher, also between servers.
CREATE UNIQUE INDEX correction_requests_one_pending ON correction_requests (teacher_id)
    WHERE status = 'pending';
CREATE INDEX correction_requests_school ON correction_requests (school_id, status, id);
CREATE INDEX correction_requests_status ON correction_requests (status, id);
