//! Writing journal entries and reading balances. Only [`JournalEntry`] values (which
//! are balanced by construction) can be posted; reports sum postings in SQL and
//! combine the sums in `i128`, so no ledger can make a report overflow.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::models::{LedgerPostingRow, LedgerTransactionRow};
use crate::db::schema::{ledger_postings as lp, ledger_transactions as lt};
use crate::db::DbConn;
use crate::domain::billing::ledger::{JournalEntry, LedgerAccount, Side};
use crate::domain::ids::LedgerTransactionId;

use crate::services::{naive, ServiceError};

/// Posts `entry` as one ledger transaction describing `source_type`/`source_id`
/// (e.g. `invoice`/id). Returns the transaction id.
pub fn post(
    conn: &mut DbConn,
    entry: &JournalEntry,
    occurred_at: DateTime<Utc>,
    description: &str,
    source_type: &str,
    source_id: &str,
) -> Result<LedgerTransactionId, ServiceError> {
    let id = LedgerTransactionId::new();
    diesel::insert_into(lt::table)
        .values(&LedgerTransactionRow {
            id: id.to_string(),
            occurred_at: naive(occurred_at),
            description: description.to_owned(),
            source_type: source_type.to_owned(),
            source_id: source_id.to_owned(),
        })
        .execute(conn)?;
    let rows: Vec<LedgerPostingRow> = entry
        .postings()
        .iter()
        .enumerate()
        .map(|(i, p)| LedgerPostingRow {
            id: uuid::Uuid::now_v7().to_string(),
            transaction_id: id.to_string(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            account: p.account.code(),
            side: p.side.as_str().to_owned(),
            amount_minor: p.amount.amount_minor,
            currency: p.amount.currency.code().to_owned(),
        })
        .collect();
    // One statement for all postings; batch inserts run on the backend's own
    // connection because the multi-backend connection does not support them.
    match conn {
        DbConn::Pg(c) => diesel::insert_into(lp::table).values(&rows).execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(lp::table).values(&rows).execute(c)?,
    };
    Ok(id)
}

/// Debit and credit totals of one account in one currency.
///
/// Totals are exact integers of minor units, computed in 128 bits: amounts booked
/// before input amounts were capped (`MAX_INPUT_MINOR`, 10^10 minor units) can make
/// a total exceed the 64-bit range, and the report must still answer; clients should
/// parse them as arbitrary-precision integers.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AccountBalance {
    /// Account code, e.g. `receivables`.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of debits, minor units.
    pub debits_minor: i128,
    /// Sum of credits, minor units.
    pub credits_minor: i128,
    /// `debits - credits` (positive: debit balance).
    pub balance_minor: i128,
    /// The side the account normally carries its balance on (`debit` for cash and
    /// receivables, `credit` for deferred revenue, revenue and payables); absent for
    /// an account code this version does not know.
    pub normal_side: Option<Side>,
    /// True when the balance is non-zero and on the other side of `normal_side`
    /// (e.g. partner payables with a net debit: more was paid out than was owed).
    pub wrong_side: bool,
}

/// Debit and credit totals over all accounts of one currency.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CurrencyTotals {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of all debits, minor units.
    pub debits_minor: i128,
    /// Sum of all credits, minor units.
    pub credits_minor: i128,
    /// Debits equal credits.
    pub balanced: bool,
}

/// What is wrong with an account in the trial balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The balance is on the other side of the account's normal side.
    WrongSide,
    /// The account code is not one this version knows.
    UnknownAccount,
}

/// An account in one currency that finance should look at.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Anomaly {
    /// Account code.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// `debits - credits`, minor units.
    pub balance_minor: i128,
    /// What is wrong.
    pub kind: AnomalyKind,
}

/// The trial balance (`GET /v1/ledger/trial-balance`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TrialBalance {
    /// Every account's totals, ordered by account then currency.
    pub accounts: Vec<AccountBalance>,
    /// Totals per currency, ordered by currency.
    pub currencies: Vec<CurrencyTotals>,
    /// Debits equal credits in every currency.
    pub balanced: bool,
    /// Accounts with a balance on the wrong side or an unknown code; empty when
    /// the ledger looks healthy. A balanced ledger can still have anomalies.
    pub anomalies: Vec<Anomaly>,
}

