//! Course-content licences: terms, renewal from the old expiry or from today, grace.

pub mod licence;
