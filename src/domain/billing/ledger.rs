//! The double-entry ledger (docs/domain.md, "Ledger"; TigerBeetle's model).
//!
//! Every movement of money is one [`JournalEntry`]: postings on named
//! [`LedgerAccount`]s whose debits equal their credits per currency. Entries are
//! immutable; a correction is a new entry. Balances are sums of postings.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::money::{Currency, Money, MoneyError};

/// A revenue stream, one revenue (and deferred revenue) account each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RevenueStream {
    /// Yearly course-content licences.
    CourseLicences,
    /// Base Text sales.
    BaseText,
    /// Exam fees (the foundation's part).
    ExamFees,
    /// Accreditation and maintenance fees.
    AccreditationFees,
}

impl RevenueStream {
    /// Every revenue stream.
    pub const ALL: [RevenueStream; 4] = [
        RevenueStream::CourseLicences,
        RevenueStream::BaseText,
        RevenueStream::ExamFees,
        RevenueStream::AccreditationFees,
    ];

    /// Parses a stored stream name (e.g. `exam_fees`).
    pub fn parse(name: &str) -> Option<RevenueStream> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    fn as_str(self) -> &'static str {
        match self {
            RevenueStream::CourseLicences => "course_licences",
            RevenueStream::BaseText => "base_text",
            RevenueStream::ExamFees => "exam_fees",
            RevenueStream::AccreditationFees => "accreditation_fees",
        }
    }
}

/// A named ledger account. Its [`code`](LedgerAccount::code) is what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LedgerAccount {
    /// Money in the foundation's bank account (bank transfers received).
    CashBank,
    /// Card payments captured by Stripe, not yet paid out to the bank.
    StripeClearing,
    /// Accounts receivable: invoiced, not yet paid.
    Receivables,
    /// Invoiced for a future service period (contract liability).
    DeferredRevenue(RevenueStream),
    /// Earned revenue.
    Revenue(RevenueStream),
    /// Tax collected, owed to the tax authority.
    TaxPayable,
    /// Shares of exam fees owed to testing vendors and referring providers.
    PartnerPayables,
    /// Customer credit: cash received that no open invoice could take (a card
    /// payment after a bank transfer, an overpayment). A liability, owed back to
    /// the payer until refunded or applied by a credit note (DESIGN.md,
    /// "Customer credit").
    CustomerCredit,
}

impl LedgerAccount {
    /// The stored account code, e.g. `deferred_revenue:course_licences`.
    pub fn code(self) -> String {
        match self {
            LedgerAccount::CashBank => "cash:bank".to_owned(),
            LedgerAccount::StripeClearing => "cash:stripe_clearing".to_owned(),
            LedgerAccount::Receivables => "receivables".to_owned(),
            LedgerAccount::DeferredRevenue(s) => format!("deferred_revenue:{}", s.as_str()),
            LedgerAccount::Revenue(s) => format!("revenue:{}", s.as_str()),
            LedgerAccount::TaxPayable => "tax_payable".to_owned(),
            LedgerAccount::PartnerPayables => "payables:partners".to_owned(),
            LedgerAccount::CustomerCredit => "customer_credit".to_owned(),
        }
    }
}

impl LedgerAccount {
    /// The side on which the account normally carries its balance: `Debit` for
    /// assets (cash, Stripe clearing, receivables), `Credit` for liabilities
    /// (deferred revenue, tax and partner payables) and revenue. A non-zero balance
    /// on the other side is an anomaly the trial balance reports (e.g. payables
    /// with a net debit: more was paid out than was owed).
    pub fn normal_side(self) -> Side {
        match self {
            LedgerAccount::CashBank
            | LedgerAccount::StripeClearing
            | LedgerAccount::Receivables => Side::Debit,
            LedgerAccount::DeferredRevenue(_)
            | LedgerAccount::Revenue(_)
            | LedgerAccount::TaxPayable
            | LedgerAccount::PartnerPayables
            | LedgerAccount::CustomerCredit => Side::Credit,
        }
    }

    /// Parses a stored account [`code`](LedgerAccount::code); `None` for a code this
    /// version does not know.
    pub fn parse(code: &str) -> Option<LedgerAccount> {
        let stream = |name: &str| RevenueStream::parse(name);
        match code.split_once(':') {
            Some(("deferred_revenue", s)) => stream(s).map(LedgerAccount::DeferredRevenue),
            Some(("revenue", s)) => stream(s).map(LedgerAccount::Revenue),
            _ => [
                LedgerAccount::CashBank,
                LedgerAccount::StripeClearing,
                LedgerAccount::Receivables,
                LedgerAccount::TaxPayable,
                LedgerAccount::PartnerPayables,
                LedgerAccount::CustomerCredit,
            ]
            .into_iter()
            .find(|a| a.code() == code),
        }
    }
}

impl fmt::Display for LedgerAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// Which side of the account a posting is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Debit.
    Debit,
    /// Credit.
    Credit,
}

impl Side {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// One line of a journal entry: a strictly positive amount on one side of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The account.
    pub account: LedgerAccount,
    /// Debit or credit.
    pub side: Side,
    /// Amount, > 0.
    pub amount: Money,
}

