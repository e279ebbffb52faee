//! The parties the foundation deals with: training providers, API clients and
//! their tokens, candidates, and testing vendors.

pub mod candidates;
pub mod clients;
pub mod providers;
pub mod vendors;
