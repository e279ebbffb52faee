//! Exam catalogue rules (docs/domain.md, "Credentials, levels and the exam
//! catalogue", which lists the real track).
//!
//! The catalogue is data: it lives in the database and reaches these rules as plain
//! [`CredentialRule`]s; [`seed_catalogue`] is the real Python Institute track the
//! database is seeded from. A candidate's credentials reach them as
//! [`HeldCredential`]s. Everything here is a pure function of its inputs; "today" is
//! always a parameter.
//!
//! Dates are UTC calendar dates with the same half-open convention as
//! [`licence`](super::licence): a voucher or certification is valid from its first day
//! (inclusive) up to `expires_on`, the first day it is **no longer** valid
//! (exclusive). Month arithmetic clamps to the month's end like chrono's
//! `checked_add_months` (31 Jan + 1 month = 28/29 Feb).

use chrono::{Days, Months, NaiveDate};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// Days a candidate waits after a failed attempt before retaking an exam
/// (docs/domain.md: "a retake waits 14 days").
pub const RETAKE_WAIT_DAYS: u32 = 14;

/// Months an exam voucher stays usable after purchase
/// (docs/domain.md: "Vouchers expire one year after purchase").
pub const VOUCHER_VALIDITY_MONTHS: u32 = 12;

/// A candidate's certification level, derived from the credentials it holds
/// (proposal: "certified", "professional", "expert"). Ordered: `Certified <
/// Professional < Expert`.
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
pub enum Level {
    /// Holds an entry or associate credential (exams only).
    Certified,
    /// Holds every professional credential and enough verified community credits.
    Professional,
    /// Holds every expert credential (CEPP) and significant verified contribution.
    Expert,
}

impl Level {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Certified => "certified",
            Level::Professional => "professional",
            Level::Expert => "expert",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Level::Certified, Level::Professional, Level::Expert]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// The tier of one credential in the track: PCEP = entry, PCAP = associate,
/// PCPP1/PCPP2 = professional, CEPP = expert (docs/domain.md, exam catalogue).
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

/// The real Python Institute track the catalogue is seeded from (docs/domain.md,
/// exam catalogue): PCEP (no prerequisite), PCAP (needs PCEP, or equivalent experience
/// granted by an admin), PCPP1 (needs PCAP), PCPP2 (needs PCAP + PCPP1, as docs/domain.md
/// states), and CEPP (no exam; awarded when PCAP, PCPP1 and PCPP2 are all held).
///
/// Retakes wait [`RETAKE_WAIT_DAYS`], vouchers last [`VOUCHER_VALIDITY_MONTHS`]. The
/// real track gives no expiry for any of these and the Python Institute issues
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

/// Status of a certification a candidate was awarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// In force (unless its `expires_on` has passed).
    Valid,
    /// Past its validity period; needs recertification.
    Expired,
    /// Suspended by an admin; may be reinstated.
    Suspended,
    /// Revoked by an admin; final.
    Revoked,
}

impl CertStatus {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Valid => "valid",
            CertStatus::Expired => "expired",
            CertStatus::Suspended => "suspended",
            CertStatus::Revoked => "revoked",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            CertStatus::Valid,
            CertStatus::Expired,
            CertStatus::Suspended,
            CertStatus::Revoked,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
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
    fn blocks_award(&self, on: NaiveDate) -> bool {
        match self.status {
            CertStatus::Valid => self.counts_on(on),
            CertStatus::Suspended | CertStatus::Revoked => true,
            CertStatus::Expired => false,
        }
    }
}

