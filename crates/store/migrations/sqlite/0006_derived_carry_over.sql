-- Carry-over records (结转学时) are no longer stored in `records`: the carry-out of a teacher's
-- verification result of year Y is their carry-over record of Y + 1 (see repo/carry_over.rs),
-- under the id the stored record had. Every run wrote the two in one transaction, so they
-- agree; should a record ever have been changed by hand, it wins, as what teachers saw.
UPDATE verification_results SET carry_out = r.hours
FROM records r
WHERE r.source = 'carry_over' AND r.status = 'approved'
  AND r.teacher_id = verification_results.teacher_id
  AND r.year = verification_results.year + 1
  AND r.hours <> verification_results.carry_out;
DELETE FROM records WHERE source = 'carry_over';
DROP INDEX records_one_carry_over;

-- Results are derived data, computed from `teachers` joined in the very statement that writes
-- them, and teachers are never deleted (they depart): the foreign key could not fail and was
-- checked for every result written. Dropped as on PostgreSQL, where it cost most (see there);
-- SQLite drops a constraint by rebuilding the table.
CREATE TABLE verification_results_new (
    year INTEGER NOT NULL,
    teacher_id TEXT NOT NULL,
    school_id TEXT NOT NULL,
    public_hours INTEGER NOT NULL,
    professional_hours INTEGER NOT NULL,
    elective_hours INTEGER NOT NULL,
    carried_in INTEGER NOT NULL,
    total_hours INTEGER NOT NULL,
    passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
    carry_out INTEGER NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (year, teacher_id)
);
INSERT INTO verification_results_new (year, teacher_id, school_id, public_hours,
    professional_hours, elective_hours, carried_in, total_hours, passed, carry_out, computed_at)
SELECT year, teacher_id, school_id, public_hours, professional_hours, elective_hours,
    carried_in, total_hours, passed, carry_out, computed_at
FROM verification_results;
DROP TABLE verification_results;
ALTER TABLE verification_results_new RENAME TO verification_results;
CREATE INDEX verification_results_school ON verification_results (year, school_id);
