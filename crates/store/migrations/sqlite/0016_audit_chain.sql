-- A tamper-evident audit log: each entry carries its place in the chain, the previous entry's
-- hash and its own, a keyed HMAC (the data key's index key, never in the database) over both
-- and the entry's canonical text. `audit_chain` holds the head; updating its one row first is
-- the lock that puts concurrent writers in order. Entries written before this migration have
-- no place in the chain and are reported as such by `xueshi audit verify`.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TABLE audit_chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    head TEXT NOT NULL
);
INSERT INTO audit_chain (id, seq, head) VALUES (1, 0, '');
