-- Indexes for every query of a write path or a hot read (checked by the
-- `query_plans` API test, which fails on a full scan of one of these tables).

-- A licence's terms (`licences::view`, inside every purchase and renewal): the
-- partial unique index on open terms cannot serve a query over all terms.
CREATE INDEX licence_terms_licence ON licence_terms (licence_id, id);
-- Marking payables as paid out and listing a payout's payables.
CREATE INDEX payables_payout ON payables (payout_id);
-- The trial balance groups postings by account, currency and side and sums the
-- amounts: a covering index answers it without reading the table rows. It also
-- serves every lookup the old (account, currency) index served.
DROP INDEX ledger_postings_account;
CREATE INDEX ledger_postings_balance ON ledger_postings (account, currency, side, amount_minor);

-- Invoice PDFs live apart from the invoice row, written once after the sale has
-- committed (the outbox renders them, or the first read does): the sale no
-- longer renders while it holds the invoice-number counter row, and invoice
-- reads no longer carry 30 KB of PDF. Existing PDFs move here; the invoice row
-- keeps empty legacy columns.
CREATE TABLE invoice_documents (
    invoice_id TEXT PRIMARY KEY REFERENCES invoices (id),
    pdf BYTEA NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    rendered_at TIMESTAMP NOT NULL
);
INSERT INTO invoice_documents (invoice_id, pdf, pdf_sha256, rendered_at)
    SELECT id, pdf, pdf_sha256, issued_at FROM invoices WHERE pdf_sha256 <> '';
ALTER TABLE invoices DISABLE TRIGGER invoices_immutable;
UPDATE invoices SET pdf = '\x'::bytea, pdf_sha256 = '';
ALTER TABLE invoices ENABLE TRIGGER invoices_immutable;
CREATE TRIGGER invoice_documents_append_only BEFORE UPDATE OR DELETE ON invoice_documents
    FOR EACH ROW EXECUTE FUNCTION accredit_append_only();
