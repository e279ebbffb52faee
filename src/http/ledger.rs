//! Ledger reports for finance.

use actix_web::{get, web, HttpResponse};

use crate::services::ledger::{self, AccountBalance};
use crate::services::AppContext;

use super::extract::{Caller, MoneyStaff};
use super::problem::ApiError;

/// The trial balance: debit and credit totals per account and currency; debits
/// equal credits per currency when the ledger is balanced (`balanced: true`).
#[utoipa::path(tag = "ledger", security(("bearer" = [])),
    responses((status = 200, description = "`{accounts: [AccountBalance], balanced: bool}`", body = serde_json::Value)))]
#[get("/v1/ledger/trial-balance")]
pub async fn trial_balance(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
) -> Result<HttpResponse, ApiError> {
    let accounts: Vec<AccountBalance> = ctx.db(ledger::trial_balance).await?;
    let mut per_currency = std::collections::BTreeMap::<String, i64>::new();
    for a in &accounts {
        *per_currency.entry(a.currency.clone()).or_default() += a.balance_minor;
    }
    let balanced = per_currency.values().all(|v| *v == 0);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "accounts": accounts, "balanced": balanced })))
}
