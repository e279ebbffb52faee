-- Accredit foundation schema: providers, API clients, catalogue, licences,
-- invoices (immutable once issued), payments, Stripe state, ledger, idempotency, outbox.
-- Ids are UUID text; money is BIGINT minor units + ISO 4217 code; timestamps are UTC.

CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('trainer', 'education_center')),
    legal_name TEXT NOT NULL,
    email TEXT NOT NULL,
    country TEXT NOT NULL,
    address_line1 TEXT NOT NULL,
    address_line2 TEXT,
    city TEXT NOT NULL,
    postal_code TEXT,
    region TEXT,
    tax_id TEXT,
    stripe_customer_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    provider_id TEXT REFERENCES providers (id),
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    CHECK ((role = 'provider') = (provider_id IS NOT NULL))
);

CREATE TABLE products (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('course_licence', 'base_text', 'exam_fee', 'accreditation_fee')),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    term_months INTEGER CHECK (term_months IS NULL OR term_months > 0),
    seat_based BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE product_prices (
    id TEXT PRIMARY KEY,
    product_code TEXT NOT NULL REFERENCES products (code),
    version INTEGER NOT NULL CHECK (version > 0),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    effective_from TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (product_code, version)
);

CREATE TABLE licences (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    product_code TEXT NOT NULL REFERENCES products (code),
    seats INTEGER NOT NULL CHECK (seats > 0),
    starts_on DATE,
    expires_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX licences_provider ON licences (provider_id, id);
CREATE INDEX licences_expires ON licences (expires_on);

CREATE TABLE invoice_counters (
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_sequence BIGINT NOT NULL CHECK (last_sequence >= 0),
    PRIMARY KEY (series, year)
);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    sequence BIGINT NOT NULL CHECK (sequence > 0),
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    currency TEXT NOT NULL,
    subtotal_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    amount_paid_minor BIGINT NOT NULL CHECK (amount_paid_minor >= 0 AND amount_paid_minor <= total_minor),
    provider_id TEXT REFERENCES providers (id),
    seller TEXT NOT NULL,
    buyer TEXT NOT NULL,
    payment_instructions TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_on DATE NOT NULL,
    due_on DATE NOT NULL,
    paid_at TIMESTAMP,
    pdf BYTEA NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    UNIQUE (series, year, sequence)
);
CREATE INDEX invoices_provider ON invoices (provider_id, id);

CREATE TABLE invoice_lines (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    position INTEGER NOT NULL,
    product_code TEXT NOT NULL REFERENCES products (code),
    price_id TEXT NOT NULL REFERENCES product_prices (id),
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_minor BIGINT NOT NULL,
    net_minor BIGINT NOT NULL,
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp >= 0),
    tax_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    period_start DATE,
    period_end DATE,
    UNIQUE (invoice_id, position)
);

CREATE TABLE licence_terms (
    id TEXT PRIMARY KEY,
    licence_id TEXT NOT NULL REFERENCES licences (id),
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'renewal')),
    state TEXT NOT NULL CHECK (state IN ('awaiting_payment', 'paid')),
    starts_on DATE,
    expires_on DATE,
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP
);
-- At most one unpaid term per licence: a second renewal request finds the first.
CREATE UNIQUE INDEX licence_terms_one_open ON licence_terms (licence_id) WHERE state = 'awaiting_payment';

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('bank_transfer', 'card')),
    reference TEXT NOT NULL,
    received_on DATE NOT NULL,
    stripe_payment_intent_id TEXT UNIQUE,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id);

