-- A declaration that changes status moved its two counters in two statements (an upsert and
-- a decrement); one multi-row upsert does both. Its rows go in key order, so two moves
-- between the same two statuses in opposite directions still lock the counters in the same
-- order and cannot deadlock. Each submission and each review runs it.
CREATE OR REPLACE FUNCTION declaration_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
        VALUES (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1)
        ON CONFLICT (school_id, year, status) DO UPDATE SET n = declaration_counts.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE declaration_counts SET n = n - 1
        WHERE school_id = OLD.school_id AND year = OLD.year AND status = OLD.status;
    ELSIF (OLD.school_id, OLD.year, OLD.status) IS DISTINCT FROM (NEW.school_id, NEW.year, NEW.status) THEN
        INSERT INTO declaration_counts AS c (school_id, district_id, city_affiliated, year, status, n)
        SELECT * FROM (VALUES
            (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1::BIGINT),
            (OLD.school_id, OLD.district_id, OLD.city_affiliated, OLD.year, OLD.status, -1::BIGINT)
        ) AS moved (school_id, district_id, city_affiliated, year, status, n)
        ORDER BY school_id, year, status
        ON CONFLICT (school_id, year, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;
