-- One integer type for one concept: flags and counters were INTEGER in some tables and
-- BIGINT in others (orgs.city_affiliated INTEGER, declarations.city_affiliated BIGINT), so
-- the same value decoded differently by table. Every integer column is BIGINT now.
ALTER TABLE orgs ALTER COLUMN city_affiliated TYPE BIGINT;
ALTER TABLE policies ALTER COLUMN carry_over_enabled TYPE BIGINT;
ALTER TABLE verification_results ALTER COLUMN passed TYPE BIGINT;
ALTER TABLE users ALTER COLUMN must_change_password TYPE BIGINT;
ALTER TABLE password_reset_codes ALTER COLUMN tries_left TYPE BIGINT;
