//! Statuses of what a candidate buys to sit an exam: the exam order (paid by an
//! invoice) and the voucher issued when it is paid.

crate::stored_enum! {
    /// Lifecycle of an exam order: `pending_payment → paid`. At most one order per
    /// candidate and exam is `pending_payment` at a time (a database constraint).
    pub enum ExamOrderStatus {
        /// Its exam-fee invoice is open.
        PendingPayment = "pending_payment",
        /// The fee is paid; a voucher was issued.
        Paid = "paid",
    }
}

crate::stored_enum! {
    /// Lifecycle of an exam voucher: `issued → redeemed`. A voucher is usable while
    /// `issued` and before its expiry date (see [`super::schedule`]).
    pub enum VoucherStatus {
        /// Issued on payment; not used yet.
        Issued = "issued",
        /// Redeemed by the testing vendor for an exam attempt.
        Redeemed = "redeemed",
    }
}
