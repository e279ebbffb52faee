//! Credentials: certifications awarded by exam, composite rule or bootstrap
//! review, their status changes, certificates and public verification.

pub mod certifications;
