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
