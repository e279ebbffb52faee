//! Exam fee split policies: versioned, effective-dated shares of an exam's fee
//! between the foundation, the testing vendor and the referring centre
//! (docs/domain.md, "Exam fee split and payouts").

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::SplitPolicyRow;
use crate::db::schema::split_policies as sp;
use crate::db::DbConn;
use crate::domain::exams::split::SplitParts;
use crate::domain::ids::{SplitPolicyId, VendorId};

use crate::services::lookups::{find_credential, find_vendor};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, ServiceError};

/// `POST /v1/split-policies` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSplitPolicy {
    /// Exam code.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub exam_code: String,
    /// A vendor-specific override; absent = the exam's default.
    #[serde(default)]
    pub testing_vendor_id: Option<VendorId>,
    /// First day it applies (payment date).
    pub effective_from: NaiveDate,
    /// Shares in basis points: `foundation`, `testing_vendor`, `referring_provider`, summing to 10 000.
    pub parts: SplitPartsInput,
}

/// Shares in basis points as sent on the API.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitPartsInput {
    /// Foundation share.
    #[serde(deserialize_with = "crate::domain::integral::i64")]
    #[schema(minimum = 0, maximum = 10000)]
    pub foundation: i64,
    /// Testing vendor share.
    #[serde(deserialize_with = "crate::domain::integral::i64")]
    #[schema(minimum = 0, maximum = 10000)]
    pub testing_vendor: i64,
    /// Referring provider share (goes to the foundation when there is no referrer).
    #[serde(deserialize_with = "crate::domain::integral::i64")]
    #[schema(minimum = 0, maximum = 10000)]
    pub referring_provider: i64,
}

/// A split policy version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SplitPolicyView {
    /// Id.
    pub id: SplitPolicyId,
    /// Exam code.
    pub exam_code: String,
    /// Vendor override.
    pub testing_vendor_id: Option<VendorId>,
    /// First day it applies.
    pub effective_from: NaiveDate,
    /// Shares.
    pub parts: SplitPartsInput,
}

fn policy_view(r: &SplitPolicyRow) -> Result<SplitPolicyView, ServiceError> {
    Ok(SplitPolicyView {
        id: r.id.parse().map_err(anyhow::Error::new)?,
        exam_code: r.exam_code.clone(),
        testing_vendor_id: r
            .testing_vendor_id
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(anyhow::Error::new)?,
        effective_from: r.effective_from,
        parts: SplitPartsInput {
            foundation: r.foundation_bp.into(),
            testing_vendor: r.testing_vendor_bp.into(),
            referring_provider: r.referring_provider_bp.into(),
        },
    })
}

/// Adds a split policy version (admin).
pub fn create_policy(
    conn: &mut DbConn,
    input: &NewSplitPolicy,
    by: &str,
    now: DateTime<Utc>,
) -> Result<SplitPolicyView, ServiceError> {
    let credential = find_credential(conn, &input.exam_code)
        .map_err(|_| ServiceError::invalid("exam_code", "not an exam of the catalogue"))?;
    if !credential.is_exam {
        return Err(ServiceError::invalid(
            "exam_code",
            "composite credentials have no fee to split",
        ));
    }
    if let Some(v) = input.testing_vendor_id {
        find_vendor(conn, v)
            .map_err(|_| ServiceError::invalid("testing_vendor_id", "unknown testing vendor"))?;
    }
    let parts = SplitParts::parse(
        input.parts.foundation,
        input.parts.testing_vendor,
        input.parts.referring_provider,
    )
    .map_err(|e| ServiceError::invalid("parts", e.to_string()))?;
    let bp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let row = SplitPolicyRow {
        id: SplitPolicyId::new().to_string(),
        exam_code: input.exam_code.clone(),
        testing_vendor_id: input.testing_vendor_id.map(|v| v.to_string()),
        effective_from: input.effective_from,
        foundation_bp: bp(parts.foundation_bp),
        testing_vendor_bp: bp(parts.testing_vendor_bp),
        referring_provider_bp: bp(parts.referring_provider_bp),
        created_by: by.to_owned(),
        created_at: naive(now),
    };
    diesel::insert_into(sp::table).values(&row).execute(conn)?;
    policy_view(&row)
}

/// Split policies in creation order, one page at a time.
/// Errors: [`ServiceError::Validation`] on a bad page request.
pub fn list_policies(
    conn: &mut DbConn,
    page: &PageRequest,
) -> Result<Page<SplitPolicyView>, ServiceError> {
    let after = page.after()?;
    let mut q = sp::table
        .order(sp::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(sp::id.gt(after));
    }
    let rows = q.select(SplitPolicyRow::as_select()).load(conn)?;
    let views = rows
        .iter()
        .map(policy_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(views, |p| p.id.to_string()))
}
