-- Accounts fit for a level-3 system (等级保护三级): the auditor role, passwords that must be
-- changed, a second factor, idle sessions, stored username locks, password-reset codes.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('teacher', 'school_admin', 'district_admin', 'city_admin', 'provider_admin', 'auditor'));
-- Set when someone else chose the password (creation, reset): the next login must change it.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));

-- Idle timeouts: activity is recorded at most once a minute. A session whose `next_step` is
-- set is pending (mfa_enroll, mfa_verify, change_password) and may call only the sign-in steps.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN next_step TEXT CHECK (next_step IN ('mfa_enroll', 'mfa_verify', 'change_password'));
UPDATE sessions SET last_seen_at = created_at;

-- A TOTP authenticator: unconfirmed until its first code is verified. `last_step` is the
-- 30-second step of the last accepted code, so no code is accepted twice.
CREATE TABLE user_mfa (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    secret TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    used_at BIGINT
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id);

-- A username locked after five failures: until `locked_until`, counted from the fifth.
CREATE TABLE login_locks (
    username TEXT PRIMARY KEY,
    locked_until BIGINT NOT NULL
);

-- Forgot-password codes sent to the registered phone: one live code per user.
CREATE TABLE password_reset_codes (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries_left INTEGER NOT NULL
);
