-- A teacher's results of past years (the teacher's page of past results) were found through
-- the primary key (year, teacher_id): a scan of every teacher's results of every year.
CREATE INDEX verification_results_teacher ON verification_results (teacher_id, year);
