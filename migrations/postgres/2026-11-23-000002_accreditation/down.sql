-- The fee products stay (issued invoice lines may name them); up.sql inserts them
-- only when missing.
ALTER TABLE invoices DROP CONSTRAINT invoices_subject_kind_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_subject_kind_check
    CHECK (subject_kind IN ('licence_term', 'exam_order')) NOT VALID;
UPDATE products SET description = 'Initial AT accreditation: Base Text, Syllabus and administration.' WHERE code = 'at_accreditation';
UPDATE products SET description = 'Initial AEC accreditation: Base Text, Syllabus and administration.' WHERE code = 'aec_accreditation';
DROP TABLE aec_trainer_links;
DROP TABLE accreditation_events;
DROP TABLE accreditation_fees;
DROP TABLE accreditations;
