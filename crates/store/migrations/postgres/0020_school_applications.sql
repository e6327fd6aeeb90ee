-- School applications (学校注册申请, the notice 五(二)2): a school not yet on the platform
-- applies, and its district (or the city) approves, which creates the school and its
-- administrator. The contact phone is sealed like the teachers' phones.
CREATE TABLE school_applications (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    district_id TEXT NOT NULL REFERENCES orgs (id),
    ownership TEXT NOT NULL CHECK (ownership IN ('public', 'private')),
    school_type TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    admin_username TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    applied_at BIGINT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    decision_reason TEXT,
    -- The school an approval created.
    school_id TEXT REFERENCES orgs (id)
);
-- One open application per name in a district, also between servers.
CREATE UNIQUE INDEX school_applications_one_pending ON school_applications (district_id, name)
    WHERE status = 'pending';
CREATE INDEX school_applications_district ON school_applications (district_id, status, id);
CREATE INDEX school_applications_status ON school_applications (status, id);
