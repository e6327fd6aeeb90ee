-- Perceptual hashes are computed in the background, off the upload's request path (decoding
-- a photo is the largest piece of CPU work in an upload). NULL = an image not yet looked at;
-- PDFs and files already hashed (or found undecodable) carry the time of it.
ALTER TABLE evidence ADD COLUMN phash_checked_at BIGINT;
UPDATE evidence SET phash_checked_at = created_at;
CREATE INDEX evidence_phash_pending ON evidence (created_at) WHERE phash_checked_at IS NULL;
