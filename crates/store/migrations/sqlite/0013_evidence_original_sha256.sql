-- Evidence images are stored without their metadata (EXIF, GPS, comments), so the stored
-- file's hash is not the upload's. The upload's own hash is kept for the identical-file
-- checks: the same photo uploaded again matches whether its earlier copy was stored before
-- or after metadata removal began (earlier rows stored the upload as it came).
ALTER TABLE evidence ADD COLUMN original_sha256 TEXT;
UPDATE evidence SET original_sha256 = sha256;
CREATE INDEX evidence_original_sha256 ON evidence (original_sha256);
