DROP TABLE reminders;
DROP TABLE reminder_runs;
DROP TABLE reminder_policies;
