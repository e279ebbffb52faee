-- The subject kind's CHECK narrows again (refused while such invoices exist).
ALTER TABLE invoices DROP CONSTRAINT invoices_subject_kind_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_subject_kind_check
    CHECK (subject_kind IN ('licence_term', 'exam_order', 'accreditation_fee'));
DROP TABLE training_materials;
DROP TABLE python_versions;
