//! The one integration-test binary. Every test spawns its own app and database; the
//! whole suite runs once per backend (`ACCREDIT_TEST_DATABASE=sqlite|postgres`).

mod accreditation;
mod auth;
mod card_payments;
mod catalogue_admin;
mod certifications;
mod emails;
mod exams;
mod group_commit;
mod helpers;
mod invoices;
mod licences;
mod lists;
mod materials;
mod migrations;
mod ops;
mod pages;
mod payments;
mod payouts;
mod providers;
mod query_plans;
mod register;
mod reminders;
mod stripe;
