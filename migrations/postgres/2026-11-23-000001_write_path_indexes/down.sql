DROP INDEX ledger_postings_balance;
CREATE INDEX ledger_postings_account ON ledger_postings (account, currency);
DROP INDEX payables_payout;
DROP INDEX licence_terms_licence;
