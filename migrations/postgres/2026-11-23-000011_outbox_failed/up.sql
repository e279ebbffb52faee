-- Issue 11: an outbox row that used up its attempts is `failed` (was `dead`), and
-- an admin's retry of it is recorded.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
UPDATE outbox SET status = 'failed' WHERE status = 'dead';
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'done', 'failed'));
ALTER TABLE outbox ADD COLUMN retried_by TEXT;
ALTER TABLE outbox ADD COLUMN retried_at TIMESTAMP;
