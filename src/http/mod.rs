//! The HTTP edge: actix handlers (one module per resource), request extractors,
//! RFC 9457 errors, and the OpenAPI document generated from the handlers.
//!
//! Handlers authenticate and authorise, shape requests into service calls, and
//! shape results into responses; they hold no business rules and no SQL.

pub mod auth;
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
        .service(ledger::trial_balance)
        .service(webhooks::stripe);
}
