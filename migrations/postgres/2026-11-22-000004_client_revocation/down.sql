ALTER TABLE api_clients DROP COLUMN revoked_by;
ALTER TABLE api_clients DROP COLUMN revocation_reason;
