-- Announcements (通知公告) with their attachments, districts' consultation contacts
-- (答疑联系人), and the reminder runs that several servers claim so each is sent once.
CREATE TABLE announcements (
    id TEXT PRIMARY KEY,
    -- The publisher: the city (everyone) or a district (its own scope).
    org_id TEXT NOT NULL REFERENCES orgs (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX announcements_org ON announcements (org_id, id);

CREATE TABLE announcement_attachments (
    id TEXT PRIMARY KEY,
    announcement_id TEXT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX announcement_attachments_announcement ON announcement_attachments (announcement_id, created_at);

CREATE TABLE contacts (
    org_id TEXT NOT NULL REFERENCES orgs (id),
    sort_order INTEGER NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    -- When to call, as the district writes it (e.g. 工作日 9:00-12:00).
    hours TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, sort_order)
);

-- One row per reminder sent: the unique key is the claim, so of several servers one sends it.
CREATE TABLE reminder_runs (
    year INTEGER NOT NULL,
    deadline TEXT NOT NULL CHECK (deadline IN ('declaration', 'school_review', 'district_review')),
    deadline_date TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    run_on TEXT NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0,
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (year, deadline, deadline_date, days_before)
);
