//! Billing's pure rules: the catalogue's products and prices, invoices (lines, tax,
//! totals, numbering, statuses) and the double-entry ledger (accounts, balanced
//! journal entries). Nothing here knows what is sold (exams, licences): other areas
//! build on these types, never the other way round.

pub mod invoice;
pub mod ledger;
pub mod product;
