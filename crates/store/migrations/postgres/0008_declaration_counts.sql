-- How many declarations each school has per year and status, kept by a trigger in the same
-- transaction as the change: a review queue shows its counts per status without counting a
-- district's hundred thousand declarations on every page view.
CREATE TABLE declaration_counts (
    school_id TEXT NOT NULL,
    district_id TEXT,
    city_affiliated BIGINT NOT NULL,
    year BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (school_id, year, status)
);
CREATE INDEX declaration_counts_district ON declaration_counts (district_id, city_affiliated, year);

INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
SELECT school_id, MIN(district_id), MIN(city_affiliated), year, status, COUNT(*)
FROM declarations GROUP BY school_id, year, status;

CREATE FUNCTION declaration_count_add(s TEXT, d TEXT, c BIGINT, y BIGINT, st TEXT, delta INTEGER)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
    VALUES (s, d, c, y, st, delta)
    ON CONFLICT (school_id, year, status) DO UPDATE SET n = declaration_counts.n + delta;
$$;

CREATE FUNCTION declaration_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM declaration_count_add(NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM declaration_count_add(OLD.school_id, OLD.district_id, OLD.city_affiliated, OLD.year, OLD.status, -1);
    ELSIF (OLD.school_id, OLD.year, OLD.status) < (NEW.school_id, NEW.year, NEW.status) THEN
        -- Counter rows are always locked in key order, so two moves between the same two
        -- statuses in opposite directions cannot deadlock.
        PERFORM declaration_count_add(OLD.school_id, OLD.district_id, OLD.city_affiliated, OLD.year, OLD.status, -1);
        PERFORM declaration_count_add(NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1);
    ELSIF (OLD.school_id, OLD.year, OLD.status) > (NEW.school_id, NEW.year, NEW.status) THEN
        PERFORM declaration_count_add(NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1);
        PERFORM declaration_count_add(OLD.school_id, OLD.district_id, OLD.city_affiliated, OLD.year, OLD.status, -1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER declaration_counts_follow AFTER INSERT OR DELETE OR UPDATE OF school_id, year, status
ON declarations FOR EACH ROW EXECUTE FUNCTION declaration_counts_follow();

-- The counting indexes on declarations are no longer read; each cost every status change.
DROP INDEX declarations_year_counts;
DROP INDEX declarations_school_counts;
DROP INDEX declarations_district_counts;
