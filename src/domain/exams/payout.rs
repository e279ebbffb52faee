//! Partners of an exam fee and the payouts that settle what they are owed
//! (docs/domain.md, "Exam fee split", "Payout").

crate::stored_enum! {
    /// Who a partner payable is owed to.
    pub enum PartnerType {
        /// The independent testing vendor that delivers the exam.
        TestingVendor = "testing_vendor",
        /// The Authorized Education Center that referred the candidate.
        ReferringProvider = "referring_provider",
    }
}

crate::stored_enum! {
    /// How a payout is sent.
    pub enum PayoutMethod {
        /// A bank transfer, recorded by finance after it was sent.
        BankTransfer = "bank_transfer",
        /// A Stripe Connect transfer to the partner's connected account.
        StripeTransfer = "stripe_transfer",
    }
}

crate::stored_enum! {
    /// Lifecycle of a payout: `pending → paid`. A Stripe transfer is `pending` until
    /// Stripe confirmed it; a bank payout is recorded `paid`.
    pub enum PayoutStatus {
        /// Payables reserved, the transfer not confirmed yet.
        Pending = "pending",
        /// Sent and posted to the ledger.
        Paid = "paid",
    }
}
