CREATE OR REPLACE FUNCTION accredit_invoice_immutable() RETURNS trigger AS $$
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
DROP INDEX invoices_subject;
ALTER TABLE invoices DROP COLUMN subject_id;
ALTER TABLE invoices DROP COLUMN subject_kind;
