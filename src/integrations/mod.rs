//! Adapters to the outside world behind small interfaces: Stripe (payments and
//! webhooks), mail (templates and transports), PDF (invoice documents). Services
//! use them; the domain never does.

pub mod mail;
pub mod pdf;
pub mod stripe;
