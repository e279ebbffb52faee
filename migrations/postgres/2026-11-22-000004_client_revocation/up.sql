-- Why an API client was revoked and by whom (revoked_at already exists).
ALTER TABLE api_clients ADD COLUMN revocation_reason TEXT;
ALTER TABLE api_clients ADD COLUMN revoked_by TEXT;
