//! Party endpoints: providers and their API clients, admin client management,
//! candidates (sign-up, login, records, contributions).

pub mod candidates;
pub mod clients;
pub mod providers;
