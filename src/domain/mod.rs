//! Pure domain types and rules, grouped by area as `services/` and `http/` are:
//! - shared kernel: [`money`], [`ids`], [`clock`], [`role`], [`codes`], [`stored`];
//! - [`accreditation`] — AT and AEC accreditation statuses and their transition table;
//! - [`billing`] — products and prices, invoices, the ledger;
//! - [`parties`] — providers;
//! - [`licensing`] — licence terms;
//! - [`exams`] — retakes, vouchers, fee split policies;
//! - [`credentials`] — the credential catalogue, levels and composite awards.
//!
//! Nothing here does I/O or imports actix, diesel, stripe or lettre; every rule is a
//! function of its inputs (time included: see [`clock`]), so it can be tested alone.
//! The terms are those of `docs/domain.md`.

pub mod accreditation;
pub mod billing;
pub mod clock;
pub mod codes;
pub mod credentials;
pub mod exams;
pub mod ids;
pub mod integral;
pub mod licensing;
pub mod money;
pub mod parties;
pub mod reminders;
pub mod role;
pub mod stored;
