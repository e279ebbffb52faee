//! Tables of AT/AEC accreditations, their fees, audit events and trainer links,
//! training materials and the Python end-of-life table.
#![allow(missing_docs)]

diesel::table! {
    accreditations (id) {
        id -> Text,
        provider_id -> Text,
        kind -> Text,
        status -> Text,
        number -> Text,
        basis -> Text,
        review_case -> Nullable<Text>,
        candidate_id -> Nullable<Text>,
        statement -> Text,
        facility_address -> Nullable<Text>,
        facility_capacity -> Nullable<Integer>,
        attestation -> Nullable<Text>,
        status_reason -> Nullable<Text>,
        suspension_cause -> Nullable<Text>,
        non_compliant_deadline -> Nullable<Date>,
        starts_on -> Nullable<Date>,
        expires_on -> Nullable<Date>,
        certificate_pdf -> Nullable<Binary>,
        certificate_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accreditation_fees (id) {
        id -> Text,
        accreditation_id -> Text,
        kind -> Text,
        state -> Text,
        invoice_id -> Text,
        starts_on -> Nullable<Date>,
        expires_on -> Nullable<Date>,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    accreditation_events (id) {
        id -> Text,
        accreditation_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor -> Text,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    aec_trainer_links (id) {
        id -> Text,
        aec_accreditation_id -> Text,
        trainer_accreditation_id -> Text,
        confirmed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    python_versions (version) {
        version -> Text,
        end_of_life -> Date,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    training_materials (id) {
        id -> Text,
        provider_id -> Text,
        accreditation_id -> Text,
        title -> Text,
        level -> Text,
        python_version -> Text,
        language -> Text,
        delivery_method -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        invoice_id -> Text,
        fee_paid_at -> Nullable<Timestamp>,
        approved_on -> Nullable<Date>,
        approved_until -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
