ALTER TABLE outbox DROP COLUMN retried_at;
ALTER TABLE outbox DROP COLUMN retried_by;
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
UPDATE outbox SET status = 'dead' WHERE status = 'failed';
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'done', 'dead'));
