-- The subject kind's CHECK narrows again: the column is replaced as up.sql did
-- (refused while such invoices exist: the narrower CHECK fails).
DROP INDEX invoices_subject;
DROP TRIGGER invoices_subject_immutable;
DROP TRIGGER invoices_subject_required;
ALTER TABLE invoices ADD COLUMN subject_kind_v2 TEXT
    CHECK (subject_kind_v2 IN ('licence_term', 'exam_order', 'accreditation_fee'));
UPDATE invoices SET subject_kind_v2 = subject_kind;
ALTER TABLE invoices DROP COLUMN subject_kind;
ALTER TABLE invoices RENAME COLUMN subject_kind_v2 TO subject_kind;
CREATE UNIQUE INDEX invoices_subject ON invoices (subject_kind, subject_id);
CREATE TRIGGER invoices_subject_immutable BEFORE UPDATE OF subject_kind, subject_id ON invoices
BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END;
CREATE TRIGGER invoices_subject_required BEFORE INSERT ON invoices
WHEN NEW.subject_kind IS NULL OR NEW.subject_id IS NULL
BEGIN SELECT RAISE(ABORT, 'an invoice needs a subject'); END;
DROP TABLE training_materials;
DROP TABLE python_versions;
