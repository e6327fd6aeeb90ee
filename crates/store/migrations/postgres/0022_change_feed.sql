-- The change feed: every server of a cluster keeps sessions, policies and teachers' ledgers
-- in memory and must forget an entry within a second of its rows changing, whoever changed
-- them (another server, the CLI, a set-based statement). Triggers name what changed, so no
-- write path can forget to; NOTIFY delivers the names at commit, in commit order, to every
-- server listening on `xueshi_changes`. A key is `<kind>:<id>` (see store/src/cache.rs);
-- `*` means everything (a statement that changed more rows than is worth naming).

-- Two functions, by the column that names the key, so that their statements are plain
-- PL/pgSQL ones (planned once per session) rather than EXECUTEd (planned every time): the
-- triggers run for every statement of every review.
CREATE OR REPLACE FUNCTION xueshi_notify_keys(kind text, keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    i int;
BEGIN
    IF keys IS NULL THEN
        RETURN;
    END IF;
    -- A payload must stay under 8000 bytes: at most 100 keys of 64 characters.
    FOR i IN 1 .. cardinality(keys) BY 100 LOOP
        PERFORM pg_notify('xueshi_changes',
            kind || ':' || array_to_string(keys[i:i + 99], ' ' || kind || ':'));
    END LOOP;
END $$;

-- Large statements (verification, imports) make everyone start afresh: cheaper than naming a
-- million keys.
CREATE OR REPLACE FUNCTION xueshi_changed_by_teacher() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM (SELECT 1 FROM changed_rows LIMIT 2001) AS probe) > 2000 THEN
        PERFORM pg_notify('xueshi_changes', '*');
    ELSE
        PERFORM xueshi_notify_keys(TG_ARGV[0],
            (SELECT array_agg(DISTINCT teacher_id) FROM changed_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION xueshi_changed_by_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM (SELECT 1 FROM changed_rows LIMIT 2001) AS probe) > 2000 THEN
        PERFORM pg_notify('xueshi_changes', '*');
    ELSE
        PERFORM xueshi_notify_keys(TG_ARGV[0], (SELECT array_agg(DISTINCT id) FROM changed_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION xueshi_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('xueshi_changes', TG_ARGV[0]);
    RETURN NULL;
END $$;

-- One trigger per table and event (a trigger with transition tables has one event).
DO $$
DECLARE
    t record;
    ev text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('records', 'l', 'teacher_id'),
        ('declarations', 'l', 'teacher_id'),
        ('verification_results', 'l', 'teacher_id'),
        ('teachers', 't', 'id'),
        ('users', 'u', 'id'),
        ('orgs', 'o', 'id')
    ) AS v (tab, kind, col) LOOP
        FOREACH ev IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
            EXECUTE format(
                'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS changed_rows '
                'FOR EACH STATEMENT EXECUTE FUNCTION %I(%L)',
                t.tab || '_changed_' || lower(ev), ev, t.tab,
                CASE ev WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END,
                CASE t.col WHEN 'id' THEN 'xueshi_changed_by_id' ELSE 'xueshi_changed_by_teacher' END,
                t.kind);
        END LOOP;
    END LOOP;
END $$;

CREATE TRIGGER policies_changed AFTER INSERT OR UPDATE OR DELETE ON policies
    FOR EACH STATEMENT EXECUTE FUNCTION xueshi_changed('p');

-- Sessions change one at a time, and their activity stamp (written in batches) is no change
-- a cache must hear of: row triggers, the stamp left out.
CREATE OR REPLACE FUNCTION xueshi_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('xueshi_changes', 's:' || COALESCE(NEW.token_hash, OLD.token_hash));
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_changed_delete AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION xueshi_session_changed();
CREATE TRIGGER sessions_changed_update AFTER UPDATE ON sessions FOR EACH ROW
    WHEN ((OLD.user_id, OLD.kind, OLD.expires_at, OLD.next_step)
        IS DISTINCT FROM (NEW.user_id, NEW.kind, NEW.expires_at, NEW.next_step))
    EXECUTE FUNCTION xueshi_session_changed();
