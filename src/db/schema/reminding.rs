//! Tables of reminder policies, reminder runs and the reminders sent or skipped
//! (migration `2026-11-23-000012_reminders`).
#![allow(missing_docs)]

diesel::table! {
    reminder_policies (subject_kind) {
        subject_kind -> Text,
        steps -> Text,
        final_action -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    reminder_runs (id) {
        id -> Text,
        as_of -> Date,
        origin -> Text,
        started_by -> Text,
        status -> Text,
        summary -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reminders (id) {
        id -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        step_offset_days -> Integer,
        due_on -> Date,
        anchor_on -> Date,
        status -> Text,
        template -> Text,
        recipient -> Nullable<Text>,
        outbox_id -> Nullable<Text>,
        final_action -> Nullable<Text>,
        run_id -> Text,
        created_at -> Timestamp,
    }
}
