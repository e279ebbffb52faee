DROP TRIGGER invoices_subject_required;
DROP TRIGGER invoices_subject_immutable;
DROP INDEX invoices_subject;
ALTER TABLE invoices DROP COLUMN subject_id;
ALTER TABLE invoices DROP COLUMN subject_kind;
