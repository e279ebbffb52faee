//! When a candidate may sit an exam and use a voucher (docs/domain.md, "Credentials,
//! levels and the exam catalogue"): the retake wait after a failure and voucher expiry. Dates are UTC
//! calendar dates, half-open (`expires_on` is the first day no longer usable).

use chrono::{Days, NaiveDate};

use crate::domain::clock::add_months_clamped;

/// The first day a retake may be taken: `last_failed_attempt_on + wait_days`
/// (docs/domain.md: "a retake waits 14 days"; failed on 1 March, retake from 15 March).
/// `None` when there is no failed attempt, i.e. no wait. Saturates at chrono's last
/// date.
pub fn retake_available_on(
    last_failed_attempt_on: Option<NaiveDate>,
    wait_days: u32,
) -> Option<NaiveDate> {
    last_failed_attempt_on.map(|failed| {
        failed
            .checked_add_days(Days::new(u64::from(wait_days)))
            .unwrap_or(NaiveDate::MAX)
    })
}

/// Whether a retake may be taken on `on`. Errors: the earliest allowed day, when
/// `on` is before [`retake_available_on`].
pub fn check_retake(
    last_failed_attempt_on: Option<NaiveDate>,
    wait_days: u32,
    on: NaiveDate,
) -> Result<(), NaiveDate> {
    match retake_available_on(last_failed_attempt_on, wait_days) {
        Some(earliest) if on < earliest => Err(earliest),
        _ => Ok(()),
    }
}

/// First day a voucher bought on `purchased_on` is no longer usable:
/// `purchased_on + months`, clamped to the month's end (bought 29 Feb 2024 with 12
/// months: usable up to and including 27 Feb 2025, expires on 28 Feb 2025).
/// Saturates at chrono's last date.
pub fn voucher_expires_on(purchased_on: NaiveDate, months: u32) -> NaiveDate {
    add_months_clamped(purchased_on, months)
}

/// Whether a voucher expiring on `expires_on` (see [`voucher_expires_on`]) can be
/// redeemed on `on`: `on < expires_on` (half-open).
pub fn voucher_usable_on(expires_on: NaiveDate, on: NaiveDate) -> bool {
    on < expires_on
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn retake_waits_fourteen_days_after_a_failure() {
        let failed = Some(d("2026-03-01"));
        assert_eq!(retake_available_on(None, 14), None);
        assert_eq!(check_retake(None, 14, d("2026-03-01")), Ok(()));
        assert_eq!(retake_available_on(failed, 14), Some(d("2026-03-15")));
        assert_eq!(
            check_retake(failed, 14, d("2026-03-01")),
            Err(d("2026-03-15"))
        );
        assert_eq!(
            check_retake(failed, 14, d("2026-03-14")),
            Err(d("2026-03-15"))
        );
        assert_eq!(check_retake(failed, 14, d("2026-03-15")), Ok(()));
        assert_eq!(check_retake(failed, 14, d("2026-04-01")), Ok(()));
        // Across a month end and a leap day.
        assert_eq!(
            retake_available_on(Some(d("2028-02-20")), 14),
            Some(d("2028-03-05"))
        );
        assert_eq!(
            retake_available_on(Some(d("2026-12-25")), 14),
            Some(d("2027-01-08"))
        );
        assert_eq!(check_retake(failed, 0, d("2026-03-01")), Ok(()));
        assert_eq!(
            retake_available_on(Some(NaiveDate::MAX), 14),
            Some(NaiveDate::MAX)
        );
    }

    #[test]
    fn vouchers_expire_a_year_after_purchase_clamped_to_month_end() {
        let exp = voucher_expires_on(d("2026-03-15"), 12);
        assert_eq!(exp, d("2027-03-15"));
        assert!(voucher_usable_on(exp, d("2026-03-15")));
        assert!(voucher_usable_on(exp, d("2027-03-14")));
        assert!(!voucher_usable_on(exp, d("2027-03-15")));
        assert_eq!(voucher_expires_on(d("2024-02-29"), 12), d("2025-02-28"));
        assert_eq!(voucher_expires_on(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(voucher_expires_on(d("2027-12-31"), 2), d("2028-02-29"));
        assert_eq!(voucher_expires_on(d("2026-08-31"), 1), d("2026-09-30"));
        assert_eq!(voucher_expires_on(d("2026-12-31"), 12), d("2027-12-31"));
        assert_eq!(voucher_expires_on(NaiveDate::MAX, 12), NaiveDate::MAX);
    }
}
