//! Exams: the catalogue as sold, fee split policies, exam orders and vouchers,
//! attempts and results, and payouts of the partners' shares.

pub mod attempts;
pub mod catalogue;
pub mod orders;
pub mod payouts;
pub mod split_policies;
