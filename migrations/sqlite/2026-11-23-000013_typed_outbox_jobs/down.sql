UPDATE outbox
SET payload = json_set(payload, '$.email',
        json_object('template', 'invoice_issued',
                    'to', json_extract(payload, '$.email.to'),
                    'context', json(json_remove(json_extract(payload, '$.email'), '$.to', '$.attachments')),
                    'attachments', json(COALESCE(json_extract(payload, '$.email.attachments'), '[]'))))
WHERE kind = 'invoice_issued' AND json_extract(payload, '$.email.template') IS NULL;

UPDATE outbox
SET payload = json_object('template', substr(kind, 6),
                          'to', json_extract(payload, '$.to'),
                          'context', json(json_remove(payload, '$.to', '$.attachments')),
                          'attachments', json(COALESCE(json_extract(payload, '$.attachments'), '[]'))),
    kind = 'email'
WHERE kind LIKE 'mail:%';