/// Why a set of postings is not a valid journal entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LedgerError {
    /// Fewer than two postings.
    #[error("a journal entry needs at least two postings")]
    TooFewPostings,
    /// A posting amount is zero or negative.
    #[error("posting amounts must be positive")]
    NonPositiveAmount,
    /// Debits and credits differ in some currency.
    #[error("unbalanced entry in {0}: debits {1} ≠ credits {2}")]
    Unbalanced(Currency, i64, i64),
    /// Summing overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// A balanced set of postings; the only way to write to the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    postings: Vec<Posting>,
}

impl JournalEntry {
    /// Validates `postings`: at least two, each positive, debits = credits per currency.
    /// Zero-amount postings are dropped first (a free line books nothing).
    /// Errors: [`LedgerError`].
    pub fn new(postings: Vec<Posting>) -> Result<Self, LedgerError> {
        let postings: Vec<Posting> = postings
            .into_iter()
            .filter(|p| !p.amount.is_zero())
            .collect();
        if postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        let mut sums: BTreeMap<&'static str, (Currency, i64, i64)> = BTreeMap::new();
        for p in &postings {
            if p.amount.amount_minor <= 0 {
                return Err(LedgerError::NonPositiveAmount);
            }
            let e = sums
                .entry(p.amount.currency.code())
                .or_insert((p.amount.currency, 0, 0));
            let slot = match p.side {
                Side::Debit => &mut e.1,
                Side::Credit => &mut e.2,
            };
            *slot = slot
                .checked_add(p.amount.amount_minor)
                .ok_or(MoneyError::Overflow)?;
        }
        for (currency, debits, credits) in sums.into_values() {
            if debits != credits {
                return Err(LedgerError::Unbalanced(currency, debits, credits));
            }
        }
        Ok(JournalEntry { postings })
    }

    /// A two-posting entry: debit `debit`, credit `credit`, same `amount`.
    /// Errors: [`LedgerError`] (e.g. a zero amount).
    pub fn transfer(
        debit: LedgerAccount,
        credit: LedgerAccount,
        amount: Money,
    ) -> Result<Self, LedgerError> {
        JournalEntry::new(vec![
            Posting {
                account: debit,
                side: Side::Debit,
                amount,
            },
            Posting {
                account: credit,
                side: Side::Credit,
                amount,
            },
        ])
    }

    /// The postings, in order.
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_codes_parse_back_and_have_a_normal_side() {
        let mut accounts = vec![
            LedgerAccount::CashBank,
            LedgerAccount::StripeClearing,
            LedgerAccount::Receivables,
            LedgerAccount::TaxPayable,
            LedgerAccount::PartnerPayables,
        ];
        for s in RevenueStream::ALL {
            accounts.push(LedgerAccount::DeferredRevenue(s));
            accounts.push(LedgerAccount::Revenue(s));
        }
        for a in accounts {
            assert_eq!(LedgerAccount::parse(&a.code()), Some(a), "{a}");
        }
        assert_eq!(LedgerAccount::parse("revenue:unknown"), None);
        assert_eq!(LedgerAccount::parse("suspense"), None);
        assert_eq!(LedgerAccount::Receivables.normal_side(), Side::Debit);
        assert_eq!(LedgerAccount::PartnerPayables.normal_side(), Side::Credit);
        assert_eq!(
            LedgerAccount::DeferredRevenue(RevenueStream::ExamFees).normal_side(),
            Side::Credit
        );
    }

    fn usd(m: i64) -> Money {
        Money::new(m, Currency::Usd)
    }

    #[test]
    fn balanced_entries_are_accepted() {
        let e = JournalEntry::new(vec![
            Posting {
                account: LedgerAccount::Receivables,
                side: Side::Debit,
                amount: usd(250_000),
            },
            Posting {
                account: LedgerAccount::DeferredRevenue(RevenueStream::CourseLicences),
                side: Side::Credit,
                amount: usd(240_000),
            },
            Posting {
                account: LedgerAccount::TaxPayable,
                side: Side::Credit,
                amount: usd(10_000),
            },
        ]);
        assert!(e.is_ok());
    }

    #[test]
    fn unbalanced_and_degenerate_entries_are_refused() {
        let e = JournalEntry::new(vec![
            Posting {
                account: LedgerAccount::Receivables,
                side: Side::Debit,
                amount: usd(2),
            },
            Posting {
                account: LedgerAccount::CashBank,
                side: Side::Credit,
                amount: usd(1),
            },
        ]);
        assert_eq!(e, Err(LedgerError::Unbalanced(Currency::Usd, 2, 1)));
        assert_eq!(
            JournalEntry::transfer(LedgerAccount::CashBank, LedgerAccount::Receivables, usd(0)),
            Err(LedgerError::TooFewPostings)
        );
        assert_eq!(
            JournalEntry::transfer(LedgerAccount::CashBank, LedgerAccount::Receivables, usd(-5)),
            Err(LedgerError::NonPositiveAmount)
        );
        assert_eq!(
            LedgerAccount::DeferredRevenue(RevenueStream::CourseLicences).code(),
            "deferred_revenue:course_licences"
        );
    }
}
