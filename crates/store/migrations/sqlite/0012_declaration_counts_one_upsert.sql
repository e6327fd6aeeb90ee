-- PostgreSQL only: its counting trigger moves both counters of a status change in one
-- statement (SQLite compiles its triggers into the statement that fires them).
SELECT 1;
