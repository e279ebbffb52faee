//! Exams: when a candidate may sit one and use its voucher ([`schedule`]) and how
//! the fee is split between the foundation and its partners ([`split`]).

pub mod schedule;
pub mod split;
