//! Billing: the product catalogue and prices, invoices with gap-free numbers,
//! payments (bank transfers and Stripe), customer credit and the ledger. Billing
//! knows nothing of what is sold: other areas issue invoices with a subject, and
//! the fulfilment of a paid invoice is given to [`payments::apply`] from above
//! (`services::fulfilment`).

pub mod buyer;
pub mod catalogue;
pub mod catalogue_admin;
pub mod catalogue_events;
pub mod customer_credits;
pub mod hosted_invoice;
pub mod hosted_links;
pub mod invoice_documents;
pub mod invoicing;
pub mod ledger;
pub mod payment_input;
pub mod payments;
pub mod stripe_payments;
