-- ID numbers and phones are stored sealed (crates/vault) and found through a keyed blind index
-- of the normalised number; `sealed::convert` seals the rows of an older database in batches
-- right after this migration, and can resume if stopped.
ALTER TABLE teachers ADD COLUMN id_number_index TEXT;
CREATE UNIQUE INDEX teachers_id_number_index ON teachers (id_number_index);
