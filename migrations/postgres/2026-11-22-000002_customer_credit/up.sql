-- Payments that an invoice cannot take in full are still recorded: the part
-- applied to the invoice is `applied_minor`, the rest (amount_minor -
-- applied_minor) is customer credit, one `customer_credits` row per payment.
-- `invoice_status_after` is the invoice's status right after the payment, for
-- the payment history.
ALTER TABLE payments ADD COLUMN applied_minor BIGINT NOT NULL DEFAULT 0
    CHECK (applied_minor >= 0 AND applied_minor <= amount_minor);
UPDATE payments SET applied_minor = amount_minor;
ALTER TABLE payments ALTER COLUMN applied_minor DROP DEFAULT;

ALTER TABLE payments ADD COLUMN invoice_status_after TEXT NOT NULL DEFAULT 'open'
    CHECK (invoice_status_after IN ('draft', 'open', 'paid', 'void', 'uncollectible'));
-- Until now every payment was applied in full to an open invoice: the status
-- after it is `paid` once the running total (creation order) reaches the total.
UPDATE payments SET invoice_status_after = CASE
    WHEN (SELECT SUM(p2.amount_minor) FROM payments p2
          WHERE p2.invoice_id = payments.invoice_id
            AND (p2.created_at < payments.created_at
                 OR (p2.created_at = payments.created_at AND p2.id <= payments.id)))
         >= (SELECT i.total_minor FROM invoices i WHERE i.id = payments.invoice_id)
    THEN 'paid' ELSE 'open' END;
ALTER TABLE payments ALTER COLUMN invoice_status_after DROP DEFAULT;

-- Unapplied cash (a liability): money received that no open invoice could take.
CREATE TABLE customer_credits (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL UNIQUE REFERENCES payments (id),
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    provider_id TEXT REFERENCES providers (id),
    candidate_id TEXT REFERENCES candidates (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('overpayment', 'invoice_not_open', 'currency_mismatch')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_credits_provider_idx ON customer_credits (provider_id);
CREATE INDEX customer_credits_candidate_idx ON customer_credits (candidate_id);

-- PaymentIntent client secrets are no longer kept at rest (fetched from Stripe
-- when needed).
UPDATE payment_intents SET client_secret = NULL;
