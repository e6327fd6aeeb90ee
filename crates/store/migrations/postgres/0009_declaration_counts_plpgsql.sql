-- The counting trigger called a LANGUAGE sql helper. PostgreSQL parses and plans the body of
-- such a function afresh on every call that it cannot inline (an INSERT never inlines), and
-- every submission and review runs it twice. PL/pgSQL keeps each statement's plan for the
-- session, so the upsert now lives in the trigger itself.
CREATE OR REPLACE FUNCTION declaration_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_add BOOLEAN;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
        VALUES (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1)
        ON CONFLICT (school_id, year, status) DO UPDATE SET n = declaration_counts.n + 1;
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE declaration_counts SET n = n - 1
        WHERE school_id = OLD.school_id AND year = OLD.year AND status = OLD.status;
        RETURN NULL;
    ELSIF (OLD.school_id, OLD.year, OLD.status) = (NEW.school_id, NEW.year, NEW.status) THEN
        RETURN NULL;
    END IF;
    -- Counter rows are always locked in key order, so two moves between the same two
    -- statuses in opposite directions cannot deadlock.
    first_add := (NEW.school_id, NEW.year, NEW.status) < (OLD.school_id, OLD.year, OLD.status);
    IF first_add THEN
        INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
        VALUES (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1)
        ON CONFLICT (school_id, year, status) DO UPDATE SET n = declaration_counts.n + 1;
    END IF;
    UPDATE declaration_counts SET n = n - 1
    WHERE school_id = OLD.school_id AND year = OLD.year AND status = OLD.status;
    IF NOT first_add THEN
        INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
        VALUES (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1)
        ON CONFLICT (school_id, year, status) DO UPDATE SET n = declaration_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;

DROP FUNCTION declaration_count_add(TEXT, TEXT, BIGINT, BIGINT, TEXT, INTEGER);
