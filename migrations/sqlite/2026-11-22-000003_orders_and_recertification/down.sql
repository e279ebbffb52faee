-- Expired records become 'valid' again (their expires_on still says they expired);
-- this fails if a credential was re-earned after expiring, as the old index forbids that.
UPDATE certifications SET status = 'valid' WHERE status = 'expired';
CREATE TABLE certifications_old (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    credential_code TEXT NOT NULL REFERENCES credentials (code),
    basis TEXT NOT NULL CHECK (basis IN ('exam', 'composite', 'bootstrap_review')),
    exam_attempt_id TEXT REFERENCES exam_attempts (id),
    review_case TEXT,
    status TEXT NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_reason TEXT,
    component_revoked BOOLEAN NOT NULL,
    level TEXT,
    certificate_number TEXT NOT NULL UNIQUE,
    holder_name TEXT NOT NULL,
    issued_on DATE NOT NULL,
    expires_on DATE,
    pdf BLOB NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO certifications_old SELECT * FROM certifications;
DROP TABLE certifications;
ALTER TABLE certifications_old RENAME TO certifications;
CREATE UNIQUE INDEX certifications_held_once ON certifications (candidate_id, credential_code) WHERE status <> 'revoked';
DROP INDEX exam_orders_one_unpaid;
