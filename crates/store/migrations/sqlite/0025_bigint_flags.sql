-- PostgreSQL's integer columns become BIGINT (see its 0025). SQLite stores every integer
-- with the same affinity already: nothing to change.
SELECT 1;
