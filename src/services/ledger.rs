//! Writing journal entries and reading balances. Only [`JournalEntry`] values (which
//! are balanced by construction) can be posted; reports sum postings.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::models::{LedgerPostingRow, LedgerTransactionRow};
use crate::db::schema::{ledger_postings as lp, ledger_transactions as lt};
use crate::db::DbConn;
use crate::domain::billing::ledger::JournalEntry;
use crate::domain::ids::LedgerTransactionId;

use super::{naive, ServiceError};

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
    // One statement per row: batch inserts don't go through the multi-backend connection.
    for row in &rows {
        diesel::insert_into(lp::table).values(row).execute(conn)?;
    }
    Ok(id)
}

/// Debit and credit totals of one account in one currency.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AccountBalance {
    /// Account code, e.g. `receivables`.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of debits, minor units.
    pub debits_minor: i64,
    /// Sum of credits, minor units.
    pub credits_minor: i64,
    /// `debits - credits` (positive: debit balance).
    pub balance_minor: i64,
}

/// The trial balance: every account's totals, ordered by account then currency.
/// Summed in Rust with checked arithmetic (portable across both backends).
pub fn trial_balance(conn: &mut DbConn) -> Result<Vec<AccountBalance>, ServiceError> {
    let rows: Vec<(String, String, String, i64)> = lp::table
        .select((lp::account, lp::currency, lp::side, lp::amount_minor))
        .load(conn)?;
    let mut sums: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (account, currency, side, amount) in rows {
        let e = sums.entry((account, currency)).or_insert((0, 0));
        let slot = if side == "debit" { &mut e.0 } else { &mut e.1 };
        *slot = slot
            .checked_add(amount)
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("ledger sum overflow")))?;
    }
    Ok(sums
        .into_iter()
        .map(|((account, currency), (d, c))| AccountBalance {
            account,
            currency,
            debits_minor: d,
            credits_minor: c,
            balance_minor: d - c,
        })
        .collect())
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
