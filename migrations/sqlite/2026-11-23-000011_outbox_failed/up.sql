-- Issue 11: an outbox row that used up its attempts is `failed` (was `dead`), and
-- an admin's retry of it is recorded. SQLite cannot alter a CHECK: the table is
-- rebuilt.
CREATE TABLE outbox_new (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    retried_by TEXT,
    retried_at TIMESTAMP
);
INSERT INTO outbox_new (id, kind, payload, status, attempts, next_attempt_at, locked_until, last_error, created_at, completed_at)
SELECT id, kind, payload, CASE status WHEN 'dead' THEN 'failed' ELSE status END, attempts, next_attempt_at, locked_until, last_error, created_at, completed_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
