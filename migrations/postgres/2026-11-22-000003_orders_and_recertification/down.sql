-- Expired records become 'valid' again (their expires_on still says they expired);
-- this fails if a credential was re-earned after expiring, as the old index forbids that.
DROP INDEX certifications_live_once;
UPDATE certifications SET status = 'valid' WHERE status = 'expired';
ALTER TABLE certifications DROP CONSTRAINT certifications_status_check;
ALTER TABLE certifications ADD CONSTRAINT certifications_status_check
    CHECK (status IN ('valid', 'suspended', 'revoked'));
CREATE UNIQUE INDEX certifications_held_once ON certifications (candidate_id, credential_code) WHERE status <> 'revoked';
DROP INDEX exam_orders_one_unpaid;
