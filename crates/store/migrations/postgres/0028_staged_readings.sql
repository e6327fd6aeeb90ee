-- Reading a certificate chosen on the new-declaration form before the declaration exists
-- (issue 19): the file is stored at once (content-addressed), read in the background like
-- evidence, and its fields offered on the form. Keyed by the stored file, so the evidence it
-- becomes takes the same reading instead of being read again. Rows live a day or two, as
-- the staged files' tokens do.
CREATE TABLE staged_readings (
    storage_key TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    claimed_by TEXT,
    claimed_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    text TEXT,
    problems TEXT NOT NULL DEFAULT '',
    error TEXT,
    read_at BIGINT
);
CREATE INDEX staged_readings_created ON staged_readings (created_at);