fn same_code(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn holds(held: &[HeldCredential], code: &str, on: NaiveDate) -> bool {
    held.iter()
        .any(|h| same_code(&h.code, code) && h.counts_on(on))
}

/// The prerequisites of `rule` the candidate lacks on `on`, in the rule's order.
///
/// A prerequisite is met when a credential with that code counts as held on `on`
/// (see [`HeldCredential::counts_on`]) or when its code is in `equivalents`: codes an
/// admin granted as equivalent experience (docs/domain.md: "PCEP, or
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

fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
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

/// First day a certification issued on `issued_on` is no longer valid:
/// `issued_on + validity_months`, clamped to the month's end; `None` for a lifetime
/// certification. Saturates at chrono's last date.
pub fn certification_expires_on(
    issued_on: NaiveDate,
    validity_months: Option<u32>,
) -> Option<NaiveDate> {
    validity_months.map(|m| add_months_clamped(issued_on, m))
}

/// Composite credentials to award now: those whose components all count as held on
/// `on` and that are not already on the record, in catalogue order except that a
/// composite built on another composite comes after it.
///
/// "Already on the record" is a valid, suspended or revoked credential of that code
/// (an expired one may be earned again). Because the answer depends only on the
/// set held, not on the order components were earned or passed in, calling this
/// after every award awards each composite exactly once. Composites built on other
/// composites are followed to a fixed point in one call.
pub fn composites_completed(
    catalogue: &[CredentialRule],
    held: &[HeldCredential],
    on: NaiveDate,
) -> Vec<String> {
    let mut awarded: Vec<String> = Vec::new();
    loop {
        let has = |code: &str| holds(held, code, on) || awarded.iter().any(|a| same_code(a, code));
        let next = catalogue.iter().find(|rule| {
            rule.is_composite()
                && !held
                    .iter()
                    .any(|h| same_code(&h.code, &rule.code) && h.blocks_award(on))
                && !awarded.iter().any(|a| same_code(a, &rule.code))
                && rule.components.iter().all(|c| has(c))
        });
        match next {
            Some(rule) => awarded.push(rule.code.clone()),
            None => return awarded,
        }
    }
}

/// The candidate's level on `on` (docs/domain.md, "Credentials, levels and the
/// exam catalogue"); the highest reached wins, `None` when none is.
///
/// - `certified`: holds any entry- or associate-tier credential;
/// - `professional`: holds every professional-tier credential of the catalogue
///   (PCPP1 and PCPP2) and `verified_credits >= professional_min_credits`;
/// - `expert`: holds every expert-tier credential (CEPP) and
///   `verified_credits >= expert_min_credits`.
///
/// Credits are verified community-involvement credits (proposal: "Community
/// Involvement"), whole units. A tier with no credential in the catalogue cannot be
/// reached. Only credentials that count on `on` are considered, and only those the
/// catalogue knows (their tier comes from it).
pub fn derive_level(
    catalogue: &[CredentialRule],
    held: &[HeldCredential],
    verified_credits: u32,
    professional_min_credits: u32,
    expert_min_credits: u32,
    on: NaiveDate,
) -> Option<Level> {
    let holds_all_of = |tier: Tier| {
        let mut of_tier = catalogue.iter().filter(|r| r.tier == tier).peekable();
        of_tier.peek().is_some() && of_tier.all(|r| holds(held, &r.code, on))
    };
    if holds_all_of(Tier::Expert) && verified_credits >= expert_min_credits {
        Some(Level::Expert)
    } else if holds_all_of(Tier::Professional) && verified_credits >= professional_min_credits {
        Some(Level::Professional)
    } else if catalogue
        .iter()
        .any(|r| matches!(r.tier, Tier::Entry | Tier::Associate) && holds(held, &r.code, on))
    {
        Some(Level::Certified)
    } else {
        None
    }
}

/// Crockford's base32 alphabet: digits and upper-case letters without I, L, O, U.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `n` uniformly random Crockford symbols, 5 bits each (one byte per symbol, masked
/// to its low 5 bits: 256 is a multiple of 32, so there is no bias).
fn random_symbols<R: RngCore + CryptoRng>(rng: &mut R, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(CROCKFORD[usize::from(b & 0x1f)]))
        .collect()
}

