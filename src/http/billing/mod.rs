//! Billing endpoints: products and prices, invoices and their payments, customer
//! credit, the ledger's trial balance, and the Stripe webhook.

pub mod invoices;
pub mod ledger;
pub mod products;
pub mod webhooks;
