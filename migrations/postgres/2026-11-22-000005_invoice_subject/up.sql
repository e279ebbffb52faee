-- Every invoice records what it is for (its subject); paying it in full runs exactly
-- the one fulfilment chosen by that subject. Existing invoices are backfilled from
-- the licence terms and exam orders that point at them; then the subject is as
-- immutable as the rest of an issued invoice.
ALTER TABLE invoices ADD COLUMN subject_kind TEXT CHECK (subject_kind IN ('licence_term', 'exam_order'));
ALTER TABLE invoices ADD COLUMN subject_id TEXT;

ALTER TABLE invoices DISABLE TRIGGER invoices_immutable;
UPDATE invoices SET subject_kind = 'licence_term', subject_id = lt.id
  FROM licence_terms lt WHERE lt.invoice_id = invoices.id;
UPDATE invoices SET subject_kind = 'exam_order', subject_id = eo.id
  FROM exam_orders eo WHERE eo.invoice_id = invoices.id;
ALTER TABLE invoices ENABLE TRIGGER invoices_immutable;

ALTER TABLE invoices ALTER COLUMN subject_kind SET NOT NULL;
ALTER TABLE invoices ALTER COLUMN subject_id SET NOT NULL;
CREATE UNIQUE INDEX invoices_subject ON invoices (subject_kind, subject_id);

CREATE OR REPLACE FUNCTION accredit_invoice_immutable() RETURNS trigger AS $$
BEGIN
    IF (NEW.id, NEW.series, NEW.year, NEW.sequence, NEW.number, NEW.currency, NEW.subtotal_minor,
        NEW.tax_minor, NEW.total_minor, NEW.provider_id, NEW.seller, NEW.buyer, NEW.payment_instructions,
        NEW.issued_at, NEW.issued_on, NEW.due_on, NEW.pdf, NEW.pdf_sha256, NEW.subject_kind, NEW.subject_id)
       IS DISTINCT FROM
       (OLD.id, OLD.series, OLD.year, OLD.sequence, OLD.number, OLD.currency, OLD.subtotal_minor,
        OLD.tax_minor, OLD.total_minor, OLD.provider_id, OLD.seller, OLD.buyer, OLD.payment_instructions,
        OLD.issued_at, OLD.issued_on, OLD.due_on, OLD.pdf, OLD.pdf_sha256, OLD.subject_kind, OLD.subject_id) THEN
        RAISE EXCEPTION 'issued invoices are immutable';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
