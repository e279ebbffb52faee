ALTER TABLE invoices DISABLE TRIGGER invoices_immutable;
UPDATE invoices SET pdf = d.pdf, pdf_sha256 = d.pdf_sha256
    FROM invoice_documents d WHERE d.invoice_id = invoices.id;
ALTER TABLE invoices ENABLE TRIGGER invoices_immutable;
DROP TABLE invoice_documents;
DROP INDEX ledger_postings_balance;
CREATE INDEX ledger_postings_account ON ledger_postings (account, currency);
DROP INDEX payables_payout;
DROP INDEX licence_terms_licence;
