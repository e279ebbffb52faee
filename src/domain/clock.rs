//! Time as a dependency. Services never call `Utc::now()` directly; they ask the
//! injected [`Clock`], so expiry, renewal and reminder rules can be tested by moving
//! a [`ManualClock`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Months, NaiveDate, SubsecRound, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, truncated to microseconds (the precision PostgreSQL
    /// keeps, so a value read back equals the value written).
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in UTC (business dates on invoices and licences are UTC dates).
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// `date + months`, clamped to the month's end like chrono's `checked_add_months`
/// (31 Jan + 1 month = 28/29 Feb); saturates at chrono's last date. The one month
/// arithmetic of vouchers and certifications.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that stands still until moved; for tests and simulations.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock frozen at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(at.trunc_subsecs(6))))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at.trunc_subsecs(6);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *guard += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
