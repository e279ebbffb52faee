//! Exams: when a candidate may sit one and use its voucher ([`schedule`]), the
//! statuses of orders and vouchers ([`orders`]), how the fee is split between the
//! foundation and its partners ([`split`]) and how partners are paid ([`payout`]).

pub mod orders;
pub mod payout;
pub mod schedule;
pub mod split;
