//! Credentials: the catalogue's rules (tiers, prerequisites, expiry) in
//! [`catalogue`], and a candidate's level and composite awards in [`levels`].

pub mod catalogue;
pub mod levels;
