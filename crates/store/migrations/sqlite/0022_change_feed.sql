-- The change feed: the server keeps sessions, policies and teachers' ledgers in memory and
-- must forget an entry when its rows change, whoever changed them (a request, the CLI in
-- another process, a set-based statement). Triggers name what changed in `cache_changes`,
-- in commit order (one writer); every server reads what is new after its own commits and
-- every 200 ms (see store/src/changes.rs). A key is `<kind>:<id>` (store/src/cache.rs).
-- (Repeated keys are not folded: a later transaction's repeat must still be heard by a
-- server that read the first one and loaded the data again since.)
CREATE TABLE cache_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL
);

-- Changes are named only while a server follows them (it renews this every minute, for ten):
-- the CLI's bulk loads on a database no server serves write no rows for nobody.
CREATE TABLE cache_feed (following_until INTEGER NOT NULL);
INSERT INTO cache_feed VALUES (0);

CREATE TRIGGER records_changed_insert AFTER INSERT ON records
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || NEW.teacher_id);
END;

CREATE TRIGGER records_changed_update AFTER UPDATE ON records
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || NEW.teacher_id);
END;

CREATE TRIGGER records_changed_delete AFTER DELETE ON records
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || OLD.teacher_id);
END;

CREATE TRIGGER declarations_changed_insert AFTER INSERT ON declarations
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || NEW.teacher_id);
END;

CREATE TRIGGER declarations_changed_update AFTER UPDATE ON declarations
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || NEW.teacher_id);
END;

CREATE TRIGGER declarations_changed_delete AFTER DELETE ON declarations
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || OLD.teacher_id);
END;

CREATE TRIGGER verification_results_changed_insert AFTER INSERT ON verification_results
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || NEW.teacher_id);
END;

CREATE TRIGGER verification_results_changed_update AFTER UPDATE ON verification_results
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || NEW.teacher_id);
END;

CREATE TRIGGER verification_results_changed_delete AFTER DELETE ON verification_results
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('l:' || OLD.teacher_id);
END;

CREATE TRIGGER teachers_changed_insert AFTER INSERT ON teachers
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('t:' || NEW.id);
END;

CREATE TRIGGER teachers_changed_update AFTER UPDATE ON teachers
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('t:' || NEW.id);
END;

CREATE TRIGGER teachers_changed_delete AFTER DELETE ON teachers
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('t:' || OLD.id);
END;

CREATE TRIGGER users_changed_insert AFTER INSERT ON users
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('u:' || NEW.id);
END;

CREATE TRIGGER users_changed_update AFTER UPDATE ON users
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('u:' || NEW.id);
END;

CREATE TRIGGER users_changed_delete AFTER DELETE ON users
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('u:' || OLD.id);
END;

CREATE TRIGGER orgs_changed_insert AFTER INSERT ON orgs
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('o:' || NEW.id);
END;

CREATE TRIGGER orgs_changed_update AFTER UPDATE ON orgs
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('o:' || NEW.id);
END;

CREATE TRIGGER orgs_changed_delete AFTER DELETE ON orgs
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('o:' || OLD.id);
END;

CREATE TRIGGER policies_changed_insert AFTER INSERT ON policies
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('p');
END;

CREATE TRIGGER policies_changed_update AFTER UPDATE ON policies
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('p');
END;

CREATE TRIGGER policies_changed_delete AFTER DELETE ON policies
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('p');
END;

-- Sessions: their activity stamp (written in batches) is no change a cache must hear of.
CREATE TRIGGER sessions_changed_delete AFTER DELETE ON sessions
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('s:' || OLD.token_hash);
END;
CREATE TRIGGER sessions_changed_update AFTER UPDATE OF user_id, kind, expires_at, next_step
    ON sessions
    WHEN (SELECT following_until FROM cache_feed) > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) BEGIN
    INSERT INTO cache_changes (key) VALUES ('s:' || NEW.token_hash);
END;
