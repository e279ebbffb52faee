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

