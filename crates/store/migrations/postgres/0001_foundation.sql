-- Foundation: organisations, accounts, teachers, sessions, policies, audit log.
-- Booleans are INTEGER 0/1 and times are unix milliseconds so both backends share one SQL layer.
CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('city', 'district', 'school', 'provider')),
    parent_id TEXT REFERENCES orgs (id),
    district_id TEXT REFERENCES orgs (id),
    ownership TEXT CHECK (ownership IN ('public', 'private')),
    school_type TEXT,
    city_affiliated INTEGER NOT NULL DEFAULT 0 CHECK (city_affiliated IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX orgs_sibling_name ON orgs (COALESCE(parent_id, ''), kind, name);
CREATE INDEX orgs_parent ON orgs (parent_id);
CREATE INDEX orgs_district ON orgs (district_id, kind);

CREATE TABLE teachers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    id_number TEXT NOT NULL UNIQUE,
    school_id TEXT NOT NULL REFERENCES orgs (id),
    phone TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'departed')),
    departed_on TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX teachers_school ON teachers (school_id, id);
CREATE INDEX teachers_name ON teachers (name);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('teacher', 'school_admin', 'district_admin', 'city_admin', 'provider_admin')),
    org_id TEXT NOT NULL REFERENCES orgs (id),
    teacher_id TEXT UNIQUE REFERENCES teachers (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('bearer', 'cookie')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE policies (
    year BIGINT PRIMARY KEY,
    min_public BIGINT NOT NULL,
    min_professional BIGINT NOT NULL,
    min_elective BIGINT NOT NULL,
    min_total BIGINT NOT NULL,
    declaration_deadline TEXT NOT NULL,
    registration_deadline TEXT NOT NULL,
    school_review_deadline TEXT NOT NULL,
    district_review_deadline TEXT NOT NULL,
    carry_over_enabled INTEGER NOT NULL CHECK (carry_over_enabled IN (0, 1)),
    carry_over_cap BIGINT,
    activity_caps TEXT NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    ip TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    district_id TEXT,
    school_id TEXT
);
CREATE INDEX audit_target ON audit_log (target_id, id);
CREATE INDEX audit_actor ON audit_log (actor_id, id);
CREATE INDEX audit_district ON audit_log (district_id, id);
CREATE INDEX audit_school ON audit_log (school_id, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
