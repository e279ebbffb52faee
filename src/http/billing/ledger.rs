//! Ledger reports for finance.

use actix_web::{get, web, HttpResponse};

use crate::services::billing::ledger::{self, TrialBalance};
use crate::services::AppContext;

use crate::http::extract::{Caller, MoneyStaff};
use crate::http::problem::ApiError;

/// The trial balance: debit and credit totals per account and currency, each
/// account's normal side, and `balanced: true` when debits equal credits in every
/// currency. `anomalies` lists accounts whose balance is on the wrong side (e.g.
/// partner payables with a net debit: more paid out than owed), which a balanced
/// ledger does not rule out. Totals are exact integers and may exceed 64 bits.
#[utoipa::path(tag = "ledger", security(("bearer" = [])),
    responses((status = 200, body = TrialBalance)))]
#[get("/v1/ledger/trial-balance")]
pub async fn trial_balance(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ctx.db(ledger::trial_balance).await?))
}
