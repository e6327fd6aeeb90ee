-- The credit ledger: courses, training events, records, verification results, jobs, settings.
CREATE TABLE courses (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    year BIGINT NOT NULL,
    category TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    hours BIGINT NOT NULL CHECK (hours > 0),
    owner_org_id TEXT NOT NULL REFERENCES orgs (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX courses_year ON courses (year, category);

CREATE TABLE trainings (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES orgs (id),
    level TEXT NOT NULL CHECK (level IN ('city', 'district', 'school', 'provider')),
    category TEXT NOT NULL CHECK (category IN ('professional', 'elective')),
    activity_type TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    year BIGINT NOT NULL,
    hours BIGINT NOT NULL CHECK (hours > 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX trainings_organizer ON trainings (organizer_id, id);

-- Every hour a teacher holds. hours are tenths of an hour (exact).
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    teacher_id TEXT NOT NULL REFERENCES teachers (id),
    year BIGINT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('public', 'professional', 'elective')),
    activity_type TEXT NOT NULL,
    title TEXT NOT NULL,
    hours BIGINT NOT NULL CHECK (hours > 0),
    source TEXT NOT NULL CHECK (source IN ('public_course', 'platform_training', 'organizer', 'declaration', 'carry_over')),
    status TEXT NOT NULL CHECK (status IN ('approved', 'revoked')),
    course_id TEXT REFERENCES courses (id),
    training_id TEXT REFERENCES trainings (id),
    declaration_id TEXT,
    start_date TEXT,
    end_date TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT,
    revoke_reason TEXT
);
CREATE INDEX records_teacher_year ON records (teacher_id, year);
CREATE INDEX records_year ON records (year, status);
CREATE UNIQUE INDEX records_one_per_course ON records (teacher_id, course_id) WHERE course_id IS NOT NULL;
CREATE UNIQUE INDEX records_one_per_training ON records (teacher_id, training_id) WHERE training_id IS NOT NULL;
CREATE UNIQUE INDEX records_one_carry_over ON records (teacher_id, year) WHERE source = 'carry_over';

CREATE TABLE verification_results (
    year BIGINT NOT NULL,
    teacher_id TEXT NOT NULL REFERENCES teachers (id),
    school_id TEXT NOT NULL,
    public_hours BIGINT NOT NULL,
    professional_hours BIGINT NOT NULL,
    elective_hours BIGINT NOT NULL,
    carried_in BIGINT NOT NULL,
    total_hours BIGINT NOT NULL,
    passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
    carry_out BIGINT NOT NULL,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (year, teacher_id)
);
CREATE INDEX verification_results_school ON verification_results (year, school_id);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress BIGINT NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Server-wide values shared by every server behind the load balancer (e.g. signing keys).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
