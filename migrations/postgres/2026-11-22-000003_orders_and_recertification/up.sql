-- One unpaid exam order per candidate and exam, enforced by the database so that
-- concurrent orders cannot all pass the service's check (each would issue an
-- invoice). Fails if duplicates already exist: settle or void them first, e.g.
--   SELECT candidate_id, exam_code, count(*) FROM exam_orders
--   WHERE status = 'pending_payment' GROUP BY 1, 2 HAVING count(*) > 1;
CREATE UNIQUE INDEX exam_orders_one_unpaid ON exam_orders (candidate_id, exam_code)
    WHERE status = 'pending_payment';

-- Recertification: an expired certification is stored as 'expired' when the
-- credential is awarded again, and only live ones (valid, suspended) are unique.
ALTER TABLE certifications DROP CONSTRAINT certifications_status_check;
ALTER TABLE certifications ADD CONSTRAINT certifications_status_check
    CHECK (status IN ('valid', 'expired', 'suspended', 'revoked'));
DROP INDEX certifications_held_once;
CREATE UNIQUE INDEX certifications_live_once ON certifications (candidate_id, credential_code)
    WHERE status IN ('valid', 'suspended');
