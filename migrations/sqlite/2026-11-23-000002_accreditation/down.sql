-- Invoices of accreditation fees lose their subject kind's CHECK entry: the column is
-- replaced as up.sql did (refused while such invoices exist: the narrower CHECK fails).
DROP INDEX invoices_subject;
DROP TRIGGER invoices_subject_immutable;
DROP TRIGGER invoices_subject_required;
ALTER TABLE invoices ADD COLUMN subject_kind_v1 TEXT
    CHECK (subject_kind_v1 IN ('licence_term', 'exam_order'));
UPDATE invoices SET subject_kind_v1 = subject_kind;
ALTER TABLE invoices DROP COLUMN subject_kind;
ALTER TABLE invoices RENAME COLUMN subject_kind_v1 TO subject_kind;
CREATE UNIQUE INDEX invoices_subject ON invoices (subject_kind, subject_id);
CREATE TRIGGER invoices_subject_immutable BEFORE UPDATE OF subject_kind, subject_id ON invoices
BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END;
CREATE TRIGGER invoices_subject_required BEFORE INSERT ON invoices
WHEN NEW.subject_kind IS NULL OR NEW.subject_id IS NULL
BEGIN SELECT RAISE(ABORT, 'an invoice needs a subject'); END;
UPDATE products SET description = 'Initial AT accreditation: Base Text, Syllabus and administration.' WHERE code = 'at_accreditation';
UPDATE products SET description = 'Initial AEC accreditation: Base Text, Syllabus and administration.' WHERE code = 'aec_accreditation';
DROP TABLE aec_trainer_links;
DROP TABLE accreditation_events;
DROP TABLE accreditation_fees;
DROP TABLE accreditations;