/// Postings are summed in SQL in two parts, `amount / 2^32` and `amount % 2^32`,
/// recombined as `high * 2^32 + low` in `i128`. Each part's SQL sum stays inside
/// `BIGINT` for up to 2^31 postings per account, currency and side, so neither
/// backend overflows (SQLite's `SUM` raises an error on integer overflow,
/// PostgreSQL's returns `numeric`), and the recombined total is exact. Truncating
/// division and remainder behave alike on both backends.
const SPLIT: i128 = 1 << 32;

fn total_overflow() -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("ledger total exceeds 128 bits"))
}

/// The trial balance: every account's totals with its normal side, totals and the
/// balanced flag per currency, and the anomalies finance should look at.
/// Never overflows for ledgers of fewer than 2^31 postings per account and side.
pub fn trial_balance(conn: &mut DbConn) -> Result<TrialBalance, ServiceError> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let rows: Vec<(String, String, String, i64, i64)> = lp::table
        .group_by((lp::account, lp::currency, lp::side))
        .select((
            lp::account,
            lp::currency,
            lp::side,
            sql::<BigInt>("CAST(SUM(amount_minor / 4294967296) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(amount_minor % 4294967296) AS BIGINT)"),
        ))
        .load(conn)?;
    let mut sums: BTreeMap<(String, String), (i128, i128)> = BTreeMap::new();
    for (account, currency, side, high, low) in rows {
        let total = i128::from(high)
            .checked_mul(SPLIT)
            .and_then(|h| h.checked_add(i128::from(low)))
            .ok_or_else(total_overflow)?;
        let e = sums.entry((account, currency)).or_insert((0, 0));
        let slot = if side == Side::Debit.as_str() {
            &mut e.0
        } else {
            &mut e.1
        };
        *slot = slot.checked_add(total).ok_or_else(total_overflow)?;
    }
    let mut accounts = Vec::with_capacity(sums.len());
    let mut per_currency: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    for ((account, currency), (debits, credits)) in sums {
        let balance = debits.checked_sub(credits).ok_or_else(total_overflow)?;
        let normal_side = LedgerAccount::parse(&account).map(LedgerAccount::normal_side);
        let wrong_side = match normal_side {
            Some(Side::Debit) => balance < 0,
            Some(Side::Credit) => balance > 0,
            None => false,
        };
        let c = per_currency.entry(currency.clone()).or_insert((0, 0));
        c.0 = c.0.checked_add(debits).ok_or_else(total_overflow)?;
        c.1 = c.1.checked_add(credits).ok_or_else(total_overflow)?;
        accounts.push(AccountBalance {
            account,
            currency,
            debits_minor: debits,
            credits_minor: credits,
            balance_minor: balance,
            normal_side,
            wrong_side,
        });
    }
    let currencies: Vec<CurrencyTotals> = per_currency
        .into_iter()
        .map(|(currency, (debits, credits))| CurrencyTotals {
            currency,
            debits_minor: debits,
            credits_minor: credits,
            balanced: debits == credits,
        })
        .collect();
    let anomalies = accounts
        .iter()
        .filter_map(|a| {
            let kind = if a.normal_side.is_none() {
                AnomalyKind::UnknownAccount
            } else if a.wrong_side {
                AnomalyKind::WrongSide
            } else {
                return None;
            };
            Some(Anomaly {
                account: a.account.clone(),
                currency: a.currency.clone(),
                balance_minor: a.balance_minor,
                kind,
            })
        })
        .collect();
    Ok(TrialBalance {
        balanced: currencies.iter().all(|c| c.balanced),
        accounts,
        currencies,
        anomalies,
    })
}

/// Postings of one source (e.g. all ledger lines of an invoice), for audits and tests.
pub fn postings_for_source(
    conn: &mut DbConn,
    source_type: &str,
    source_id: &str,
) -> Result<Vec<LedgerPostingRow>, ServiceError> {
    Ok(lp::table
        .inner_join(lt::table)
        .filter(lt::source_type.eq(source_type))
        .filter(lt::source_id.eq(source_id))
        .order((lt::id.asc(), lp::position.asc()))
        .select(LedgerPostingRow::as_select())
        .load(conn)?)
}
