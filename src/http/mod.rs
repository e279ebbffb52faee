//! The HTTP edge: actix handlers (one module per resource), request extractors,
//! RFC 9457 errors, and the OpenAPI document generated from the handlers.
//!
//! Handlers authenticate and authorise, shape requests into service calls, and
//! shape results into responses; they hold no business rules and no SQL.

pub mod auth;
pub mod candidates;
pub mod certifications;
pub mod clients;
pub mod edge;
pub mod exams;
pub mod extract;
pub mod invoices;
pub mod ledger;
pub mod licences;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod products;
pub mod providers;
pub mod respond;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::jwks)
        .service(auth::token)
        .service(providers::create)
        .service(providers::list)
        .service(providers::get)
        .service(providers::create_client)
        .service(products::list)
        .service(products::get)
        .service(products::add_price)
        .service(licences::purchase)
        .service(licences::list)
        .service(licences::get)
        .service(licences::renew)
        .service(invoices::list)
        .service(invoices::get)
        .service(invoices::pdf)
        .service(invoices::record_payment)
        .service(invoices::list_payments)
        .service(invoices::list_customer_credits)
        .service(ledger::trial_balance)
        .service(webhooks::stripe)
        .service(candidates::sign_up)
        .service(candidates::login)
        .service(candidates::get)
        .service(candidates::grant_equivalent)
        .service(candidates::submit_contribution)
        .service(candidates::review_contribution)
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
        .service(certifications::bootstrap)
        .service(certifications::list)
        .service(certifications::certificate)
        .service(certifications::suspend)
        .service(certifications::revoke)
        .service(certifications::verify)
        .service(clients::list)
        .service(clients::revoke);
}
