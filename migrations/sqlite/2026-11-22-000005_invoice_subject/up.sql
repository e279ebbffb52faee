-- Every invoice records what it is for (its subject); paying it in full runs exactly
-- the one fulfilment chosen by that subject. Existing invoices are backfilled from
-- the licence terms and exam orders that point at them (the immutability trigger
-- covers only the columns it names, so the backfill passes); then a trigger makes
-- the subject as immutable as the rest of an issued invoice. SQLite cannot add a
-- NOT NULL column without a default: inserts without a subject are refused by a
-- trigger instead.
ALTER TABLE invoices ADD COLUMN subject_kind TEXT CHECK (subject_kind IN ('licence_term', 'exam_order'));
ALTER TABLE invoices ADD COLUMN subject_id TEXT;

UPDATE invoices SET subject_kind = 'licence_term',
    subject_id = (SELECT lt.id FROM licence_terms lt WHERE lt.invoice_id = invoices.id)
  WHERE EXISTS (SELECT 1 FROM licence_terms lt WHERE lt.invoice_id = invoices.id);
UPDATE invoices SET subject_kind = 'exam_order',
    subject_id = (SELECT eo.id FROM exam_orders eo WHERE eo.invoice_id = invoices.id)
  WHERE EXISTS (SELECT 1 FROM exam_orders eo WHERE eo.invoice_id = invoices.id);

CREATE UNIQUE INDEX invoices_subject ON invoices (subject_kind, subject_id);
CREATE TRIGGER invoices_subject_immutable BEFORE UPDATE OF subject_kind, subject_id ON invoices
BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END;
CREATE TRIGGER invoices_subject_required BEFORE INSERT ON invoices
WHEN NEW.subject_kind IS NULL OR NEW.subject_id IS NULL
BEGIN SELECT RAISE(ABORT, 'an invoice needs a subject'); END;
