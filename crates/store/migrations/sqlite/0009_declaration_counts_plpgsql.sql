-- PostgreSQL only: its counting trigger moved to PL/pgSQL (SQLite's triggers keep their
-- compiled statements already).
SELECT 1;
