-- A background job is run by whichever server holds its lease, renewed while it runs. A
-- server killed mid-run stops renewing and another one takes the job over when the lease
-- ends; one shutting down gracefully gives its lease back at once. `params` says what to
-- run (and for whom), so any server can; `attempts` stops a job that kills every server.
ALTER TABLE jobs ADD COLUMN params TEXT;
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_open ON jobs (lease_until) WHERE status IN ('queued', 'running');
