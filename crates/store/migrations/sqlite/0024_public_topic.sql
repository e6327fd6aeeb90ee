-- A public course's topic (domain::public_topic): one course per topic and year, so that
-- completions of two copies cannot count twice. Courses published before stay NULL; the
-- service compares their titles itself.
ALTER TABLE courses ADD COLUMN public_topic TEXT;
CREATE UNIQUE INDEX courses_public_topic ON courses (year, public_topic)
    WHERE public_topic IS NOT NULL;
