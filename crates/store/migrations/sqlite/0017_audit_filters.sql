-- The audit page filters by action and by date: both read newest first.
CREATE INDEX audit_action ON audit_log (action, id);
CREATE INDEX audit_at ON audit_log (at, id);
