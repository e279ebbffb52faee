//! Accredited training materials (docs/domain.md, "Training materials"; proposal:
//! "Authorized trainers will be able to submit their own training materials for
//! accreditation … accreditation may specify the particular version of Python which
//! was considered"). An active AT submits materials for one Python version; paying
//! the submission fee puts them under review; an admin approves them for a period
//! that never runs past that Python version's end of life
//! ([`approved_until`]); the clock moves them to `reaccreditation_due` and then
//! `expired`.

use chrono::{Months, NaiveDate};

crate::stored_enum! {
    /// Status of a training-material submission.
    pub enum MaterialStatus {
        /// Submitted; the submission fee invoice awaits payment.
        Submitted = "submitted",
        /// Fee paid; awaiting the admin decision.
        UnderReview = "under_review",
        /// Accredited until `approved_until`.
        Approved = "approved",
        /// Accredited, but `approved_until` is within the re-accreditation window.
        ReaccreditationDue = "reaccreditation_due",
        /// Past `approved_until` (final).
        Expired = "expired",
        /// Refused by an admin (final).
        Rejected = "rejected",
    }
}

crate::stored_enum! {
    /// What moves a submission.
    pub enum MaterialAction {
        /// The submission fee invoice was paid in full.
        FeePaid = "fee_paid",
        /// Admin approval.
        Approve = "approve",
        /// Admin rejection.
        Reject = "reject",
        /// The clock: `approved_until` is within the window.
        WindowOpened = "window_opened",
        /// The clock: `approved_until` has passed.
        Expire = "expire",
    }
}

crate::stored_enum! {
    /// How the materials are delivered.
    pub enum DeliveryMethod {
        /// Instructor-led, in a classroom.
        Classroom = "classroom",
        /// Instructor-led, online and live.
        OnlineLive = "online_live",
        /// Self-paced (recorded or written).
        SelfPaced = "self_paced",
        /// A mix of the above.
        Blended = "blended",
    }
}

impl MaterialStatus {
    /// Whether materials in this status count as accredited (before the
    /// provider's own accreditation is considered).
    pub fn is_accredited(self) -> bool {
        matches!(
            self,
            MaterialStatus::Approved | MaterialStatus::ReaccreditationDue
        )
    }
}

/// The status `action` leads to from `from`, or `None` when the lifecycle does not
/// allow it: submitted →(fee_paid) under_review →(approve) approved | (reject)
/// rejected; approved →(window_opened) reaccreditation_due; approved |
/// reaccreditation_due →(expire) expired.
pub fn transition(from: MaterialStatus, action: MaterialAction) -> Option<MaterialStatus> {
    use MaterialAction as A;
    use MaterialStatus as S;
    match (from, action) {
        (S::Submitted, A::FeePaid) => Some(S::UnderReview),
        (S::UnderReview, A::Approve) => Some(S::Approved),
        (S::UnderReview, A::Reject) => Some(S::Rejected),
        (S::Approved, A::WindowOpened) => Some(S::ReaccreditationDue),
        (S::Approved | S::ReaccreditationDue, A::Expire) => Some(S::Expired),
        _ => None,
    }
}

/// The last day (inclusive) approved materials stay accredited: the earlier of
/// `approved_on + period_months` and `end_of_life` (the Python version's end of
/// life, inclusive). `None` when the version is already past its end of life on
/// `approved_on` (nothing to approve) or the date overflows.
pub fn approved_until(
    approved_on: NaiveDate,
    period_months: u32,
    end_of_life: NaiveDate,
) -> Option<NaiveDate> {
    if approved_on > end_of_life {
        return None;
    }
    let by_period = approved_on.checked_add_months(Months::new(period_months))?;
    Some(by_period.min(end_of_life))
}

/// Default months an approval lasts at most (`accreditation.materials_period_months`).
pub fn default_period_months() -> u32 {
    24
}

