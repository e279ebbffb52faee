//! Exam fee split policies (docs/domain.md, "Exam fee split and payouts").
//!
//! The fee a candidate pays for an exam is shared between the foundation, the
//! independent testing vendor that delivers the exam, and the Authorized Education
//! Center that referred the candidate. The shares are a versioned, effective-dated
//! **split policy** in basis points (1 bp = 0.01 %, 10 000 bp = the whole fee), for
//! example vendor 6 000, foundation 3 000, referring AEC 1 000.
//!
//! - [`SplitParts::parse`] is the only way to build the shares: each is non-negative
//!   and they sum to exactly 10 000 bp.
//! - [`split_fee`] turns a fee into three integer amounts of minor units that always
//!   sum to the fee; the rounding is [`money::allocate`](crate::domain::money::allocate), the
//!   service's one largest-remainder function.
//! - [`policy_in_force`] picks the policy that applies to an exam, a vendor and a day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::billing::ledger::{
    JournalEntry, LedgerAccount, LedgerError, Posting, RevenueStream, Side,
};
use crate::domain::money::{allocate, Money, MoneyError};

/// The whole fee in basis points: the shares of a policy sum to exactly this.
pub const WHOLE_BP: u32 = 10_000;

/// Why a set of shares is not a valid split policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A share is negative (the name says which: `foundation_bp`, …).
    #[error("`{0}` must not be negative")]
    Negative(&'static str),
    /// The shares do not sum to exactly 10 000 bp (the actual sum is carried).
    #[error("split shares must sum to 10000 basis points, not {0}")]
    BadSum(i64),
}

/// The three shares of an exam fee split policy, in basis points.
///
/// Invariant (enforced by [`SplitParts::parse`]): the three sum to exactly
/// [`WHOLE_BP`]. The fields are public for reading; build values with `parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SplitParts {
    /// The foundation's share, in basis points.
    pub foundation_bp: u32,
    /// The testing vendor's share, in basis points.
    pub testing_vendor_bp: u32,
    /// The referring AEC's share, in basis points; goes to the foundation when the
    /// candidate has no referring provider (see [`split_fee`]).
    pub referring_provider_bp: u32,
}

impl SplitParts {
    /// Validates shares as stored (signed integer columns) or as received on the API.
    ///
    /// Errors: [`SplitError::Negative`] naming the first negative share, checked in
    /// the order foundation, testing vendor, referring provider;
    /// [`SplitError::BadSum`] when they do not sum to exactly 10 000.
    pub fn parse(
        foundation_bp: i64,
        testing_vendor_bp: i64,
        referring_provider_bp: i64,
    ) -> Result<Self, SplitError> {
        let named = [
            ("foundation_bp", foundation_bp),
            ("testing_vendor_bp", testing_vendor_bp),
            ("referring_provider_bp", referring_provider_bp),
        ];
        if let Some((name, _)) = named.iter().find(|(_, bp)| *bp < 0) {
            return Err(SplitError::Negative(name));
        }
        let sum = named
            .iter()
            .try_fold(0i64, |acc, (_, bp)| acc.checked_add(*bp))
            .unwrap_or(i64::MAX);
        if sum != i64::from(WHOLE_BP) {
            return Err(SplitError::BadSum(sum));
        }
        // Each share is in 0..=10_000 here, so the narrowing cannot fail.
        let narrow = |bp: i64| u32::try_from(bp).unwrap_or(WHOLE_BP);
        Ok(SplitParts {
            foundation_bp: narrow(foundation_bp),
            testing_vendor_bp: narrow(testing_vendor_bp),
            referring_provider_bp: narrow(referring_provider_bp),
        })
    }
}

/// One exam fee split into integer amounts of the fee's currency.
///
/// Invariant: `foundation + testing_vendor + referring_provider == fee`, each part in
/// the fee's currency, and each part has the fee's sign (or is zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeeSplit {
    /// Kept by the foundation (revenue).
    pub foundation: Money,
    /// Owed to the testing vendor (partner payable).
    pub testing_vendor: Money,
    /// Owed to the referring AEC (partner payable); zero without a referrer.
    pub referring_provider: Money,
}

