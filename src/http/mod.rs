//! The HTTP edge: actix handlers grouped by area as `services/` and `domain/` are
//! ([`billing`], [`parties`], [`licensing`], [`exams`], [`credentials`],
//! [`accreditation`]), with the
//! shared edge below them: request extractors ([`extract`]), RFC 9457 errors
//! ([`problem`], [`edge`]), health and metrics ([`ops`]), the token endpoint
//! ([`auth`]) and the OpenAPI document generated from the handlers ([`openapi`]).
//!
//! Handlers authenticate and authorise, shape requests into service calls, and
//! shape results into responses; they hold no business rules and no SQL.

pub mod accreditation;
pub mod auth;
pub mod billing;
pub mod credentials;
pub mod edge;
pub mod emails;
pub mod exams;
pub mod extract;
pub mod jobs;
pub mod licensing;
pub mod materials;
pub mod openapi;
pub mod openapi_links;
pub mod ops;
pub mod pages;
pub mod parties;
pub mod problem;
pub mod register;
pub mod respond;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::jwks)
        .service(auth::token)
        .service(parties::providers::create)
        .service(parties::providers::list)
        .service(parties::providers::get)
        .service(parties::providers::create_client)
        .service(billing::products::list)
        .service(billing::products::get)
        .service(billing::products::add_price)
        .service(billing::products::create)
        .service(billing::products::update)
        .service(billing::products::events)
        .service(licensing::purchase)
        .service(licensing::list)
        .service(licensing::get)
        .service(licensing::renew)
        .service(billing::invoices::list)
        .service(billing::invoices::get)
        .service(billing::invoices::pdf)
        .service(billing::invoices::record_payment)
        .service(billing::invoices::list_payments)
        .service(billing::invoices::payment_intent)
        .service(billing::invoices::list_customer_credits)
        .service(billing::ledger::trial_balance)
        .service(emails::list)
        .service(emails::retry)
        .service(emails::templates)
        .service(emails::preview)
        .service(billing::webhooks::stripe)
        .service(parties::candidates::sign_up)
        .service(parties::candidates::login)
        .service(parties::candidates::get)
        .service(parties::candidates::grant_equivalent)
        .service(parties::candidates::submit_contribution)
        .service(parties::candidates::review_contribution)
        .service(exams::create_vendor)
        .service(exams::create_vendor_client)
        .service(exams::list_exams)
        .service(exams::create_policy)
        .service(exams::list_policies)
        .service(exams::place_order)
        .service(exams::list_orders)
        .service(exams::get_order)
        .service(exams::redeem)
        .service(exams::report_result)
        .service(exams::get_attempt)
        .service(exams::payables)
        .service(exams::pay)
        .service(credentials::bootstrap)
        .service(credentials::list)
        .service(credentials::certificate)
        .service(credentials::suspend)
        .service(credentials::revoke)
        .service(credentials::verify)
        .service(credentials::create_credential)
        .service(credentials::update_credential)
        .service(credentials::credential_events)
        .service(register::providers)
        .service(parties::clients::list)
        .service(parties::clients::revoke)
        .service(accreditation::apply)
        .service(accreditation::list)
        .service(accreditation::get)
        .service(accreditation::decide)
        .service(accreditation::events)
        .service(accreditation::renew)
        .service(accreditation::confirm_link)
        .service(accreditation::certificate);
    cfg.service(materials::submit)
        .service(materials::list)
        .service(materials::get)
        .service(materials::decide)
        .service(materials::list_versions)
        .service(materials::get_version)
        .service(materials::put_version);
    cfg.service(jobs::list_policies)
        .service(jobs::put_policy)
        .service(jobs::start_run)
        .service(jobs::list_runs)
        .service(jobs::get_run);
}
