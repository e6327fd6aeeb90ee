-- Transfer requests (调动申请): a school asks for one of its teachers to be moved to another
-- school; the receiving school's district (the city for a city-affiliated school) decides.
CREATE TABLE transfer_requests (
    id TEXT PRIMARY KEY,
    teacher_id TEXT NOT NULL REFERENCES teachers (id),
    from_school_id TEXT NOT NULL REFERENCES orgs (id),
    to_school_id TEXT NOT NULL REFERENCES orgs (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    requested_by TEXT NOT NULL REFERENCES users (id),
    requested_at INTEGER NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at INTEGER,
    decision_reason TEXT
);
-- One open request per teacher: a second is refused by this index, also between servers.
CREATE UNIQUE INDEX transfer_requests_one_pending ON transfer_requests (teacher_id)
    WHERE status = 'pending';
CREATE INDEX transfer_requests_teacher ON transfer_requests (teacher_id, id);
CREATE INDEX transfer_requests_from ON transfer_requests (from_school_id, status, id);
CREATE INDEX transfer_requests_to ON transfer_requests (to_school_id, status, id);
CREATE INDEX transfer_requests_status ON transfer_requests (status, id);
