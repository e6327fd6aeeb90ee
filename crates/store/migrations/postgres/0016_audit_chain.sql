-- A tamper-evident audit log: each entry carries its place in the chain, the previous entry's
-- hash and its own, a keyed HMAC (the data key's index key, never in the database) over both
-- and the entry's canonical text. `audit_chain` holds the head; updating its one row first is
-- the lock that puts concurrent writers in order. Entries written before this migration have
-- no place in the chain and are reported as such by `xueshi audit verify`.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TABLE audit_chain (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    head TEXT NOT NULL
);
INSERT INTO audit_chain (id, seq, head) VALUES (1, 0, '');
-- Row triggers do not see TRUNCATE.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
