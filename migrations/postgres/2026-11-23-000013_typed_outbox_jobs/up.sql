-- Issue 11: the outbox carries typed jobs. A queued mail was
-- {kind: 'email', payload: {template, to, context, attachments}}; it becomes
-- {kind: 'mail:<template>', payload: {to, attachments, ...context}} (the fields of
-- its Rust type, services/mails.rs). The mail inside an `invoice_issued` job
-- changes the same way.
UPDATE outbox
SET kind = 'mail:' || (payload::jsonb ->> 'template'),
    payload = ((payload::jsonb -> 'context')
        || jsonb_build_object('to', payload::jsonb -> 'to',
                              'attachments', COALESCE(payload::jsonb -> 'attachments', '[]'::jsonb)))::text
WHERE kind = 'email';

UPDATE outbox
SET payload = jsonb_set(payload::jsonb, '{email}',
        (payload::jsonb -> 'email' -> 'context')
        || jsonb_build_object('to', payload::jsonb -> 'email' -> 'to',
                              'attachments', COALESCE(payload::jsonb -> 'email' -> 'attachments', '[]'::jsonb)))::text
WHERE kind = 'invoice_issued' AND (payload::jsonb -> 'email') ? 'template';
