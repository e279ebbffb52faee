-- One unpaid exam order per candidate and exam, enforced by the database so that
-- concurrent orders cannot all pass the service's check (each would issue an
-- invoice). Fails if duplicates already exist: settle or void them first, e.g.
--   SELECT candidate_id, exam_code, count(*) FROM exam_orders
--   WHERE status = 'pending_payment' GROUP BY 1, 2 HAVING count(*) > 1;
CREATE UNIQUE INDEX exam_orders_one_unpaid ON exam_orders (candidate_id, exam_code)
    WHERE status = 'pending_payment';

-- Recertification: an expired certification is stored as 'expired' when the
-- credential is awarded again, and only live ones (valid, suspended) are unique.
-- SQLite cannot alter a CHECK constraint: the table is rebuilt (no table references
-- certifications, so no foreign key needs care), same columns in the same order.
CREATE TABLE certifications_new (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    credential_code TEXT NOT NULL REFERENCES credentials (code),
    basis TEXT NOT NULL CHECK (basis IN ('exam', 'composite', 'bootstrap_review')),
    exam_attempt_id TEXT REFERENCES exam_attempts (id),
    review_case TEXT,
    status TEXT NOT NULL CHECK (status IN ('valid', 'expired', 'suspended', 'revoked')),
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
INSERT INTO certifications_new SELECT * FROM certifications;
DROP TABLE certifications;
ALTER TABLE certifications_new RENAME TO certifications;
CREATE UNIQUE INDEX certifications_live_once ON certifications (candidate_id, credential_code)
    WHERE status IN ('valid', 'suspended');
