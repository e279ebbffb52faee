-- Accredited training materials (docs/domain.md, "Training materials"): the
-- admin-editable end-of-life table of Python feature versions, the submissions,
-- and the submission-fee product (kept by down.sql: issued invoice lines may name
-- it, so up.sql inserts it only when missing).

-- End of life of each CPython feature version (inclusive last day), as published in
-- the release-schedule PEPs: 3.9 PEP 596, 3.10 PEP 619, 3.11 PEP 664, 3.12 PEP 693,
-- 3.13 PEP 719, 3.14 PEP 745. Admins edit it (`PUT /v1/python-versions/{version}`).
CREATE TABLE python_versions (
    version TEXT PRIMARY KEY,
    end_of_life DATE NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO python_versions (version, end_of_life, updated_at) VALUES
 ('3.9', '2025-10-31', '2026-01-01 00:00:00'),
 ('3.10', '2026-10-31', '2026-01-01 00:00:00'),
 ('3.11', '2027-10-31', '2026-01-01 00:00:00'),
 ('3.12', '2028-10-31', '2026-01-01 00:00:00'),
 ('3.13', '2029-10-31', '2026-01-01 00:00:00'),
 ('3.14', '2030-10-31', '2026-01-01 00:00:00');

CREATE TABLE training_materials (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    accreditation_id TEXT NOT NULL REFERENCES accreditations (id),
    title TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('entry', 'associate', 'professional', 'expert')),
    python_version TEXT NOT NULL REFERENCES python_versions (version),
    language TEXT NOT NULL,
    delivery_method TEXT NOT NULL CHECK (delivery_method IN ('classroom', 'online_live', 'self_paced', 'blended')),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'under_review', 'approved', 'reaccreditation_due', 'expired', 'rejected')),
    status_reason TEXT,
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    fee_paid_at TIMESTAMP,
    approved_on DATE,
    approved_until DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((approved_until IS NULL) = (approved_on IS NULL))
);
CREATE INDEX training_materials_provider ON training_materials (provider_id, id);
CREATE INDEX training_materials_status ON training_materials (status);

-- The submission fee (US$300, recognised when paid: no term).
INSERT OR IGNORE INTO products (code, kind, name, description, term_months, seat_based, active, created_at) VALUES
 ('training_material_submission', 'accreditation_fee', 'Training materials accreditation submission', 'Review of training materials submitted for accreditation.', NULL, FALSE, TRUE, '2026-01-01 00:00:00');
INSERT OR IGNORE INTO product_prices (id, product_code, version, amount_minor, currency, effective_from, created_at) VALUES
 ('01900000-0000-7000-8000-000000000111', 'training_material_submission', 1, 30000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00');

-- Invoices gain the training-material submission fee as a subject; SQLite cannot
-- alter a CHECK, so the column is replaced as 2026-11-23-000002 did.
DROP INDEX invoices_subject;
DROP TRIGGER invoices_subject_immutable;
DROP TRIGGER invoices_subject_required;
ALTER TABLE invoices ADD COLUMN subject_kind_v3 TEXT
    CHECK (subject_kind_v3 IN ('licence_term', 'exam_order', 'accreditation_fee', 'training_material_fee'));
UPDATE invoices SET subject_kind_v3 = subject_kind;
ALTER TABLE invoices DROP COLUMN subject_kind;
ALTER TABLE invoices RENAME COLUMN subject_kind_v3 TO subject_kind;
CREATE UNIQUE INDEX invoices_subject ON invoices (subject_kind, subject_id);
CREATE TRIGGER invoices_subject_immutable BEFORE UPDATE OF subject_kind, subject_id ON invoices
BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END;
CREATE TRIGGER invoices_subject_required BEFORE INSERT ON invoices
WHEN NEW.subject_kind IS NULL OR NEW.subject_id IS NULL
BEGIN SELECT RAISE(ABORT, 'an invoice needs a subject'); END;
