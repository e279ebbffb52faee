DROP TABLE customer_credits;
ALTER TABLE payments DROP COLUMN invoice_status_after;
ALTER TABLE payments DROP COLUMN applied_minor;
