//! Course-content licences: purchase, renewal and activation of licence terms.

pub mod licences;
