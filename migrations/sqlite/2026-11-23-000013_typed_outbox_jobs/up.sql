-- Issue 11: the outbox carries typed jobs. A queued mail was
-- {kind: 'email', payload: {template, to, context, attachments}}; it becomes
-- {kind: 'mail:<template>', payload: {to, attachments, ...context}} (the fields of
-- its Rust type, services/mails.rs). The mail inside an `invoice_issued` job
-- changes the same way.
UPDATE outbox
SET kind = 'mail:' || json_extract(payload, '$.template'),
    payload = json_set(json_extract(payload, '$.context'),
                       '$.to', json_extract(payload, '$.to'),
                       '$.attachments', json(COALESCE(json_extract(payload, '$.attachments'), '[]')))
WHERE kind = 'email';

UPDATE outbox
SET payload = json_set(payload, '$.email',
        json(json_set(json_extract(payload, '$.email.context'),
                      '$.to', json_extract(payload, '$.email.to'),
                      '$.attachments', json(COALESCE(json_extract(payload, '$.email.attachments'), '[]')))))
WHERE kind = 'invoice_issued' AND json_extract(payload, '$.email.template') IS NOT NULL;
