//! The audit trail of catalogue administration.
#![allow(missing_docs)]

diesel::table! {
    catalogue_events (id) {
        id -> Text,
        subject_kind -> Text,
        subject_code -> Text,
        action -> Text,
        actor -> Text,
        reason -> Nullable<Text>,
        before_state -> Nullable<Text>,
        after_state -> Text,
        at -> Timestamp,
    }
}
