//! The credential catalogue's rules (docs/domain.md, "Credentials, levels and
//! the exam catalogue"): tiers, the catalogue entries as
//! [`CredentialRule`]s, certification statuses, prerequisites and expiry.
//!
//! The catalogue is data: it lives in the database and reaches these rules as plain
//! [`CredentialRule`]s; [`seed_catalogue`] is the programming line of the real
//! Python Institute track the database is seeded from (the testing and
//! data-analytics credentials PCAT, PCED and PCAD are seeded by the
//! `catalogue_admin` migration; docs/domain.md, "Catalogue administration").
//! A candidate's credentials reach them as
//! [`HeldCredential`]s. Everything here is a pure function of its inputs; "today" is
//! always a parameter.
//!
//! Dates are UTC calendar dates with the same half-open convention as
//! [`licence`](crate::domain::licensing::licence): a certification is valid from its
//! first day (inclusive) up to `expires_on`, the first day it is **no longer** valid
//! (exclusive). Month arithmetic clamps to the month's end like chrono's
//! `checked_add_months` (31 Jan + 1 month = 28/29 Feb).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::clock::add_months_clamped;

/// Days a candidate waits after a failed attempt before retaking an exam
/// (docs/domain.md: "a retake waits 14 days").
pub const RETAKE_WAIT_DAYS: u32 = 14;

/// Months an exam voucher stays usable after purchase
/// (docs/domain.md: "Vouchers expire one year after purchase").
pub const VOUCHER_VALIDITY_MONTHS: u32 = 12;

/// The tier of one credential in the track: PCEP = entry, PCAP = associate,
/// PCPP1/PCPP2 = professional, CEPP = expert (seeds catalogue).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Entry level (PCEP).
    Entry,
    /// Associate level (PCAP).
    Associate,
    /// Professional level (PCPP1, PCPP2).
    Professional,
    /// Expert level (CEPP).
    Expert,
}

impl Tier {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Entry => "entry",
            Tier::Associate => "associate",
            Tier::Professional => "professional",
            Tier::Expert => "expert",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Tier::Entry,
            Tier::Associate,
            Tier::Professional,
            Tier::Expert,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// The rules of one credential in the catalogue.
///
/// Codes are upper-case ASCII (`PCAP`); the rules compare them ASCII
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CredentialRule {
    /// Credential code, e.g. `PCAP`.
    pub code: String,
    /// Full name, e.g. "Certified Associate in Python Programming".
    pub name: String,
    /// Tier in the track.
    pub tier: Tier,
    /// Whether the credential is earned by an exam; `false` for composites (CEPP).
    pub exam: bool,
    /// Codes that must all be held (or granted as equivalent) to register for the exam.
    pub prerequisites: Vec<String>,
    /// For composites: codes that must all be held for the credential to be awarded
    /// automatically (CEPP = PCAP + PCPP1 + PCPP2). Empty for exams.
    pub components: Vec<String>,
    /// Days to wait after a failed attempt before a retake.
    pub retake_wait_days: u32,
    /// Months a voucher for this exam stays usable after purchase.
    pub voucher_validity_months: u32,
    /// Months a certification stays valid after issue; `None` = lifetime.
    pub validity_months: Option<u32>,
}

impl CredentialRule {
    /// Whether the credential is awarded by the composite rule (it has components).
    pub fn is_composite(&self) -> bool {
        !self.components.is_empty()
    }
}

/// The real Python Institute track the catalogue is seeded from (docs/domain.md, "Credentials,
/// levels and the exam catalogue"): PCEP (no prerequisite), PCAP (needs PCEP, or equivalent experience
/// granted by an admin), PCPP1 (needs PCAP), PCPP2 (needs PCAP + PCPP1, as docs/domain.md
/// states), and CEPP (no exam; awarded when PCAP, PCPP1 and PCPP2 are all held).
///
/// Retakes wait [`RETAKE_WAIT_DAYS`], vouchers last [`VOUCHER_VALIDITY_MONTHS`]. The
/// seeds catalogue gives no expiry for any of these and the Python Institute issues
/// them for life, so `validity_months` is `None` throughout; an expiring credential
/// (docs/domain.md: "2–3 year cycles are common") is a catalogue edit, not a code change.
pub fn seed_catalogue() -> Vec<CredentialRule> {
    let rule = |code: &str, name: &str, tier, prerequisites: &[&str], components: &[&str]| {
        CredentialRule {
            code: code.to_owned(),
            name: name.to_owned(),
            tier,
            exam: components.is_empty(),
            prerequisites: prerequisites.iter().map(|c| (*c).to_owned()).collect(),
            components: components.iter().map(|c| (*c).to_owned()).collect(),
            retake_wait_days: RETAKE_WAIT_DAYS,
            voucher_validity_months: VOUCHER_VALIDITY_MONTHS,
            validity_months: None,
        }
    };
    vec![
        rule(
            "PCEP",
            "Certified Entry-Level Python Programmer",
            Tier::Entry,
            &[],
            &[],
        ),
        rule(
            "PCAP",
            "Certified Associate in Python Programming",
            Tier::Associate,
            &["PCEP"],
            &[],
        ),
        rule(
            "PCPP1",
            "Certified Professional in Python Programming 1",
            Tier::Professional,
            &["PCAP"],
            &[],
        ),
        rule(
            "PCPP2",
            "Certified Professional in Python Programming 2",
            Tier::Professional,
            &["PCAP", "PCPP1"],
            &[],
        ),
        rule(
            "CEPP",
            "Certified Expert in Python Programming",
            Tier::Expert,
            &[],
            &["PCAP", "PCPP1", "PCPP2"],
        ),
    ]
}

crate::stored_enum! {
    /// Status of a certification a candidate was awarded.
    pub enum CertStatus {
        /// In force (unless its `expires_on` has passed).
        Valid = "valid",
        /// Past its validity period; needs recertification.
        Expired = "expired",
        /// Suspended by an admin; may be reinstated.
        Suspended = "suspended",
        /// Revoked by an admin; final.
        Revoked = "revoked",
    }
}

/// A certification on a candidate's record, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldCredential {
    /// Credential code, e.g. `PCAP`.
    pub code: String,
    /// Stored status.
    pub status: CertStatus,
    /// First day it is no longer valid (exclusive); `None` = lifetime.
    pub expires_on: Option<NaiveDate>,
}

