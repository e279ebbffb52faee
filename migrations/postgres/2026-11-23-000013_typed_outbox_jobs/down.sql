UPDATE outbox
SET payload = jsonb_set(payload::jsonb, '{email}',
        jsonb_build_object('template', 'invoice_issued',
                           'to', payload::jsonb -> 'email' -> 'to',
                           'context', (payload::jsonb -> 'email') - 'to' - 'attachments',
                           'attachments', COALESCE(payload::jsonb -> 'email' -> 'attachments', '[]'::jsonb)))::text
WHERE kind = 'invoice_issued' AND NOT (payload::jsonb -> 'email') ? 'template';

UPDATE outbox
SET payload = jsonb_build_object('template', substr(kind, 6),
                                 'to', payload::jsonb -> 'to',
                                 'context', payload::jsonb - 'to' - 'attachments',
                                 'attachments', COALESCE(payload::jsonb -> 'attachments', '[]'::jsonb))::text,
    kind = 'email'
WHERE kind LIKE 'mail:%';
