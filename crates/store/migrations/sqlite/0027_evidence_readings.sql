-- Reading certificates (issue 19): each evidence file's text and its photo's problems,
-- written by a background reader. evidence.read_at stays NULL while a file waits, which a
-- partial index finds cheaply; a reading row's claim lets the servers of a cluster share
-- the queue, and a claim that expires (its server died) is taken again.
ALTER TABLE evidence ADD COLUMN read_at BIGINT;
-- Files of declarations already decided predate reading and are not read (0: never).
UPDATE evidence SET read_at = 0 WHERE declaration_id IN (
    SELECT id FROM declarations WHERE status IN ('approved', 'rejected', 'withdrawn'));
CREATE INDEX evidence_unread ON evidence (created_at) WHERE read_at IS NULL;
CREATE TABLE evidence_readings (
    evidence_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    claimed_by TEXT,
    claimed_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    text TEXT,
    -- The photo's problems (files::PhotoProblem codes), comma-separated; empty when none.
    problems TEXT NOT NULL DEFAULT '',
    error TEXT,
    read_at BIGINT
);
