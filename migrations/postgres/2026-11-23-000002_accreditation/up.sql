-- Accreditation lifecycles of Authorized Trainers (AT) and Authorized Education Centers
-- (AEC): accreditations, their fee invoices, the append-only audit trail of every
-- transition, the ATs an AEC employs, and the fee products (kept by down.sql: issued
-- invoice lines may name them, so up.sql inserts them only when missing).

CREATE TABLE accreditations (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    kind TEXT NOT NULL CHECK (kind IN ('trainer', 'education_center')),
    status TEXT NOT NULL CHECK (status IN ('applied', 'under_review', 'approved', 'active', 'renewal_due',
        'lapsed', 'suspended', 'non_compliant', 'rejected', 'revoked')),
    number TEXT NOT NULL UNIQUE,
    basis TEXT NOT NULL CHECK (basis IN ('application', 'bootstrap_review')),
    review_case TEXT,
    candidate_id TEXT REFERENCES candidates (id),
    statement TEXT NOT NULL,
    facility_address TEXT,
    facility_capacity INTEGER CHECK (facility_capacity IS NULL OR facility_capacity > 0),
    attestation TEXT,
    status_reason TEXT,
    suspension_cause TEXT CHECK (suspension_cause IN ('admin', 'professional_standing', 'no_active_trainer')),
    non_compliant_deadline DATE,
    starts_on DATE,
    expires_on DATE,
    certificate_pdf BYTEA,
    certificate_sha256 TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((kind = 'trainer') = (candidate_id IS NOT NULL)),
    CHECK ((status = 'suspended') = (suspension_cause IS NOT NULL))
);
-- One live accreditation per provider; rejected and revoked ones stay as history.
CREATE UNIQUE INDEX accreditations_live_once ON accreditations (provider_id)
    WHERE status NOT IN ('rejected', 'revoked');
CREATE INDEX accreditations_candidate ON accreditations (candidate_id);

-- Every fee invoice of an accreditation (initial fee on approval, yearly maintenance):
-- the invoice's subject. Paying it activates or extends the accreditation.
CREATE TABLE accreditation_fees (
    id TEXT PRIMARY KEY,
    accreditation_id TEXT NOT NULL REFERENCES accreditations (id),
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'maintenance')),
    state TEXT NOT NULL CHECK (state IN ('awaiting_payment', 'paid')),
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    starts_on DATE,
    expires_on DATE,
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP
);
CREATE UNIQUE INDEX accreditation_fees_one_open ON accreditation_fees (accreditation_id)
    WHERE state = 'awaiting_payment';

-- The audit trail: one row per transition (by an admin, a payment, a cascade or the
-- clock). Append-only: the database refuses UPDATE and DELETE.
CREATE TABLE accreditation_events (
    id TEXT PRIMARY KEY,
    accreditation_id TEXT NOT NULL REFERENCES accreditations (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX accreditation_events_by_accreditation ON accreditation_events (accreditation_id, id);

-- The ATs an AEC employs; each link is confirmed by the AT's own provider account.
CREATE TABLE aec_trainer_links (
    id TEXT PRIMARY KEY,
    aec_accreditation_id TEXT NOT NULL REFERENCES accreditations (id),
    trainer_accreditation_id TEXT NOT NULL REFERENCES accreditations (id),
    confirmed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (aec_accreditation_id, trainer_accreditation_id)
);
CREATE INDEX aec_trainer_links_trainer ON aec_trainer_links (trainer_accreditation_id);

-- Fee lines of the initial accreditation invoice besides the existing accreditation
-- fee products (docs/domain.md, "Accreditation fees").
INSERT INTO products (code, kind, name, description, term_months, seat_based, active, created_at) VALUES
 ('accreditation_base_text_syllabus', 'accreditation_fee', 'Base Text and Syllabus (accreditation kit)', 'The Base Text and the Syllabus supplied with an initial accreditation.', 12, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('accreditation_admin_overhead', 'accreditation_fee', 'Accreditation administrative overhead', 'Review and administration of an accreditation application.', 12, FALSE, TRUE, '2026-01-01 00:00:00')
ON CONFLICT DO NOTHING;
INSERT INTO product_prices (id, product_code, version, amount_minor, currency, effective_from, created_at) VALUES
 ('01900000-0000-7000-8000-000000000101', 'accreditation_base_text_syllabus', 1, 15000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000102', 'accreditation_admin_overhead', 1, 20000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00')
ON CONFLICT DO NOTHING;
UPDATE products SET description = 'Initial Authorized Trainer accreditation fee (12 months).' WHERE code = 'at_accreditation';
UPDATE products SET description = 'Initial Authorized Education Center accreditation fee (12 months).' WHERE code = 'aec_accreditation';

CREATE TRIGGER accreditation_events_append_only BEFORE UPDATE OR DELETE ON accreditation_events
    FOR EACH ROW EXECUTE FUNCTION accredit_append_only();

-- Invoices gain the accreditation fee as a subject.
ALTER TABLE invoices DROP CONSTRAINT invoices_subject_kind_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_subject_kind_check
    CHECK (subject_kind IN ('licence_term', 'exam_order', 'accreditation_fee'));
