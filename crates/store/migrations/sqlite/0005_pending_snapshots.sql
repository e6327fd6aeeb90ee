-- Pending reviews per school at the end of each day, for the "pending over time" chart.
-- Written (and overwritten during the day) by the servers' hourly background job.
CREATE TABLE pending_snapshots (
    day TEXT NOT NULL,
    school_id TEXT NOT NULL REFERENCES orgs (id),
    pending_school BIGINT NOT NULL,
    pending_second BIGINT NOT NULL,
    PRIMARY KEY (day, school_id)
);
