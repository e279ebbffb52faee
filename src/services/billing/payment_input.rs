//! What a payment is before it is applied: how money arrived ([`PaymentMethod`])
//! and the payment to apply ([`PaymentInput`]). Kept below [`super::payments`] and
//! [`super::customer_credits`] so both can name them without depending on each
//! other.

use chrono::NaiveDate;

use crate::domain::billing::ledger::LedgerAccount;
use crate::domain::money::Money;

crate::stored_enum! {
    /// How money arrived.
    pub enum PaymentMethod {
        /// Bank transfer, recorded by finance.
        BankTransfer = "bank_transfer",
        /// Card, confirmed by a Stripe webhook.
        Card = "card",
    }
}

impl PaymentMethod {
    /// The ledger account the money lands in: bank for transfers, Stripe clearing
    /// for cards.
    pub fn cash_account(self) -> LedgerAccount {
        match self {
            PaymentMethod::BankTransfer => LedgerAccount::CashBank,
            PaymentMethod::Card => LedgerAccount::StripeClearing,
        }
    }
}

/// A payment to apply.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    /// Amount.
    pub amount: Money,
    /// Method.
    pub method: PaymentMethod,
    /// Reference.
    pub reference: String,
    /// Value date.
    pub received_on: NaiveDate,
    /// Stripe PaymentIntent, for card payments (unique: one application each).
    pub stripe_payment_intent_id: Option<String>,
    /// Who recorded it (client id or `stripe`).
    pub recorded_by: String,
}
