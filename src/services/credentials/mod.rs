//! Credentials: certifications awarded by exam, composite rule or bootstrap
//! review, their status changes, certificates and public verification
//! ([`document`] is the one public shape every verifiable document takes), and
//! the credential catalogue as admin-edited data ([`catalogue_admin`]).

pub mod catalogue_admin;
pub mod certifications;
pub mod document;