CREATE TABLE payment_intents (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices (id),
    client_secret TEXT,
    status TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

CREATE TABLE ledger_transactions (
    id TEXT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    description TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL
);
CREATE INDEX ledger_transactions_source ON ledger_transactions (source_type, source_id);

CREATE TABLE ledger_postings (
    id TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    position INTEGER NOT NULL,
    account TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    UNIQUE (transaction_id, position)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account, currency);

CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (caller, idempotency_key)
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'dead')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- The catalogue as first published; admins add price versions through the API.
INSERT INTO products (code, kind, name, description, term_months, seat_based, active, created_at) VALUES
 ('base_text_syllabus_licence', 'course_licence', 'Base Text and Syllabus course licence', 'Yearly licence to teach from the Base Text and Syllabus; one seat per trainer or classroom.', 12, TRUE, TRUE, '2026-01-01 00:00:00'),
 ('training_materials_licence', 'course_licence', 'Training materials licence', 'Yearly licence to use the foundation-approved training materials; one seat per trainer or classroom.', 12, TRUE, TRUE, '2026-01-01 00:00:00'),
 ('exam_materials_licence', 'course_licence', 'Exam materials licence', 'Yearly licence to the exam preparation materials; one seat per trainer or classroom.', 12, TRUE, TRUE, '2026-01-01 00:00:00'),
 ('base_text_print', 'base_text', 'Base Text (print)', 'The Base Text, printed edition.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('base_text_ebook', 'base_text', 'Base Text (ebook)', 'The Base Text, DRM-free ebook.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('base_text_site_licence', 'base_text', 'Base Text company-internal site licence', 'Licence to publish the Base Text on a company intranet, per year.', 12, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('exam_pcep', 'exam_fee', 'PCEP exam fee', 'Certified Entry-Level Python Programmer exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('exam_pcap', 'exam_fee', 'PCAP exam fee', 'Certified Associate Python Programmer exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('exam_pcpp1', 'exam_fee', 'PCPP1 exam fee', 'Certified Professional Python Programmer Level 1 exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('exam_pcpp2', 'exam_fee', 'PCPP2 exam fee', 'Certified Professional Python Programmer Level 2 exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('at_accreditation', 'accreditation_fee', 'Authorized Trainer initial accreditation', 'Initial AT accreditation: Base Text, Syllabus and administration.', 12, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('at_maintenance', 'accreditation_fee', 'Authorized Trainer yearly maintenance', 'Yearly AT maintenance fee.', 12, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('aec_accreditation', 'accreditation_fee', 'Authorized Education Center initial accreditation', 'Initial AEC accreditation: Base Text, Syllabus and administration.', 12, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('aec_maintenance', 'accreditation_fee', 'Authorized Education Center yearly maintenance', 'Yearly AEC maintenance fee.', 12, FALSE, TRUE, '2026-01-01 00:00:00');

INSERT INTO product_prices (id, product_code, version, amount_minor, currency, effective_from, created_at) VALUES
 ('01900000-0000-7000-8000-000000000001', 'base_text_syllabus_licence', 1, 250000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000002', 'training_materials_licence', 1, 180000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000003', 'exam_materials_licence', 1, 120000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000004', 'base_text_print', 1, 4900, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000005', 'base_text_ebook', 1, 2900, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000006', 'base_text_site_licence', 1, 150000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000007', 'exam_pcep', 1, 5900, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000008', 'exam_pcap', 1, 29500, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000009', 'exam_pcpp1', 1, 19500, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000010', 'exam_pcpp2', 1, 19500, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000011', 'at_accreditation', 1, 95000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000012', 'at_maintenance', 1, 25000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000013', 'aec_accreditation', 1, 350000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000014', 'aec_maintenance', 1, 100000, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00');

-- Issued invoices, their lines and the ledger are append-only (corrections are
-- credit notes and new ledger transactions); only status and payment progress move.
CREATE FUNCTION accredit_invoice_immutable() RETURNS trigger AS $$
BEGIN
    IF (NEW.id, NEW.series, NEW.year, NEW.sequence, NEW.number, NEW.currency, NEW.subtotal_minor,
        NEW.tax_minor, NEW.total_minor, NEW.provider_id, NEW.seller, NEW.buyer, NEW.payment_instructions,
        NEW.issued_at, NEW.issued_on, NEW.due_on, NEW.pdf, NEW.pdf_sha256)
       IS DISTINCT FROM
       (OLD.id, OLD.series, OLD.year, OLD.sequence, OLD.number, OLD.currency, OLD.subtotal_minor,
        OLD.tax_minor, OLD.total_minor, OLD.provider_id, OLD.seller, OLD.buyer, OLD.payment_instructions,
        OLD.issued_at, OLD.issued_on, OLD.due_on, OLD.pdf, OLD.pdf_sha256) THEN
        RAISE EXCEPTION 'issued invoices are immutable';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE FUNCTION accredit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION accredit_invoice_immutable();
CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION accredit_append_only();
CREATE TRIGGER invoice_lines_append_only BEFORE UPDATE OR DELETE ON invoice_lines FOR EACH ROW EXECUTE FUNCTION accredit_append_only();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions FOR EACH ROW EXECUTE FUNCTION accredit_append_only();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings FOR EACH ROW EXECUTE FUNCTION accredit_append_only();
