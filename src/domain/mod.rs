//! Pure domain types and rules: money, ids, roles, licences, invoices, the ledger,
//! the exam catalogue and exam fee splits.
//!
//! Nothing here does I/O or imports actix, diesel, stripe or lettre; every rule is a
//! function of its inputs (time included: see [`clock`]), so it can be tested alone.

pub mod clock;
pub mod exam;
pub mod ids;
pub mod invoice;
pub mod ledger;
pub mod licence;
pub mod money;
pub mod product;
pub mod provider;
pub mod role;
pub mod split;
