//! Accredit: the licensing and commerce back office of a certification body.
//!
//! Layers (dependencies point down):
//! - [`http`]: actix handlers, DTOs, auth extractor, RFC 9457 errors, OpenAPI;
//! - [`services`]: one function per use case, one transaction each, outbox rows;
//! - [`domain`]: pure types and rules (money, ids, licences, invoices, ledger);
//! - [`db`] and [`integrations`] (Stripe, mail, PDF) used by services;
//! - [`jobs`]: the outbox worker, calling the same services.
//!
//! See `README.md` for running it and `docs/domain.md` for the domain.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod integrations;
pub mod jobs;
pub mod services;
pub mod startup;
pub mod telemetry;

#[cfg(test)]
mod architecture_tests;
