//! Accreditation of Authorized Trainers (AT) and Authorized Education Centers (AEC)
//! (docs/domain.md, "Accreditation"): applications and bootstrap admissions
//! ([`applications`]), admin decisions ([`review`]), fee invoices and what paying
//! them does ([`fees`]), the cascades between a person's standing, ATs and AECs
//! ([`cascade`]), the clock ([`sweep`]) and what accreditation gates ([`gates`]).
//! Every change of status goes through [`store::apply`]: the domain's transition
//! table, then one append-only audit event.
//!
//! Uses billing (invoices), parties (providers) and the shared look-ups; the areas
//! that sell or certify (licensing, exams, credentials) call into it, never the
//! other way round.

pub mod applications;
pub mod cascade;
pub mod fees;
pub mod gates;
pub mod materials;
pub mod python_versions;
pub mod register;
pub mod review;
pub mod store;
pub mod sweep;
