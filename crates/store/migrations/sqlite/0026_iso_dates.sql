-- Business dates are ISO 8601 text, YYYY-MM-DD (see PostgreSQL's 0026): SQLite cannot add a
-- CHECK to an existing table, so triggers refuse any other spelling on insert and update.
CREATE TRIGGER teachers_iso_dates_insert BEFORE INSERT ON teachers
WHEN NEW.departed_on NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'teachers: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER teachers_iso_dates_update BEFORE UPDATE OF departed_on ON teachers
WHEN NEW.departed_on NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'teachers: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER policies_iso_dates_insert BEFORE INSERT ON policies
WHEN NEW.declaration_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.registration_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.school_review_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.district_review_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'policies: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER policies_iso_dates_update BEFORE UPDATE OF declaration_deadline, registration_deadline, school_review_deadline, district_review_deadline ON policies
WHEN NEW.declaration_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.registration_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.school_review_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.district_review_deadline NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'policies: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER trainings_iso_dates_insert BEFORE INSERT ON trainings
WHEN NEW.start_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.end_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'trainings: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER trainings_iso_dates_update BEFORE UPDATE OF start_date, end_date ON trainings
WHEN NEW.start_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.end_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'trainings: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER records_iso_dates_insert BEFORE INSERT ON records
WHEN NEW.start_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.end_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'records: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER records_iso_dates_update BEFORE UPDATE OF start_date, end_date ON records
WHEN NEW.start_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.end_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'records: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER declarations_iso_dates_insert BEFORE INSERT ON declarations
WHEN NEW.start_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.end_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'declarations: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER declarations_iso_dates_update BEFORE UPDATE OF start_date, end_date ON declarations
WHEN NEW.start_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.end_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'declarations: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER reminder_runs_iso_dates_insert BEFORE INSERT ON reminder_runs
WHEN NEW.deadline_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.run_on NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'reminder_runs: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER reminder_runs_iso_dates_update BEFORE UPDATE OF deadline_date, run_on ON reminder_runs
WHEN NEW.deadline_date NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' OR NEW.run_on NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'reminder_runs: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER pending_snapshots_iso_dates_insert BEFORE INSERT ON pending_snapshots
WHEN NEW.day NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'pending_snapshots: dates are stored as YYYY-MM-DD'); END;
CREATE TRIGGER pending_snapshots_iso_dates_update BEFORE UPDATE OF day ON pending_snapshots
WHEN NEW.day NOT GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'
BEGIN SELECT RAISE(ABORT, 'pending_snapshots: dates are stored as YYYY-MM-DD'); END;