/// Default days before `approved_until` from which materials are
/// `reaccreditation_due` (`accreditation.materials_window_days`).
pub fn default_window_days() -> u32 {
    60
}

/// Whether `s` is a Python feature version as the EOL table keys it: `3.13`
/// (major.minor, digits only, no leading zeros beyond a single `0`).
pub fn is_python_version(s: &str) -> bool {
    let mut parts = s.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// Whether `tag` is well-formed as a BCP 47 language tag in its common shape
/// (RFC 5646 §2.1): a 2–3 or 5–8 letter primary language subtag, then subtags of
/// 1–8 letters or digits separated by `-` (e.g. `en`, `pt-BR`, `zh-Hant-TW`).
/// Registry membership is not checked.
pub fn is_language_tag(tag: &str) -> bool {
    if tag.len() > 64 {
        return false;
    }
    let mut parts = tag.split('-');
    let Some(primary) = parts.next() else {
        return false;
    };
    let primary_ok =
        matches!(primary.len(), 2 | 3 | 5..=8) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    primary_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn approval_is_capped_by_end_of_life() {
        assert_eq!(
            approved_until(d("2026-01-10"), 24, d("2026-10-31")),
            Some(d("2026-10-31"))
        );
        assert_eq!(
            approved_until(d("2026-01-10"), 24, d("2029-10-31")),
            Some(d("2028-01-10"))
        );
        assert_eq!(
            approved_until(d("2026-10-31"), 24, d("2026-10-31")),
            Some(d("2026-10-31"))
        );
        assert_eq!(approved_until(d("2026-11-01"), 24, d("2026-10-31")), None);
        // Month arithmetic clamps to the month's end.
        assert_eq!(
            approved_until(d("2027-02-28"), 12, d("2030-10-31")),
            Some(d("2028-02-28"))
        );
        assert_eq!(
            approved_until(d("2027-08-31"), 6, d("2030-10-31")),
            Some(d("2028-02-29"))
        );
    }

    #[test]
    fn the_lifecycle_table() {
        use MaterialAction as A;
        use MaterialStatus as S;
        assert_eq!(transition(S::Submitted, A::FeePaid), Some(S::UnderReview));
        assert_eq!(transition(S::Submitted, A::Approve), None);
        assert_eq!(transition(S::UnderReview, A::Approve), Some(S::Approved));
        assert_eq!(transition(S::UnderReview, A::Reject), Some(S::Rejected));
        assert_eq!(
            transition(S::Approved, A::WindowOpened),
            Some(S::ReaccreditationDue)
        );
        assert_eq!(transition(S::ReaccreditationDue, A::WindowOpened), None);
        assert_eq!(
            transition(S::ReaccreditationDue, A::Expire),
            Some(S::Expired)
        );
        assert_eq!(transition(S::Approved, A::Expire), Some(S::Expired));
        for a in [
            A::FeePaid,
            A::Approve,
            A::Reject,
            A::WindowOpened,
            A::Expire,
        ] {
            assert_eq!(transition(S::Expired, a), None);
            assert_eq!(transition(S::Rejected, a), None);
        }
        assert!(S::Approved.is_accredited() && S::ReaccreditationDue.is_accredited());
        assert!(!S::UnderReview.is_accredited() && !S::Expired.is_accredited());
    }

    #[test]
    fn python_versions_and_language_tags() {
        for ok in ["3.13", "3.9", "2.7", "3.10", "4.0"] {
            assert!(is_python_version(ok), "{ok}");
        }
        for bad in ["3", "3.13.1", "3.x", "", "03.1", ".1", "3.", "3.013"] {
            assert!(!is_python_version(bad), "{bad}");
        }
        for ok in ["en", "pt-BR", "zh-Hant-TW", "de-CH-1996", "sgn-BE-FR"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "e",
            "english language",
            "en_US",
            "en--US",
            "1en",
            "en-toolongsubtag",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }
}