/// Splits `fee` by `parts`, rounding once with
/// [`money::allocate`](crate::domain::money::allocate) (largest remainder).
///
/// - The parts are integer minor units and sum to exactly `fee`.
/// - Tie order: leftover minor units go to the largest fractional remainders; equal
///   remainders are broken in the order **foundation, testing vendor, referring
///   provider** (the earlier wins), so the same inputs always give the same split.
/// - Without a referring provider (`has_referrer == false`) the referrer's basis
///   points are **added to the foundation's before allocating** (weights
///   `[foundation + referrer, vendor, 0]`), so there is still exactly one rounding
///   and `referring_provider` is zero. The foundation may therefore differ by one
///   minor unit from "foundation part + referrer part" of a referred split.
/// - A negative fee (a refund reversing a sale) gives the mirror image of the
///   positive split, so reversing a split reverses each part exactly.
///
/// Errors: [`MoneyError::Overflow`] only if `allocate` cannot represent a part (it
/// cannot for an `i64` fee); `parts` always has a positive weight.
pub fn split_fee(
    fee: Money,
    parts: &SplitParts,
    has_referrer: bool,
) -> Result<FeeSplit, MoneyError> {
    let (foundation_bp, referrer_bp) = if has_referrer {
        (parts.foundation_bp, parts.referring_provider_bp)
    } else {
        (parts.foundation_bp + parts.referring_provider_bp, 0)
    };
    let weights = [
        i64::from(foundation_bp),
        i64::from(parts.testing_vendor_bp),
        i64::from(referrer_bp),
    ];
    match allocate(fee, &weights)?.as_slice() {
        [foundation, testing_vendor, referring_provider] => Ok(FeeSplit {
            foundation: *foundation,
            testing_vendor: *testing_vendor,
            referring_provider: *referring_provider,
        }),
        // `allocate` returns one part per weight.
        _ => Err(MoneyError::InvalidWeights),
    }
}

/// A split policy as the rules see it: which exam (and optionally which testing
/// vendor) it covers and the first day it applies. Implemented by [`SplitPolicy`]
/// and by whatever row type the persistence layer reads.
pub trait EffectiveDated {
    /// The exam code the policy covers, e.g. `PCAP`.
    fn exam_code(&self) -> &str;
    /// `Some(vendor)` for a per-vendor override, `None` for the exam's default.
    fn vendor_id(&self) -> Option<&str>;
    /// First day (UTC calendar date, inclusive) on which the policy applies.
    fn effective_from(&self) -> NaiveDate;
}

/// A versioned, effective-dated split policy (docs/domain.md, "Exam fee split and payouts").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SplitPolicy {
    /// Exam code the policy covers, e.g. `PCAP`.
    pub exam_code: String,
    /// The testing vendor this policy overrides the default for; `None` = default.
    pub vendor_id: Option<String>,
    /// First day (inclusive) on which the policy applies.
    pub effective_from: NaiveDate,
    /// The shares.
    pub parts: SplitParts,
}

impl EffectiveDated for SplitPolicy {
    fn exam_code(&self) -> &str {
        &self.exam_code
    }
    fn vendor_id(&self) -> Option<&str> {
        self.vendor_id.as_deref()
    }
    fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }
}

/// The policy in force for `exam_code` with testing vendor `vendor_id` on `on`.
///
/// Among policies of that exam (codes compared ASCII case-insensitively) whose
/// `effective_from <= on`:
/// 1. if `vendor_id` is given and an override for that vendor is in force, the one
///    with the latest `effective_from` wins — an override in force beats the
///    default even when the default was revised later;
/// 2. otherwise the default (`vendor_id() == None`) with the latest `effective_from`.
///
/// Two policies of the same scope and date: the one later in `policies` wins (pass
/// them in insertion order; the store should make that key unique). `None` when no
/// policy covers the exam on that day — a fee must not be taken without one.
pub fn policy_in_force<'a, P: EffectiveDated>(
    policies: &'a [P],
    exam_code: &str,
    vendor_id: Option<&str>,
    on: NaiveDate,
) -> Option<&'a P> {
    let latest_for = |scope: Option<&str>| {
        policies
            .iter()
            .filter(|p| {
                p.exam_code().eq_ignore_ascii_case(exam_code)
                    && p.vendor_id() == scope
                    && p.effective_from() <= on
            })
            .max_by_key(|p| p.effective_from())
    };
    vendor_id
        .and_then(|v| latest_for(Some(v)))
        .or_else(|| latest_for(None))
}

