//! Diesel table definitions, written by hand to match `migrations/{sqlite,postgres}`
//! (the two trees create the same tables with the same column types).
#![allow(missing_docs)]
//!
//! The billing, parties, licensing and plumbing tables are here; the other areas'
//! tables are in the submodules below and re-exported, so every table is
//! `crate::db::schema::<table>`. Joins and same-query permissions are declared
//! here for all of them.

mod accreditation;
mod catalogue;
mod exams;
mod reminding;

pub use accreditation::*;
pub use catalogue::*;
pub use exams::*;
pub use reminding::*;

diesel::table! {
    providers (id) {
        id -> Text,
        kind -> Text,
        legal_name -> Text,
        email -> Text,
        country -> Text,
        address_line1 -> Text,
        address_line2 -> Nullable<Text>,
        city -> Text,
        postal_code -> Nullable<Text>,
        region -> Nullable<Text>,
        tax_id -> Nullable<Text>,
        stripe_customer_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        provider_id -> Nullable<Text>,
        secret_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        vendor_id -> Nullable<Text>,
        revocation_reason -> Nullable<Text>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    products (code) {
        code -> Text,
        kind -> Text,
        name -> Text,
        description -> Text,
        term_months -> Nullable<Integer>,
        seat_based -> Bool,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    product_prices (id) {
        id -> Text,
        product_code -> Text,
        version -> Integer,
        amount_minor -> BigInt,
        currency -> Text,
        effective_from -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    licences (id) {
        id -> Text,
        provider_id -> Text,
        product_code -> Text,
        seats -> Integer,
        starts_on -> Nullable<Date>,
        expires_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    invoice_counters (series, year) {
        series -> Text,
        year -> Integer,
        last_sequence -> BigInt,
    }
}

diesel::table! {
    invoices (id) {
        id -> Text,
        series -> Text,
        year -> Integer,
        sequence -> BigInt,
        number -> Text,
        status -> Text,
        currency -> Text,
        subtotal_minor -> BigInt,
        tax_minor -> BigInt,
        total_minor -> BigInt,
        amount_paid_minor -> BigInt,
        provider_id -> Nullable<Text>,
        seller -> Text,
        buyer -> Text,
        payment_instructions -> Text,
        issued_at -> Timestamp,
        issued_on -> Date,
        due_on -> Date,
        paid_at -> Nullable<Timestamp>,
        pdf -> Binary,
        pdf_sha256 -> Text,
        candidate_id -> Nullable<Text>,
        subject_kind -> Text,
        subject_id -> Text,
    }
}

diesel::table! {
    invoice_lines (id) {
        id -> Text,
        invoice_id -> Text,
        position -> Integer,
        product_code -> Text,
        price_id -> Text,
        description -> Text,
        quantity -> BigInt,
        unit_price_minor -> BigInt,
        net_minor -> BigInt,
        tax_rate_bp -> Integer,
        tax_minor -> BigInt,
        total_minor -> BigInt,
        period_start -> Nullable<Date>,
        period_end -> Nullable<Date>,
    }
}

diesel::table! {
    licence_terms (id) {
        id -> Text,
        licence_id -> Text,
        invoice_id -> Text,
        kind -> Text,
        state -> Text,
        starts_on -> Nullable<Date>,
        expires_on -> Nullable<Date>,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        invoice_id -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        method -> Text,
        reference -> Text,
        received_on -> Date,
        stripe_payment_intent_id -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
        applied_minor -> BigInt,
        invoice_status_after -> Text,
    }
}

diesel::table! {
    customer_credits (id) {
        id -> Text,
        payment_id -> Text,
        invoice_id -> Text,
        provider_id -> Nullable<Text>,
        candidate_id -> Nullable<Text>,
        amount_minor -> BigInt,
        currency -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_intents (id) {
        id -> Text,
        invoice_id -> Text,
        client_secret -> Nullable<Text>,
        status -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stripe_events (id) {
        id -> Text,
        event_type -> Text,
        payload -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    ledger_transactions (id) {
        id -> Text,
        occurred_at -> Timestamp,
        description -> Text,
        source_type -> Text,
        source_id -> Text,
    }
}

diesel::table! {
    ledger_postings (id) {
        id -> Text,
        transaction_id -> Text,
        position -> Integer,
        account -> Text,
        side -> Text,
        amount_minor -> BigInt,
        currency -> Text,
    }
}

diesel::table! {
    idempotency_keys (caller, idempotency_key) {
        caller -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        resource_id -> Nullable<Text>,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        retried_by -> Nullable<Text>,
        retried_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    candidates (id) {
        id -> Text,
        email -> Text,
        given_name -> Text,
        family_name -> Text,
        country -> Text,
        password_hash -> Text,
        stripe_customer_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(api_clients -> providers (provider_id));
diesel::joinable!(product_prices -> products (product_code));
diesel::joinable!(licences -> providers (provider_id));
diesel::joinable!(invoice_lines -> invoices (invoice_id));
diesel::joinable!(licence_terms -> licences (licence_id));
diesel::joinable!(licence_terms -> invoices (invoice_id));
diesel::joinable!(payments -> invoices (invoice_id));
diesel::joinable!(customer_credits -> payments (payment_id));
diesel::joinable!(ledger_postings -> ledger_transactions (transaction_id));

diesel::allow_tables_to_appear_in_same_query!(
    customer_credits,
    providers,
    api_clients,
    products,
    product_prices,
    licences,
    invoice_counters,
    invoices,
    invoice_lines,
    licence_terms,
    payments,
    payment_intents,
    stripe_events,
    ledger_transactions,
    ledger_postings,
    idempotency_keys,
    outbox,
    candidates,
    testing_vendors,
    credentials,
    credential_prerequisites,
    credential_components,
    equivalent_experiences,
    split_policies,
    exam_orders,
    vouchers,
    exam_attempts,
    certifications,
    contributions,
    payouts,
    payables,
    accreditations,
    accreditation_fees,
    accreditation_events,
    aec_trainer_links,
    python_versions,
    training_materials,
);

diesel::table! {
    invoice_documents (invoice_id) {
        invoice_id -> Text,
        pdf -> Binary,
        pdf_sha256 -> Text,
        rendered_at -> Timestamp,
    }
}

diesel::joinable!(invoice_documents -> invoices (invoice_id));
diesel::allow_tables_to_appear_in_same_query!(invoice_documents, invoices);
