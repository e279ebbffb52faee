//! The parties the service deals with: training providers (Authorized Trainers and
//! Authorized Education Centers) and the validation of their details.

pub mod provider;
