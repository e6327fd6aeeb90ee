-- Business dates are ISO 8601 text, YYYY-MM-DD: the one SQL layer over both backends has no
-- date type, and the queries compare dates as text, which orders them correctly in that
-- spelling only. The database now refuses any other (the shape; a date's validity is the
-- domain's parse_date). SQLite's 0026 does the same with triggers.
ALTER TABLE teachers ADD CONSTRAINT teachers_iso_dates
    CHECK (departed_on ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
ALTER TABLE policies ADD CONSTRAINT policies_iso_dates CHECK (
    declaration_deadline ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$'
    AND registration_deadline ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$'
    AND school_review_deadline ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$'
    AND district_review_deadline ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
ALTER TABLE trainings ADD CONSTRAINT trainings_iso_dates CHECK (
    start_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$' AND end_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
ALTER TABLE records ADD CONSTRAINT records_iso_dates CHECK (
    start_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$' AND end_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
ALTER TABLE declarations ADD CONSTRAINT declarations_iso_dates CHECK (
    start_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$' AND end_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
ALTER TABLE reminder_runs ADD CONSTRAINT reminder_runs_iso_dates CHECK (
    deadline_date ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$' AND run_on ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
ALTER TABLE pending_snapshots ADD CONSTRAINT pending_snapshots_iso_dates
    CHECK (day ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$');
