-- How many declarations each school has per year and status, kept by triggers in the same
-- transaction as the change: a review queue shows its counts per status without counting a
-- district's hundred thousand declarations on every page view.
CREATE TABLE declaration_counts (
    school_id TEXT NOT NULL,
    district_id TEXT,
    city_affiliated INTEGER NOT NULL,
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (school_id, year, status)
);
CREATE INDEX declaration_counts_district ON declaration_counts (district_id, city_affiliated, year);

INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
SELECT school_id, MIN(district_id), MIN(city_affiliated), year, status, COUNT(*)
FROM declarations GROUP BY school_id, year, status;

CREATE TRIGGER declaration_counts_insert AFTER INSERT ON declarations
BEGIN
    INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
    VALUES (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1)
    ON CONFLICT (school_id, year, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER declaration_counts_delete AFTER DELETE ON declarations
BEGIN
    UPDATE declaration_counts SET n = n - 1
    WHERE school_id = OLD.school_id AND year = OLD.year AND status = OLD.status;
END;

CREATE TRIGGER declaration_counts_update AFTER UPDATE OF school_id, year, status ON declarations
WHEN NEW.school_id <> OLD.school_id OR NEW.year <> OLD.year OR NEW.status <> OLD.status
BEGIN
    UPDATE declaration_counts SET n = n - 1
    WHERE school_id = OLD.school_id AND year = OLD.year AND status = OLD.status;
    INSERT INTO declaration_counts (school_id, district_id, city_affiliated, year, status, n)
    VALUES (NEW.school_id, NEW.district_id, NEW.city_affiliated, NEW.year, NEW.status, 1)
    ON CONFLICT (school_id, year, status) DO UPDATE SET n = n + 1;
END;

-- The counting indexes on declarations are no longer read; each cost every status change.
DROP INDEX declarations_year_counts;
DROP INDEX declarations_school_counts;
DROP INDEX declarations_district_counts;