/// Decodes one typed character to its canonical Crockford symbol: case-insensitive,
/// I and L read as 1, O as 0; `None` for anything else (U included).
fn crockford_symbol(c: char) -> Option<char> {
    match c.to_ascii_uppercase() {
        'I' | 'L' => Some('1'),
        'O' => Some('0'),
        u if u.is_ascii() && CROCKFORD.contains(&(u as u8)) => Some(u),
        _ => None,
    }
}

/// Exam voucher codes: random, unguessable and easy to read out and type.
///
/// A code is [`VoucherCode::SYMBOLS`] Crockford base32 symbols (80 bits from a
/// cryptographic RNG) in groups of four: `7K3M-9Q2X-4BNR-T0VW`. The grouped,
/// upper-case form is the canonical one stored and compared.
#[derive(Debug, Clone, Copy)]
pub struct VoucherCode;

impl VoucherCode {
    /// Number of symbols in a code (16 × 5 bits = 80 bits).
    pub const SYMBOLS: usize = 16;

    /// A fresh code in canonical form, e.g. `7K3M-9Q2X-4BNR-T0VW`.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> String {
        Self::group(&random_symbols(rng, Self::SYMBOLS))
    }

    /// The canonical form of a code as typed: case-insensitive, dashes and
    /// whitespace ignored, I/L read as 1 and O as 0 (Crockford). `None` when a
    /// character is outside the alphabet or the symbol count is not 16.
    pub fn normalise(input: &str) -> Option<String> {
        let symbols = input
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(crockford_symbol)
            .collect::<Option<String>>()?;
        (symbols.len() == Self::SYMBOLS).then(|| Self::group(&symbols))
    }

    fn group(symbols: &str) -> String {
        symbols
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// Number of random Crockford symbols in a certificate number (8 × 5 = 40 bits).
pub const CERTIFICATE_RANDOM_SYMBOLS: usize = 8;

/// A certificate number `CODE-YEAR-XXXXXXXX`, e.g. `PCAP-2026-7K3M9Q2X`: the
/// credential code (upper-cased), the year of issue and 8 random Crockford symbols
/// (40 bits), so numbers cannot be enumerated on the public verification endpoint.
/// Uniqueness is the store's job (a unique constraint; draw again on conflict).
pub fn certificate_number<R: RngCore + CryptoRng>(
    credential_code: &str,
    year: i32,
    rng: &mut R,
) -> String {
    format!(
        "{}-{year}-{}",
        credential_code.to_ascii_uppercase(),
        random_symbols(rng, CERTIFICATE_RANDOM_SYMBOLS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::{OsRng, StdRng};
    use rand::SeedableRng;
    use std::collections::HashSet;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-06-15";

    fn valid(code: &str) -> HeldCredential {
        HeldCredential {
            code: code.to_owned(),
            status: CertStatus::Valid,
            expires_on: None,
        }
    }

    fn with(code: &str, status: CertStatus, expires_on: Option<&str>) -> HeldCredential {
        HeldCredential {
            code: code.to_owned(),
            status,
            expires_on: expires_on.map(d),
        }
    }

    fn rule(code: &str) -> CredentialRule {
        seed_catalogue()
            .into_iter()
            .find(|r| r.code == code)
            .unwrap()
    }

    fn strings(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

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
    fn names_round_trip() {
        for l in [Level::Certified, Level::Professional, Level::Expert] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        for t in [
            Tier::Entry,
            Tier::Associate,
            Tier::Professional,
            Tier::Expert,
        ] {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        for s in [
            CertStatus::Valid,
            CertStatus::Expired,
            CertStatus::Suspended,
            CertStatus::Revoked,
        ] {
            assert_eq!(CertStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(Level::parse("Expert"), None);
        assert!(Level::Certified < Level::Professional && Level::Professional < Level::Expert);
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

    fn permutations(items: &[&'static str]) -> Vec<Vec<&'static str>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first);
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn cepp_is_awarded_exactly_once_in_every_order() {
        let cat = seed_catalogue();
        let orders = permutations(&["PCAP", "PCPP1", "PCPP2"]);
        assert_eq!(orders.len(), 6);
        for order in orders {
            let mut held = vec![valid("PCEP")];
            let mut awards = Vec::new();
            for (step, code) in order.iter().enumerate() {
                held.push(valid(code));
                for c in composites_completed(&cat, &held, d(TODAY)) {
                    awards.push((step, c.clone()));
                    held.push(valid(&c));
                }
            }
            assert_eq!(awards, vec![(2, "CEPP".to_owned())], "order {order:?}");
            assert!(composites_completed(&cat, &held, d(TODAY)).is_empty());

            // The same set passed in this order at once.
            let at_once: Vec<_> = order.iter().map(|c| valid(c)).collect();
            assert_eq!(
                composites_completed(&cat, &at_once, d(TODAY)),
                strings(&["CEPP"])
            );
        }
    }

    #[test]
    fn components_not_in_force_do_not_complete_cepp() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        for bad in [
            with("PCPP2", CertStatus::Suspended, None),
            with("PCPP2", CertStatus::Revoked, None),
            with("PCPP2", CertStatus::Expired, None),
            with("PCPP2", CertStatus::Valid, Some(TODAY)),
        ] {
            let held = vec![valid("PCAP"), valid("PCPP1"), bad.clone()];
            assert!(composites_completed(&cat, &held, on).is_empty(), "{bad:?}");
        }
        let held = vec![
            valid("PCAP"),
            valid("PCPP1"),
            with("PCPP2", CertStatus::Valid, Some("2026-06-16")),
        ];
        assert_eq!(composites_completed(&cat, &held, on), strings(&["CEPP"]));
    }

    #[test]
    fn cepp_on_record_is_not_awarded_again_unless_expired() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        let components = || vec![valid("PCAP"), valid("PCPP1"), valid("PCPP2")];
        for (cepp, awarded) in [
            (valid("CEPP"), false),
            (valid("cepp"), false),
            (with("CEPP", CertStatus::Suspended, None), false),
            (with("CEPP", CertStatus::Revoked, None), false),
            (with("CEPP", CertStatus::Expired, None), true),
            (with("CEPP", CertStatus::Valid, Some(TODAY)), true),
        ] {
            let mut held = components();
            held.push(cepp.clone());
            assert_eq!(
                composites_completed(&cat, &held, on) == strings(&["CEPP"]),
                awarded,
                "{cepp:?}"
            );
        }
    }

    #[test]
    fn composites_of_composites_complete_in_one_call() {
        let mut cat = seed_catalogue();
        let mut outer = rule("CEPP");
        outer.code = "GRAND".to_owned();
        outer.components = strings(&["PCEP", "CEPP"]);
        cat.insert(0, outer);
        let held = vec![valid("PCEP"), valid("PCAP"), valid("PCPP1"), valid("PCPP2")];
        assert_eq!(
            composites_completed(&cat, &held, d(TODAY)),
            strings(&["CEPP", "GRAND"])
        );
    }

    #[test]
    fn levels_follow_credentials_and_credits() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        let (n, m) = (10, 50);
        let level = |codes: &[&str], credits| {
            let held: Vec<_> = codes.iter().map(|c| valid(c)).collect();
            derive_level(&cat, &held, credits, n, m, on)
        };
        assert_eq!(level(&[], 1_000), None);
        assert_eq!(level(&["PCEP"], 0), Some(Level::Certified));
        assert_eq!(level(&["PCAP"], 0), Some(Level::Certified));
        let pro = ["PCEP", "PCAP", "PCPP1", "PCPP2"];
        assert_eq!(level(&pro, 9), Some(Level::Certified));
        assert_eq!(level(&pro, 10), Some(Level::Professional));
        assert_eq!(level(&pro, 1_000), Some(Level::Professional));
        assert_eq!(level(&["PCAP", "PCPP1"], 1_000), Some(Level::Certified));
        let exp = ["PCEP", "PCAP", "PCPP1", "PCPP2", "CEPP"];
        assert_eq!(level(&exp, 0), Some(Level::Certified));
        assert_eq!(level(&exp, 49), Some(Level::Professional));
        assert_eq!(level(&exp, 50), Some(Level::Expert));
        // Professional credentials alone (no entry/associate in force).
        assert_eq!(level(&["PCPP1", "PCPP2"], 0), None);
        assert_eq!(level(&["PCPP1", "PCPP2"], 10), Some(Level::Professional));
        // Unknown codes are ignored.
        assert_eq!(level(&["PCAT"], 1_000), None);
    }

    #[test]
    fn levels_ignore_credentials_not_in_force() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        let level =
            |held: &[HeldCredential], credits| derive_level(&cat, held, credits, 10, 50, on);
        let suspended_pcpp2 = [
            valid("PCAP"),
            valid("PCPP1"),
            with("PCPP2", CertStatus::Suspended, None),
        ];
        assert_eq!(level(&suspended_pcpp2, 100), Some(Level::Certified));
        let revoked_cepp = [
            valid("PCAP"),
            valid("PCPP1"),
            valid("PCPP2"),
            with("CEPP", CertStatus::Revoked, None),
        ];
        assert_eq!(level(&revoked_cepp, 100), Some(Level::Professional));
        let expired_pcep = [with("PCEP", CertStatus::Valid, Some(TODAY))];
        assert_eq!(level(&expired_pcep, 0), None);
        let status_expired = [with("PCAP", CertStatus::Expired, None)];
        assert_eq!(level(&status_expired, 0), None);
    }

    #[test]
    fn voucher_codes_are_grouped_crockford_and_distinct() {
        let mut rng = OsRng;
        let mut seen = HashSet::new();
        for _ in 0..2_000 {
            let code = VoucherCode::generate(&mut rng);
            assert_eq!(code.len(), 19, "{code}");
            let groups: Vec<_> = code.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| CROCKFORD.contains(&b))));
            assert_eq!(
                VoucherCode::normalise(&code).as_deref(),
                Some(code.as_str())
            );
            assert!(seen.insert(code));
        }
        // Every symbol of the alphabet turns up: the draw covers all 32.
        let symbols: HashSet<char> = seen.iter().flat_map(|c| c.chars()).collect();
        assert_eq!(symbols.len(), 33); // 32 symbols and the dash
    }

    #[test]
    fn voucher_codes_are_deterministic_for_a_seeded_rng() {
        let a = VoucherCode::generate(&mut StdRng::seed_from_u64(7));
        let b = VoucherCode::generate(&mut StdRng::seed_from_u64(7));
        let c = VoucherCode::generate(&mut StdRng::seed_from_u64(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn voucher_normalise_reads_what_people_type() {
        let canonical = Some("7K3M-9Q2X-4BNR-T0V1".to_owned());
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V1"), canonical);
        assert_eq!(VoucherCode::normalise("7k3m9q2x4bnrt0v1"), canonical);
        assert_eq!(VoucherCode::normalise(" 7k3m 9q2x-4bnr tOvl "), canonical);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-TOVI"), canonical);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0VU"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V12"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0V*"), None);
        assert_eq!(VoucherCode::normalise("7K3M-9Q2X-4BNR-T0VÉ"), None);
        assert_eq!(VoucherCode::normalise(""), None);
    }

    #[test]
    fn certificate_numbers_name_the_credential_and_year() {
        let mut rng = OsRng;
        let mut seen = HashSet::new();
        for _ in 0..1_000 {
            let n = certificate_number("pcap", 2026, &mut rng);
            let suffix = n.strip_prefix("PCAP-2026-").unwrap();
            assert_eq!(suffix.len(), CERTIFICATE_RANDOM_SYMBOLS);
            assert!(suffix.bytes().all(|b| CROCKFORD.contains(&b)));
            assert!(seen.insert(n));
        }
    }
}
