//! Course-content licences and their terms (docs/domain.md, "Licences").
//!
//! A licence is bought for a term of N months. Dates are UTC calendar dates; a term
//! runs from `starts_on` (first valid day, inclusive) to `expires_on` (the first day
//! it is no longer valid, exclusive) — the same half-open convention as Stripe's
//! billing periods. Renewal extends from the old expiry while the licence is still
//! valid or in its grace period, and from the payment date once it has lapsed.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// What a licence is now, derived from its stored state and today's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    /// Bought, first invoice not yet paid.
    PendingPayment,
    /// Paid and within its term.
    Active,
    /// Past `expires_on` but inside the grace period: still usable, renewal due.
    InGrace,
    /// Past the grace period without renewal.
    Lapsed,
}

impl LicenceStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LicenceStatus::PendingPayment => "pending_payment",
            LicenceStatus::Active => "active",
            LicenceStatus::InGrace => "in_grace",
            LicenceStatus::Lapsed => "lapsed",
        }
    }

    /// Derives the status: `expires_on` is `None` until the first term is paid.
    pub fn derive(expires_on: Option<NaiveDate>, today: NaiveDate, grace_days: u32) -> Self {
        match expires_on {
            None => LicenceStatus::PendingPayment,
            Some(exp) if today < exp => LicenceStatus::Active,
            Some(exp) if today < grace_end(exp, grace_days) => LicenceStatus::InGrace,
            Some(_) => LicenceStatus::Lapsed,
        }
    }
}

crate::stored_enum! {
    /// Lifecycle of one paid-for term of a licence: `awaiting_payment → paid`. At
    /// most one term of a licence awaits payment (a database constraint).
    pub enum LicenceTermState {
        /// Its invoice is open.
        AwaitingPayment = "awaiting_payment",
        /// Paid: the term has dates and extends the licence.
        Paid = "paid",
    }
}

crate::stored_enum! {
    /// Why a term was invoiced.
    pub enum LicenceTermKind {
        /// The first term of a new licence.
        Initial = "initial",
        /// A renewal of an existing licence.
        Renewal = "renewal",
    }
}

/// The first day after the grace period that follows `expires_on`.
pub fn grace_end(expires_on: NaiveDate, grace_days: u32) -> NaiveDate {
    expires_on + chrono::Duration::days(i64::from(grace_days))
}

/// A term's dates: `[starts_on, expires_on)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermDates {
    /// First valid day.
    pub starts_on: NaiveDate,
    /// First day no longer valid.
    pub expires_on: NaiveDate,
}

/// Errors of term arithmetic.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TermError {
    /// The computed date is outside chrono's range.
    #[error("licence term date out of range")]
    OutOfRange,
}

/// Dates of the term that a payment on `paid_on` buys.
///
/// - First term (`current_expires_on` is `None`): from `paid_on`.
/// - Renewal while valid or in grace (`paid_on < expires_on + grace`): from the old
///   expiry, so no day is lost or paid twice.
/// - Renewal after lapse: from `paid_on`.
///
/// Month arithmetic clamps to the month's end (31 Jan + 1 month = 28/29 Feb), as
/// chrono's `checked_add_months` does. Errors: [`TermError::OutOfRange`].
pub fn next_term(
    current_expires_on: Option<NaiveDate>,
    paid_on: NaiveDate,
    term_months: u32,
    grace_days: u32,
) -> Result<TermDates, TermError> {
    let starts_on = match current_expires_on {
        Some(exp) if paid_on < grace_end(exp, grace_days) => exp,
        _ => paid_on,
    };
    let expires_on = starts_on
        .checked_add_months(Months::new(term_months))
        .ok_or(TermError::OutOfRange)?;
    Ok(TermDates {
        starts_on,
        expires_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn first_term_starts_on_payment() {
        let t = next_term(None, d("2026-11-21"), 12, 30).unwrap();
        assert_eq!(
            (t.starts_on, t.expires_on),
            (d("2026-11-21"), d("2027-11-21"))
        );
    }

    #[test]
    fn renewal_extends_from_old_expiry_while_valid_or_in_grace() {
        let t = next_term(Some(d("2027-11-21")), d("2027-10-01"), 12, 30).unwrap();
        assert_eq!(t.starts_on, d("2027-11-21"));
        let t = next_term(Some(d("2027-11-21")), d("2027-12-01"), 12, 30).unwrap();
        assert_eq!(t.starts_on, d("2027-11-21"));
    }

    #[test]
    fn renewal_after_lapse_starts_on_payment() {
        let t = next_term(Some(d("2027-11-21")), d("2028-02-01"), 12, 30).unwrap();
        assert_eq!(
            (t.starts_on, t.expires_on),
            (d("2028-02-01"), d("2029-02-01"))
        );
    }

    #[test]
    fn status_follows_the_dates() {
        let exp = Some(d("2027-11-21"));
        assert_eq!(
            LicenceStatus::derive(None, d("2027-01-01"), 30),
            LicenceStatus::PendingPayment
        );
        assert_eq!(
            LicenceStatus::derive(exp, d("2027-11-20"), 30),
            LicenceStatus::Active
        );
        assert_eq!(
            LicenceStatus::derive(exp, d("2027-11-21"), 30),
            LicenceStatus::InGrace
        );
        assert_eq!(
            LicenceStatus::derive(exp, d("2027-12-21"), 30),
            LicenceStatus::Lapsed
        );
    }
}
