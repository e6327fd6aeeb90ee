-- The rights of the role the Xueshi server runs as on PostgreSQL, which owns nothing.
-- The owner role (which ran `xueshi migrate`) runs this in the Xueshi database, after the
-- first `xueshi migrate` and again after each upgrade's, with xueshi_app replaced by the
-- server's role:  psql "$OWNER_URL" -v ON_ERROR_STOP=1 -f docs/postgres-grants.sql
-- Tested by crates/server/tests/api/postgres_role.rs.

GRANT USAGE ON SCHEMA public TO xueshi_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO xueshi_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO xueshi_app;

-- The audit log is append-only for the server: it adds entries and reads them, nothing else
-- (and, owning nothing, it cannot drop the triggers that say so, nor TRUNCATE).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM xueshi_app;

-- The schema's history is the owner's: the server only reads it, to see nothing is pending.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM xueshi_app;
