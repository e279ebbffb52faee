//! Tables of exams and credentials: testing vendors, the credential catalogue,
//! split policies, exam orders, vouchers, attempts, certifications,
//! contributions, partner payables and payouts.
#![allow(missing_docs)]

diesel::table! {
    testing_vendors (id) {
        id -> Text,
        name -> Text,
        country -> Text,
        stripe_account_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    credentials (code) {
        code -> Text,
        name -> Text,
        tier -> Text,
        is_exam -> Bool,
        product_code -> Nullable<Text>,
        retake_wait_days -> Integer,
        voucher_validity_months -> Integer,
        validity_months -> Nullable<Integer>,
        active -> Bool,
    }
}

diesel::table! {
    credential_prerequisites (credential_code, required_code) {
        credential_code -> Text,
        required_code -> Text,
    }
}

diesel::table! {
    credential_components (composite_code, component_code) {
        composite_code -> Text,
        component_code -> Text,
    }
}

diesel::table! {
    equivalent_experiences (id) {
        id -> Text,
        candidate_id -> Text,
        credential_code -> Text,
        reason -> Text,
        granted_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    split_policies (id) {
        id -> Text,
        exam_code -> Text,
        testing_vendor_id -> Nullable<Text>,
        effective_from -> Date,
        foundation_bp -> Integer,
        testing_vendor_bp -> Integer,
        referring_provider_bp -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    exam_orders (id) {
        id -> Text,
        candidate_id -> Text,
        exam_code -> Text,
        testing_vendor_id -> Text,
        referring_provider_id -> Nullable<Text>,
        invoice_id -> Text,
        status -> Text,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    vouchers (id) {
        id -> Text,
        code -> Text,
        exam_order_id -> Text,
        candidate_id -> Text,
        exam_code -> Text,
        testing_vendor_id -> Text,
        status -> Text,
        expires_on -> Date,
        created_at -> Timestamp,
        redeemed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    exam_attempts (id) {
        id -> Text,
        voucher_id -> Text,
        candidate_id -> Text,
        exam_code -> Text,
        testing_vendor_id -> Text,
        passed -> Nullable<Bool>,
        score_percent -> Nullable<Integer>,
        taken_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        reported_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certifications (id) {
        id -> Text,
        candidate_id -> Text,
        credential_code -> Text,
        basis -> Text,
        exam_attempt_id -> Nullable<Text>,
        review_case -> Nullable<Text>,
        status -> Text,
        status_reason -> Nullable<Text>,
        component_revoked -> Bool,
        level -> Nullable<Text>,
        certificate_number -> Text,
        holder_name -> Text,
        issued_on -> Date,
        expires_on -> Nullable<Date>,
        pdf -> Binary,
        pdf_sha256 -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contributions (id) {
        id -> Text,
        candidate_id -> Text,
        description -> Text,
        status -> Text,
        credits -> Integer,
        reviewed_by -> Nullable<Text>,
        created_at -> Timestamp,
        reviewed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payouts (id) {
        id -> Text,
        partner_type -> Text,
        partner_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        method -> Text,
        reference -> Text,
        stripe_transfer_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payables (id) {
        id -> Text,
        partner_type -> Text,
        partner_id -> Text,
        exam_order_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        payout_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