impl HeldCredential {
    /// Whether it counts as held on `on`: status [`CertStatus::Valid`] and
    /// `on < expires_on` (half-open). Suspended, revoked and expired ones never count.
    pub fn counts_on(&self, on: NaiveDate) -> bool {
        self.status == CertStatus::Valid && self.expires_on.is_none_or(|exp| on < exp)
    }

    /// Whether the record still stands in the way of awarding the same credential
    /// again: valid, suspended or revoked (an admin's decision is not undone by an
    /// automatic award); only an expired record (by status or date) does not.
    pub(crate) fn blocks_award(&self, on: NaiveDate) -> bool {
        match self.status {
            CertStatus::Valid => self.counts_on(on),
            CertStatus::Suspended | CertStatus::Revoked => true,
            CertStatus::Expired => false,
        }
    }
}

pub(crate) fn same_code(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

pub(crate) fn holds(held: &[HeldCredential], code: &str, on: NaiveDate) -> bool {
    held.iter()
        .any(|h| same_code(&h.code, code) && h.counts_on(on))
}

/// The prerequisites of `rule` the candidate lacks on `on`, in the rule's order.
///
/// A prerequisite is met when a credential with that code counts as held on `on`
/// (see [`HeldCredential::counts_on`]) or when its code is in `equivalents`: codes an
/// admin granted as equivalent experience (docs/domain.md: "prerequisite PCEP or
/// equivalent experience granted by an admin"). Empty means the candidate may
/// register for the exam.
pub fn missing_prerequisites(
    rule: &CredentialRule,
    held: &[HeldCredential],
    equivalents: &[String],
    on: NaiveDate,
) -> Vec<String> {
    rule.prerequisites
        .iter()
        .filter(|p| !holds(held, p, on) && !equivalents.iter().any(|e| same_code(e, p)))
        .cloned()
        .collect()
}

/// First day a certification issued on `issued_on` is no longer valid:
/// `issued_on + validity_months`, clamped to the month's end; `None` for a lifetime
/// certification. Saturates at chrono's last date.
pub fn certification_expires_on(
    issued_on: NaiveDate,
    validity_months: Option<u32>,
) -> Option<NaiveDate> {
    validity_months.map(|m| add_months_clamped(issued_on, m))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn seed_catalogue_is_the_real_track() {
        let cat = seed_catalogue();
        let summary: Vec<_> = cat
            .iter()
            .map(|r| {
                (
                    r.code.as_str(),
                    r.tier,
                    r.exam,
                    r.prerequisites.clone(),
                    r.components.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("PCEP", Tier::Entry, true, strings(&[]), strings(&[])),
                (
                    "PCAP",
                    Tier::Associate,
                    true,
                    strings(&["PCEP"]),
                    strings(&[])
                ),
                (
                    "PCPP1",
                    Tier::Professional,
                    true,
                    strings(&["PCAP"]),
                    strings(&[])
                ),
                (
                    "PCPP2",
                    Tier::Professional,
                    true,
                    strings(&["PCAP", "PCPP1"]),
                    strings(&[])
                ),
                (
                    "CEPP",
                    Tier::Expert,
                    false,
                    strings(&[]),
                    strings(&["PCAP", "PCPP1", "PCPP2"])
                ),
            ]
        );
        for r in &cat {
            assert_eq!(r.retake_wait_days, 14);
            assert_eq!(r.voucher_validity_months, 12);
            assert_eq!(r.validity_months, None, "{} is lifetime", r.code);
            assert_eq!(r.is_composite(), !r.exam);
        }
    }

    #[test]
    fn prerequisite_matrix() {
        // (exam, held, equivalents, missing)
        type Row = (
            &'static str,
            &'static [&'static str],
            &'static [&'static str],
            &'static [&'static str],
        );
        let rows: &[Row] = &[
            ("PCEP", &[], &[], &[]),
            ("PCEP", &["PCAP"], &[], &[]),
            ("PCAP", &[], &[], &["PCEP"]),
            ("PCAP", &["PCEP"], &[], &[]),
            ("PCAP", &[], &["PCEP"], &[]),
            ("PCAP", &[], &["pcep"], &[]),
            ("PCAP", &["PCPP1"], &[], &["PCEP"]),
            ("PCPP1", &[], &[], &["PCAP"]),
            ("PCPP1", &["PCEP"], &[], &["PCAP"]),
            ("PCPP1", &["PCEP", "PCAP"], &[], &[]),
            ("PCPP1", &["PCAP"], &[], &[]),
            ("PCPP1", &[], &["PCAP"], &[]),
            ("PCPP1", &["PCEP"], &["PCEP"], &["PCAP"]),
            ("PCPP2", &[], &[], &["PCAP", "PCPP1"]),
            ("PCPP2", &["PCEP", "PCAP"], &[], &["PCPP1"]),
            ("PCPP2", &["PCPP1"], &[], &["PCAP"]),
            ("PCPP2", &["PCAP", "PCPP1"], &[], &[]),
            ("PCPP2", &["PCAP"], &["PCPP1"], &[]),
            ("PCPP2", &[], &["PCAP", "PCPP1"], &[]),
            ("PCPP2", &["pcap", "pcpp1"], &[], &[]),
            ("CEPP", &[], &[], &[]),
        ];
        for (exam, held, equivalents, missing) in rows {
            let held: Vec<_> = held.iter().map(|c| valid(c)).collect();
            assert_eq!(
                missing_prerequisites(&rule(exam), &held, &strings(equivalents), d(TODAY)),
                strings(missing),
                "{exam} with {held:?} and equivalents {equivalents:?}"
            );
        }
    }

    #[test]
    fn only_valid_unexpired_credentials_meet_prerequisites() {
        let pcap = rule("PCAP");
        let miss = |h: HeldCredential| missing_prerequisites(&pcap, &[h], &[], d(TODAY));
        assert_eq!(
            miss(with("PCEP", CertStatus::Suspended, None)),
            strings(&["PCEP"])
        );
        assert_eq!(
            miss(with("PCEP", CertStatus::Revoked, None)),
            strings(&["PCEP"])
        );
        assert_eq!(
            miss(with("PCEP", CertStatus::Expired, None)),
            strings(&["PCEP"])
        );
        // Half-open: valid the day before expires_on, not on it.
        assert!(miss(with("PCEP", CertStatus::Valid, Some("2026-06-16"))).is_empty());
        assert_eq!(
            miss(with("PCEP", CertStatus::Valid, Some(TODAY))),
            strings(&["PCEP"])
        );
    }

    #[test]
    fn certifications_expire_after_their_validity_or_never() {
        assert_eq!(certification_expires_on(d("2026-06-15"), None), None);
        assert_eq!(
            certification_expires_on(d("2024-02-29"), Some(36)),
            Some(d("2027-02-28"))
        );
        assert_eq!(
            certification_expires_on(d("2026-08-31"), Some(24)),
            Some(d("2028-08-31"))
        );
        assert_eq!(
            certification_expires_on(d("2025-05-31"), Some(1)),
            Some(d("2025-06-30"))
        );
    }
}
