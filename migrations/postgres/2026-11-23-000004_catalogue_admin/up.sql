-- The catalogue as data an admin runs (docs/domain.md, "Catalogue administration"):
-- credentials can be deactivated like products, and every change to a product or a
-- credential is recorded in an append-only audit trail with before and after.

ALTER TABLE credentials ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE catalogue_events (
    id TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('product', 'credential')),
    subject_code TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    before_state TEXT,
    after_state TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX catalogue_events_by_subject ON catalogue_events (subject_kind, subject_code, id);

CREATE TRIGGER catalogue_events_append_only BEFORE UPDATE OR DELETE ON catalogue_events
    FOR EACH ROW EXECUTE FUNCTION accredit_append_only();

-- The rest of the track in ../shared/seeds/python-certifications-catalog.md: PCAT
-- (testing) and the data-analytics line PCED -> PCAD. The seeds give no fees and no
-- prerequisite for PCAT or PCED; the fees follow the track's existing tiers (entry
-- = the PCEP fee, associate = the PCAP fee) and are documented in docs/domain.md,
-- "Catalogue administration".
INSERT INTO products (code, kind, name, description, term_months, seat_based, active, created_at) VALUES
 ('exam_pcat', 'exam_fee', 'PCAT exam fee', 'Certified Associate Tester with Python exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('exam_pced', 'exam_fee', 'PCED exam fee', 'Certified Entry-Level Data Analyst with Python exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00'),
 ('exam_pcad', 'exam_fee', 'PCAD exam fee', 'Certified Associate Data Analyst with Python exam voucher.', NULL, FALSE, TRUE, '2026-01-01 00:00:00');
INSERT INTO product_prices (id, product_code, version, amount_minor, currency, effective_from, created_at) VALUES
 ('01900000-0000-7000-8000-000000000201', 'exam_pcat', 1, 29500, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000202', 'exam_pced', 1, 5900, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
 ('01900000-0000-7000-8000-000000000203', 'exam_pcad', 1, 29500, 'USD', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO credentials (code, name, tier, is_exam, product_code, retake_wait_days, voucher_validity_months, validity_months, active) VALUES
 ('PCAT', 'Certified Associate Tester with Python', 'associate', TRUE, 'exam_pcat', 14, 12, NULL, TRUE),
 ('PCED', 'Certified Entry-Level Data Analyst with Python', 'entry', TRUE, 'exam_pced', 14, 12, NULL, TRUE),
 ('PCAD', 'Certified Associate Data Analyst with Python', 'associate', TRUE, 'exam_pcad', 14, 12, NULL, TRUE);
INSERT INTO credential_prerequisites (credential_code, required_code) VALUES
 ('PCAD', 'PCED');
