-- Candidates, testing vendors, the exam catalogue, exam orders, vouchers, attempts,
-- certifications, contributions, split policies, partner payables and payouts.

CREATE TABLE candidates (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    country TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    stripe_customer_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE testing_vendors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    stripe_account_id TEXT,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE api_clients ADD COLUMN vendor_id TEXT REFERENCES testing_vendors (id);
ALTER TABLE invoices ADD COLUMN candidate_id TEXT REFERENCES candidates (id);
CREATE INDEX invoices_candidate ON invoices (candidate_id, id);

CREATE TABLE credentials (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('entry', 'associate', 'professional', 'expert')),
    is_exam BOOLEAN NOT NULL,
    product_code TEXT REFERENCES products (code),
    retake_wait_days INTEGER NOT NULL CHECK (retake_wait_days >= 0),
    voucher_validity_months INTEGER NOT NULL CHECK (voucher_validity_months > 0),
    validity_months INTEGER CHECK (validity_months IS NULL OR validity_months > 0)
);

CREATE TABLE credential_prerequisites (
    credential_code TEXT NOT NULL REFERENCES credentials (code),
    required_code TEXT NOT NULL REFERENCES credentials (code),
    PRIMARY KEY (credential_code, required_code)
);

CREATE TABLE credential_components (
    composite_code TEXT NOT NULL REFERENCES credentials (code),
    component_code TEXT NOT NULL REFERENCES credentials (code),
    PRIMARY KEY (composite_code, component_code)
);

CREATE TABLE equivalent_experiences (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    credential_code TEXT NOT NULL REFERENCES credentials (code),
    reason TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (candidate_id, credential_code)
);

CREATE TABLE split_policies (
    id TEXT PRIMARY KEY,
    exam_code TEXT NOT NULL REFERENCES credentials (code),
    testing_vendor_id TEXT REFERENCES testing_vendors (id),
    effective_from DATE NOT NULL,
    foundation_bp INTEGER NOT NULL CHECK (foundation_bp >= 0),
    testing_vendor_bp INTEGER NOT NULL CHECK (testing_vendor_bp >= 0),
    referring_provider_bp INTEGER NOT NULL CHECK (referring_provider_bp >= 0),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (foundation_bp + testing_vendor_bp + referring_provider_bp = 10000)
);
CREATE INDEX split_policies_lookup ON split_policies (exam_code, effective_from);

CREATE TABLE exam_orders (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    exam_code TEXT NOT NULL REFERENCES credentials (code),
    testing_vendor_id TEXT NOT NULL REFERENCES testing_vendors (id),
    referring_provider_id TEXT REFERENCES providers (id),
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    status TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid')),
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP
);
CREATE INDEX exam_orders_candidate ON exam_orders (candidate_id, id);

CREATE TABLE vouchers (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    exam_order_id TEXT NOT NULL UNIQUE REFERENCES exam_orders (id),
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    exam_code TEXT NOT NULL REFERENCES credentials (code),
    testing_vendor_id TEXT NOT NULL REFERENCES testing_vendors (id),
    status TEXT NOT NULL CHECK (status IN ('issued', 'redeemed')),
    expires_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    redeemed_at TIMESTAMP
);
CREATE INDEX vouchers_candidate ON vouchers (candidate_id, exam_code);

CREATE TABLE exam_attempts (
    id TEXT PRIMARY KEY,
    voucher_id TEXT NOT NULL UNIQUE REFERENCES vouchers (id),
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    exam_code TEXT NOT NULL REFERENCES credentials (code),
    testing_vendor_id TEXT NOT NULL REFERENCES testing_vendors (id),
    passed BOOLEAN,
    score_percent INTEGER CHECK (score_percent IS NULL OR (score_percent >= 0 AND score_percent <= 100)),
    taken_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    reported_at TIMESTAMP
);
CREATE INDEX exam_attempts_candidate ON exam_attempts (candidate_id, exam_code);

CREATE TABLE certifications (
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
-- A credential is held once; a revoked one may be earned again.
CREATE UNIQUE INDEX certifications_held_once ON certifications (candidate_id, credential_code) WHERE status <> 'revoked';

CREATE TABLE contributions (
    id TEXT PRIMARY KEY,
    candidate_id TEXT NOT NULL REFERENCES candidates (id),
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'verified', 'rejected')),
    credits INTEGER NOT NULL CHECK (credits >= 0),
    reviewed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP
);

CREATE TABLE payouts (
    id TEXT PRIMARY KEY,
    partner_type TEXT NOT NULL CHECK (partner_type IN ('testing_vendor', 'referring_provider')),
    partner_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('stripe_transfer', 'bank_transfer')),
    reference TEXT NOT NULL,
    stripe_transfer_id TEXT UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE payables (
    id TEXT PRIMARY KEY,
    partner_type TEXT NOT NULL CHECK (partner_type IN ('testing_vendor', 'referring_provider')),
    partner_id TEXT NOT NULL,
    exam_order_id TEXT NOT NULL REFERENCES exam_orders (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    payout_id TEXT REFERENCES payouts (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (exam_order_id, partner_type)
);
CREATE INDEX payables_partner ON payables (partner_type, partner_id, payout_id);

INSERT INTO credentials (code, name, tier, is_exam, product_code, retake_wait_days, voucher_validity_months, validity_months) VALUES
 ('PCEP', 'Certified Entry-Level Python Programmer', 'entry', TRUE, 'exam_pcep', 14, 12, NULL),
 ('PCAP', 'Certified Associate Python Programmer', 'associate', TRUE, 'exam_pcap', 14, 12, NULL),
 ('PCPP1', 'Certified Professional Python Programmer Level 1', 'professional', TRUE, 'exam_pcpp1', 14, 12, NULL),
 ('PCPP2', 'Certified Professional Python Programmer Level 2', 'professional', TRUE, 'exam_pcpp2', 14, 12, NULL),
 ('CEPP', 'Certified Expert in Python Programming', 'expert', FALSE, NULL, 0, 12, NULL);
INSERT INTO credential_prerequisites (credential_code, required_code) VALUES
 ('PCAP', 'PCEP'), ('PCPP1', 'PCAP'), ('PCPP2', 'PCAP'), ('PCPP2', 'PCPP1');
INSERT INTO credential_components (composite_code, component_code) VALUES
 ('CEPP', 'PCAP'), ('CEPP', 'PCPP1'), ('CEPP', 'PCPP2');
