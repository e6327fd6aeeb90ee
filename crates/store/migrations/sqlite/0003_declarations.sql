-- Declarations (个人申报) with their evidence, the two-level reviews, and in-app notifications.
--
-- A declaration keeps a copy of its teacher's *current* school (school_id, district_id,
-- city_affiliated) so review queues are one index range; the trigger at the end keeps the
-- copy current when a teacher transfers. Scope checks on single objects read the teacher.
CREATE TABLE declarations (
    id TEXT PRIMARY KEY,
    teacher_id TEXT NOT NULL REFERENCES teachers (id),
    school_id TEXT NOT NULL REFERENCES orgs (id),
    district_id TEXT,
    city_affiliated INTEGER NOT NULL DEFAULT 0 CHECK (city_affiliated IN (0, 1)),
    year INTEGER NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('professional', 'elective')),
    activity_type TEXT NOT NULL,
    title TEXT NOT NULL,
    title_normalized TEXT NOT NULL,
    organizer TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    hours INTEGER NOT NULL CHECK (hours > 0),
    approved_hours INTEGER CHECK (approved_hours > 0),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'school_approved', 'approved', 'returned', 'rejected', 'withdrawn')),
    foreign_certificate INTEGER NOT NULL CHECK (foreign_certificate IN (0, 1)),
    certificate_states_hours INTEGER NOT NULL CHECK (certificate_states_hours IN (0, 1)),
    -- Last (re)submission; queued_at orders the queues: created_at until submitted.
    submitted_at INTEGER,
    queued_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- The effective record a second-level approval created.
    record_id TEXT REFERENCES records (id)
);
CREATE INDEX declarations_queue ON declarations (status, queued_at, id);
CREATE INDEX declarations_school_queue ON declarations (school_id, status, queued_at, id);
CREATE INDEX declarations_district_queue ON declarations (district_id, city_affiliated, status, queued_at, id);
CREATE INDEX declarations_teacher ON declarations (teacher_id, status, year);
-- Counts per status of a year, read from the index alone.
CREATE INDEX declarations_year_counts ON declarations (year, status);
CREATE INDEX declarations_school_counts ON declarations (school_id, year, status);
CREATE INDEX declarations_district_counts ON declarations (district_id, city_affiliated, year, status);

CREATE UNIQUE INDEX records_one_per_declaration ON records (declaration_id) WHERE declaration_id IS NOT NULL;

CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    declaration_id TEXT NOT NULL REFERENCES declarations (id),
    kind TEXT NOT NULL CHECK (kind IN ('certificate', 'translation', 'hours_proof')),
    sha256 TEXT NOT NULL,
    -- Perceptual hash of an image (base64), NULL for PDFs.
    phash TEXT,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX evidence_declaration ON evidence (declaration_id, created_at);
CREATE INDEX evidence_sha256 ON evidence (sha256);
CREATE INDEX evidence_phash ON evidence (phash);

-- Each byte of a perceptual hash, so near-identical images (Hamming distance <= 6 of 64 bits
-- share at least 2 bytes) are found through an index rather than by scanning every image.
CREATE TABLE evidence_phash_bands (
    band INTEGER NOT NULL,
    value INTEGER NOT NULL,
    evidence_id TEXT NOT NULL REFERENCES evidence (id) ON DELETE CASCADE,
    PRIMARY KEY (band, value, evidence_id)
);
CREATE INDEX evidence_phash_bands_evidence ON evidence_phash_bands (evidence_id);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    declaration_id TEXT NOT NULL REFERENCES declarations (id),
    level TEXT NOT NULL CHECK (level IN ('school', 'second')),
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'return', 'reject')),
    hours INTEGER,
    reason_code TEXT,
    comment TEXT,
    reviewer_id TEXT NOT NULL REFERENCES users (id),
    at INTEGER NOT NULL
);
CREATE INDEX reviews_declaration ON reviews (declaration_id, at);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    target_id TEXT,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

CREATE TRIGGER declarations_follow_transfer AFTER UPDATE OF school_id ON teachers
WHEN NEW.school_id <> OLD.school_id
BEGIN
    UPDATE declarations SET school_id = NEW.school_id,
        district_id = (SELECT district_id FROM orgs WHERE id = NEW.school_id),
        city_affiliated = (SELECT city_affiliated FROM orgs WHERE id = NEW.school_id)
    WHERE teacher_id = NEW.id;
END;
