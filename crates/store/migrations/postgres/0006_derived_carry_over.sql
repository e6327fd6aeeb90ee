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
-- them, and teachers are never deleted (they depart). The foreign key could not fail; it cost
-- a trigger and a row lock on every teacher per result written: 6 of the 14 seconds a first
-- run spent writing a million results (docs/benchmarks.md).
ALTER TABLE verification_results DROP CONSTRAINT verification_results_teacher_id_fkey;
