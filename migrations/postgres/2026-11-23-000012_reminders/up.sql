-- Issue 11, "Policies" and "Running it" (docs/domain.md, "Reminders and the
-- scheduler"): the reminder policy of each subject kind (admin-edited data), the
-- runs of the sweep, and one row per reminder step ever decided for a subject.

-- One policy per subject kind. `steps` is a JSON array of
-- {"offset_days": i32, "template": "<email-templates dir>", "enabled": bool}, offsets
-- in days from the subject's anchor date (negative = before), unique per policy.
-- `final_action` is what the last enabled step also does (dunning only).
CREATE TABLE reminder_policies (
    subject_kind TEXT PRIMARY KEY CHECK (subject_kind IN ('licence', 'accreditation', 'aec_non_compliance',
        'training_material', 'certification', 'voucher', 'invoice')),
    steps TEXT NOT NULL,
    final_action TEXT NOT NULL DEFAULT 'none' CHECK (final_action IN ('none', 'mark_uncollectible', 'suspend_accreditation')),
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

-- The defaults of issue 11. Unpaid invoices: the final step (30 days after due)
-- does nothing by default; an admin chooses `mark_uncollectible` or
-- `suspend_accreditation`.
INSERT INTO reminder_policies (subject_kind, steps, final_action, updated_at, updated_by) VALUES
 ('licence', '[{"offset_days":-60,"template":"reminder_licence_expiry","enabled":true},{"offset_days":-30,"template":"reminder_licence_expiry","enabled":true},{"offset_days":-7,"template":"reminder_licence_expiry","enabled":true},{"offset_days":0,"template":"reminder_licence_expiry","enabled":true},{"offset_days":7,"template":"reminder_licence_grace","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration'),
 ('accreditation', '[{"offset_days":-60,"template":"reminder_accreditation_expiry","enabled":true},{"offset_days":-30,"template":"reminder_accreditation_expiry","enabled":true},{"offset_days":-7,"template":"reminder_accreditation_expiry","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration'),
 ('aec_non_compliance', '[{"offset_days":-14,"template":"reminder_aec_non_compliance","enabled":true},{"offset_days":-3,"template":"reminder_aec_non_compliance","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration'),
 ('training_material', '[{"offset_days":-60,"template":"reminder_material_reaccreditation","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration'),
 ('certification', '[{"offset_days":-90,"template":"reminder_certification_expiry","enabled":true},{"offset_days":-30,"template":"reminder_certification_expiry","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration'),
 ('voucher', '[{"offset_days":-30,"template":"reminder_voucher_expiry","enabled":true},{"offset_days":-7,"template":"reminder_voucher_expiry","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration'),
 ('invoice', '[{"offset_days":7,"template":"reminder_invoice_overdue","enabled":true},{"offset_days":14,"template":"reminder_invoice_overdue","enabled":true},{"offset_days":30,"template":"reminder_invoice_overdue","enabled":true}]', 'none', '2026-11-23 00:00:00', 'migration');

-- One run of the sweep. `summary` is the JSON summary (per kind: planned, sent,
-- skipped, failed). On SQLite a running run holds the lease: another run waits
-- for `locked_until` to pass (a killed run's lease simply expires).
CREATE TABLE reminder_runs (
    id TEXT PRIMARY KEY,
    as_of DATE NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('cli', 'api', 'scheduler')),
    started_by TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    summary TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    locked_until TIMESTAMP
);
CREATE INDEX reminder_runs_started ON reminder_runs (started_at, id);

-- Every step decided for a subject: `sent` (an email was queued in the same
-- transaction, `outbox_id`) or `skipped` (catch-up: an earlier step overtaken by a
-- later one, or a step too stale to send). The unique key makes a reminder
-- at-most-once however many sweeps or instances run.
CREATE TABLE reminders (
    id TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    step_offset_days INTEGER NOT NULL,
    due_on DATE NOT NULL,
    anchor_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'skipped')),
    template TEXT NOT NULL,
    recipient TEXT,
    outbox_id TEXT,
    final_action TEXT CHECK (final_action IN ('none', 'mark_uncollectible', 'suspend_accreditation')),
    run_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (subject_kind, subject_id, step_offset_days, due_on)
);
CREATE INDEX reminders_run ON reminders (run_id);
