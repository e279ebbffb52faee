DROP TRIGGER invoices_immutable;
UPDATE invoices SET
    pdf = (SELECT d.pdf FROM invoice_documents d WHERE d.invoice_id = invoices.id),
    pdf_sha256 = (SELECT d.pdf_sha256 FROM invoice_documents d WHERE d.invoice_id = invoices.id)
    WHERE id IN (SELECT invoice_id FROM invoice_documents);
CREATE TRIGGER invoices_immutable BEFORE UPDATE OF id, series, year, sequence, number, currency, subtotal_minor, tax_minor, total_minor, provider_id, seller, buyer, payment_instructions, issued_at, issued_on, due_on, pdf, pdf_sha256 ON invoices
BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END;
DROP TABLE invoice_documents;
DROP INDEX ledger_postings_balance;
CREATE INDEX ledger_postings_account ON ledger_postings (account, currency);
DROP INDEX payables_payout;
DROP INDEX licence_terms_licence;