/// The entry that moves the partners' parts of a paid exam fee from exam-fee
/// revenue to partner payables: Dr revenue (vendor + referrer parts), Cr partner
/// payables for each part. `None` when the partners get nothing.
/// Errors: [`LedgerError`] (only on overflow; the entry is balanced by construction).
pub fn fee_split_entry(split: &FeeSplit) -> Result<Option<JournalEntry>, LedgerError> {
    let partners = split.testing_vendor.checked_add(split.referring_provider)?;
    if partners.is_zero() {
        return Ok(None);
    }
    let credit = |amount| Posting {
        account: LedgerAccount::PartnerPayables,
        side: Side::Credit,
        amount,
    };
    JournalEntry::new(vec![
        Posting {
            account: LedgerAccount::Revenue(RevenueStream::ExamFees),
            side: Side::Debit,
            amount: partners,
        },
        credit(split.testing_vendor),
        credit(split.referring_provider),
    ])
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn parts(f: i64, v: i64, r: i64) -> SplitParts {
        SplitParts::parse(f, v, r).unwrap()
    }

    fn minor(s: &FeeSplit) -> (i64, i64, i64) {
        (
            s.foundation.amount_minor,
            s.testing_vendor.amount_minor,
            s.referring_provider.amount_minor,
        )
    }

    #[test]
    fn parse_requires_non_negative_shares_summing_to_the_whole() {
        assert_eq!(
            SplitParts::parse(3_000, 6_000, 1_000),
            Ok(SplitParts {
                foundation_bp: 3_000,
                testing_vendor_bp: 6_000,
                referring_provider_bp: 1_000
            })
        );
        assert!(SplitParts::parse(10_000, 0, 0).is_ok());
        assert_eq!(
            SplitParts::parse(3_000, 6_000, 999),
            Err(SplitError::BadSum(9_999))
        );
        assert_eq!(
            SplitParts::parse(3_000, 6_000, 1_001),
            Err(SplitError::BadSum(10_001))
        );
        assert_eq!(
            SplitParts::parse(11_000, 0, -1_000),
            Err(SplitError::Negative("referring_provider_bp"))
        );
        assert_eq!(
            SplitParts::parse(-1, 10_001, 0),
            Err(SplitError::Negative("foundation_bp"))
        );
        assert_eq!(
            SplitParts::parse(i64::MAX, i64::MAX, 0),
            Err(SplitError::BadSum(i64::MAX))
        );
    }

    #[test]
    fn design_example_splits_a_pcep_fee() {
        // PCEP US$59.00, vendor 60 %, foundation 30 %, referring AEC 10 %.
        let s = split_fee(
            Money::new(5_900, Currency::Usd),
            &parts(3_000, 6_000, 1_000),
            true,
        )
        .unwrap();
        assert_eq!(minor(&s), (1_770, 3_540, 590));
        assert_eq!(s.foundation.currency, Currency::Usd);
    }

    #[test]
    fn without_a_referrer_its_share_goes_to_the_foundation() {
        let s = split_fee(
            Money::new(5_900, Currency::Usd),
            &parts(3_000, 6_000, 1_000),
            false,
        )
        .unwrap();
        assert_eq!(minor(&s), (2_360, 3_540, 0));
    }

    #[test]
    fn ties_go_to_the_foundation_then_the_vendor() {
        // 2 units at 33.34/33.33/33.33: the foundation has the largest remainder,
        // then vendor and referrer tie and the vendor (earlier) wins.
        let p = parts(3_334, 3_333, 3_333);
        assert_eq!(
            minor(&split_fee(Money::new(2, Currency::Jpy), &p, true).unwrap()),
            (1, 1, 0)
        );
        // 3 units at 50/50: 1.5 each, the one leftover unit goes to the foundation.
        let p = parts(5_000, 5_000, 0);
        assert_eq!(
            minor(&split_fee(Money::new(3, Currency::Jpy), &p, true).unwrap()),
            (2, 1, 0)
        );
        // Vendor and referrer tie on the remainder: the vendor (earlier) wins.
        let p = parts(0, 5_000, 5_000);
        assert_eq!(
            minor(&split_fee(Money::new(3, Currency::Jpy), &p, true).unwrap()),
            (0, 2, 1)
        );
    }

    #[test]
    fn folding_the_referrer_rounds_once() {
        // 10 fils at 33.33/33.34/33.33: folded weights are [6_666, 3_334, 0] -> 7/3,
        // whereas "foundation part + referrer part" of the referred split is 3+3=6.
        let p = parts(3_333, 3_334, 3_333);
        let referred = split_fee(Money::new(10, Currency::Bhd), &p, true).unwrap();
        let alone = split_fee(Money::new(10, Currency::Bhd), &p, false).unwrap();
        assert_eq!(minor(&referred), (3, 4, 3));
        assert_eq!(minor(&alone), (7, 3, 0));
    }

    #[test]
    fn zero_and_refund_fees() {
        let p = parts(3_000, 6_000, 1_000);
        assert_eq!(
            minor(&split_fee(Money::zero(Currency::Usd), &p, true).unwrap()),
            (0, 0, 0)
        );
        let sale = split_fee(Money::new(29_501, Currency::Usd), &p, true).unwrap();
        let refund = split_fee(Money::new(-29_501, Currency::Usd), &p, true).unwrap();
        let (f, v, r) = minor(&sale);
        assert_eq!(minor(&refund), (-f, -v, -r));
    }

    fn policy(exam: &str, vendor: Option<&str>, from: &str, f: i64) -> SplitPolicy {
        SplitPolicy {
            exam_code: exam.to_owned(),
            vendor_id: vendor.map(str::to_owned),
            effective_from: d(from),
            parts: parts(f, 10_000 - f, 0),
        }
    }

    #[test]
    fn latest_policy_on_or_before_the_day_wins() {
        let ps = vec![
            policy("PCAP", None, "2026-01-01", 3_000),
            policy("PCAP", None, "2026-07-01", 3_500),
            policy("PCEP", None, "2026-03-01", 4_000),
        ];
        let f = |exam, on| policy_in_force(&ps, exam, None, d(on)).map(|p| p.parts.foundation_bp);
        assert_eq!(f("PCAP", "2025-12-31"), None);
        assert_eq!(f("PCAP", "2026-01-01"), Some(3_000));
        assert_eq!(f("PCAP", "2026-06-30"), Some(3_000));
        assert_eq!(f("PCAP", "2026-07-01"), Some(3_500));
        assert_eq!(f("pcap", "2030-01-01"), Some(3_500));
        assert_eq!(f("PCEP", "2026-02-28"), None);
        assert_eq!(f("PCEP", "2026-03-01"), Some(4_000));
        assert_eq!(f("PCPP1", "2026-03-01"), None);
    }

    #[test]
    fn a_vendor_override_in_force_beats_the_default() {
        let ps = vec![
            policy("PCAP", None, "2026-01-01", 3_000),
            policy("PCAP", Some("pearson"), "2026-03-01", 2_000),
            policy("PCAP", None, "2026-06-01", 3_500),
            policy("PCAP", Some("pearson"), "2026-09-01", 2_500),
        ];
        let f =
            |vendor, on| policy_in_force(&ps, "PCAP", vendor, d(on)).map(|p| p.parts.foundation_bp);
        // Before the override starts: the default.
        assert_eq!(f(Some("pearson"), "2026-02-28"), Some(3_000));
        assert_eq!(f(Some("pearson"), "2026-03-01"), Some(2_000));
        // The default was revised later, but the override still applies.
        assert_eq!(f(Some("pearson"), "2026-06-01"), Some(2_000));
        assert_eq!(f(Some("pearson"), "2026-09-01"), Some(2_500));
        // Other vendors and no vendor get the default.
        assert_eq!(f(Some("other"), "2026-06-01"), Some(3_500));
        assert_eq!(f(None, "2026-03-01"), Some(3_000));
    }

    #[test]
    fn same_scope_and_date_the_later_entry_wins() {
        let ps = vec![
            policy("PCAP", None, "2026-01-01", 3_000),
            policy("PCAP", None, "2026-01-01", 3_100),
        ];
        let p = policy_in_force(&ps, "PCAP", None, d("2026-02-01")).unwrap();
        assert_eq!(p.parts.foundation_bp, 3_100);
    }

    fn valid_parts() -> impl Strategy<Value = SplitParts> {
        (0i64..=10_000)
            .prop_flat_map(|f| (Just(f), 0..=10_000 - f))
            .prop_map(|(f, v)| parts(f, v, 10_000 - f - v))
    }

    fn currency() -> impl Strategy<Value = Currency> {
        prop_oneof![
            Just(Currency::Jpy),
            Just(Currency::Usd),
            Just(Currency::Bhd)
        ]
    }

    fn fee_minor() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(0i64),
            Just(1i64),
            0i64..1_000_000,
            0i64..=i64::MAX,
            Just(i64::MAX),
        ]
    }

    proptest! {
        #[test]
        fn parts_are_non_negative_and_sum_to_the_fee(
            amount in fee_minor(),
            cur in currency(),
            p in valid_parts(),
            has_referrer in any::<bool>(),
        ) {
            let fee = Money::new(amount, cur);
            let s = split_fee(fee, &p, has_referrer).unwrap();
            for part in [s.foundation, s.testing_vendor, s.referring_provider] {
                prop_assert!(part.amount_minor >= 0);
                prop_assert_eq!(part.currency, cur);
            }
            let sum = i128::from(s.foundation.amount_minor)
                + i128::from(s.testing_vendor.amount_minor)
                + i128::from(s.referring_provider.amount_minor);
            prop_assert_eq!(sum, i128::from(amount));
            // Deterministic.
            prop_assert_eq!(split_fee(fee, &p, has_referrer).unwrap(), s);
        }

        #[test]
        fn no_referrer_moves_that_share_to_the_foundation(
            amount in fee_minor(),
            cur in currency(),
            p in valid_parts(),
        ) {
            let fee = Money::new(amount, cur);
            let alone = split_fee(fee, &p, false).unwrap();
            prop_assert_eq!(alone.referring_provider.amount_minor, 0);
            // Same as a referred split whose referrer share was folded into the
            // foundation's basis points.
            let folded = parts(
                i64::from(p.foundation_bp + p.referring_provider_bp),
                i64::from(p.testing_vendor_bp),
                0,
            );
            prop_assert_eq!(split_fee(fee, &folded, true).unwrap(), alone);
            // Within one minor unit of the referred split's foundation + referrer.
            let referred = split_fee(fee, &p, true).unwrap();
            let moved = i128::from(referred.foundation.amount_minor)
                + i128::from(referred.referring_provider.amount_minor);
            prop_assert!((i128::from(alone.foundation.amount_minor) - moved).abs() <= 1);
        }
    }

    mod ledger_entries {
        use super::super::*;
        use crate::domain::billing::ledger::Side;
        use crate::domain::money::Currency;
        use proptest::prelude::*;

        proptest! {
            /// For any fee, currency exponent and valid policy, the split's ledger entry
            /// is balanced and the foundation keeps exactly fee − partner parts.
            #[test]
            fn fee_split_entries_are_balanced(
                fee in 0i64..10_000_000_000,
                currency in prop::sample::select(vec![Currency::Jpy, Currency::Usd, Currency::Bhd]),
                vendor_bp in 0u32..=10_000,
                referrer_share in 0u32..=10_000,
                has_referrer: bool,
            ) {
                let referrer_bp = referrer_share.min(10_000 - vendor_bp);
                let parts = SplitParts::parse(
                    i64::from(10_000 - vendor_bp - referrer_bp), i64::from(vendor_bp), i64::from(referrer_bp),
                ).unwrap();
                let split = split_fee(Money::new(fee, currency), &parts, has_referrer).unwrap();
                let total = split.foundation.amount_minor + split.testing_vendor.amount_minor + split.referring_provider.amount_minor;
                prop_assert_eq!(total, fee);
                match fee_split_entry(&split).unwrap() {
                    None => prop_assert_eq!(split.testing_vendor.amount_minor + split.referring_provider.amount_minor, 0),
                    Some(entry) => {
                        let debits: i64 = entry.postings().iter().filter(|p| p.side == Side::Debit).map(|p| p.amount.amount_minor).sum();
                        let credits: i64 = entry.postings().iter().filter(|p| p.side == Side::Credit).map(|p| p.amount.amount_minor).sum();
                        prop_assert_eq!(debits, credits);
                        prop_assert_eq!(fee - debits, split.foundation.amount_minor);
                    }
                }
            }
        }
    }
}
