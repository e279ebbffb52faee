-- Removes the seeded credentials and exam fee products (refused while orders,
-- vouchers or certifications reference them) and the audit trail.
DELETE FROM credential_prerequisites WHERE credential_code IN ('PCAT', 'PCED', 'PCAD');
DELETE FROM credentials WHERE code IN ('PCAT', 'PCED', 'PCAD');
DELETE FROM product_prices WHERE product_code IN ('exam_pcat', 'exam_pced', 'exam_pcad');
DELETE FROM products WHERE code IN ('exam_pcat', 'exam_pced', 'exam_pcad');
DROP TABLE catalogue_events;
ALTER TABLE credentials DROP COLUMN active;
