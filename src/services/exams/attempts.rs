//! Vouchers, exam attempts and results: a testing vendor redeems a paid order's
//! voucher (starting an attempt) and reports the result once; a pass awards the
//! certification (and any composite it completes) through
//! [`crate::services::credentials::certifications::award`].

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::{ExamAttemptRow, VoucherRow};
use crate::db::schema::{certifications as ce, exam_attempts as ea, vouchers as vo};
use crate::db::DbConn;
use crate::domain::codes::VoucherCode;
use crate::domain::exams::orders::VoucherStatus;
use crate::domain::ids::{CandidateId, ExamAttemptId, VendorId};

use crate::services::credentials::certifications;
use crate::services::{naive, FieldError, ServiceError};

/// An exam attempt as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExamAttempt {
    /// Id.
    pub id: ExamAttemptId,
    /// Exam.
    pub exam_code: String,
    /// Candidate.
    pub candidate_id: CandidateId,
    /// Vendor.
    pub testing_vendor_id: VendorId,
    /// Result, once reported.
    pub passed: Option<bool>,
    /// Score, once reported.
    pub score_percent: Option<i32>,
    /// When the exam was taken.
    pub taken_at: Option<DateTime<Utc>>,
    /// The certification awarded by a pass.
    pub certification_id: Option<String>,
}

fn attempt_view(conn: &mut DbConn, r: ExamAttemptRow) -> Result<ExamAttempt, ServiceError> {
    let cert: Option<String> = ce::table
        .filter(ce::exam_attempt_id.eq(&r.id))
        .select(ce::id)
        .first(conn)
        .optional()?;
    fn p<T: std::str::FromStr<Err = uuid::Error>>(s: &str) -> Result<T, ServiceError> {
        s.parse()
            .map_err(|e: uuid::Error| ServiceError::Internal(anyhow::Error::new(e)))
    }
    Ok(ExamAttempt {
        id: p(&r.id)?,
        exam_code: r.exam_code,
        candidate_id: p(&r.candidate_id)?,
        testing_vendor_id: p(&r.testing_vendor_id)?,
        passed: r.passed,
        score_percent: r.score_percent,
        taken_at: r.taken_at.map(|t| t.and_utc()),
        certification_id: cert,
    })
}

/// Redeems a voucher for `vendor`. Unknown, foreign (another vendor's) and used
/// vouchers are refused as not found / conflict; expired ones as conflict.
pub fn redeem(
    conn: &mut DbConn,
    vendor: VendorId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ExamAttempt, ServiceError> {
    let code = VoucherCode::normalise(code).ok_or(ServiceError::NotFound("voucher"))?;
    let v: VoucherRow = vo::table
        .filter(vo::code.eq(&code))
        .filter(vo::testing_vendor_id.eq(vendor.to_string()))
        .select(VoucherRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("voucher"))?;
    if VoucherStatus::from_stored(&v.status).context("voucher status")? != VoucherStatus::Issued {
        return Err(ServiceError::Conflict {
            kind: "voucher-used",
            detail: "this voucher has already been redeemed".into(),
        });
    }
    if now.date_naive() >= v.expires_on {
        return Err(ServiceError::Conflict {
            kind: "voucher-expired",
            detail: format!("this voucher expired on {}", v.expires_on),
        });
    }
    let updated = diesel::update(
        vo::table
            .find(&v.id)
            .filter(vo::status.eq(VoucherStatus::Issued.as_str())),
    )
    .set((
        vo::status.eq(VoucherStatus::Redeemed.as_str()),
        vo::redeemed_at.eq(Some(naive(now))),
    ))
    .execute(conn)?;
    if updated != 1 {
        return Err(ServiceError::Conflict {
            kind: "voucher-used",
            detail: "this voucher has already been redeemed".into(),
        });
    }
    let row = ExamAttemptRow {
        id: ExamAttemptId::new().to_string(),
        voucher_id: v.id,
        candidate_id: v.candidate_id,
        exam_code: v.exam_code,
        testing_vendor_id: v.testing_vendor_id,
        passed: None,
        score_percent: None,
        taken_at: None,
        created_at: naive(now),
        reported_at: None,
    };
    diesel::insert_into(ea::table).values(&row).execute(conn)?;
    attempt_view(conn, row)
}

/// `POST /v1/exam-attempts/{id}/result` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExamResult {
    /// Whether the candidate passed.
    pub passed: bool,
    /// Score, 0–100.
    #[serde(deserialize_with = "crate::domain::integral::i32")]
    #[schema(minimum = 0, maximum = 100)]
    pub score_percent: i32,
    /// When the exam was taken (not in the future).
    pub taken_at: DateTime<Utc>,
}

fn find_attempt(
    conn: &mut DbConn,
    id: ExamAttemptId,
    scope: Scope,
) -> Result<ExamAttemptRow, ServiceError> {
    let mut q = ea::table.find(id.to_string()).into_boxed();
    match scope {
        Scope::All => {}
        Scope::Vendor(v) => q = q.filter(ea::testing_vendor_id.eq(v.to_string())),
        Scope::Candidate(c) => q = q.filter(ea::candidate_id.eq(c.to_string())),
        Scope::Provider(_) => return Err(ServiceError::NotFound("exam attempt")),
    }
    q.select(ExamAttemptRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("exam attempt"))
}

/// One attempt (vendors and candidates see their own).
pub fn get_attempt(
    conn: &mut DbConn,
    id: ExamAttemptId,
    scope: Scope,
) -> Result<ExamAttempt, ServiceError> {
    let row = find_attempt(conn, id, scope)?;
    attempt_view(conn, row)
}

/// Records a result (the attempt's vendor, once). A pass awards the certification
/// and any composite it completes.
pub fn report_result(
    conn: &mut DbConn,
    settings: &Settings,
    vendor: VendorId,
    id: ExamAttemptId,
    input: &ExamResult,
    now: DateTime<Utc>,
) -> Result<ExamAttempt, ServiceError> {
    let row = find_attempt(conn, id, Scope::Vendor(vendor))?;
    if row.passed.is_some() {
        return Err(ServiceError::Conflict {
            kind: "result-already-reported",
            detail: "this attempt already has a result".into(),
        });
    }
    let mut errors = Vec::new();
    if !(0..=100).contains(&input.score_percent) {
        errors.push(FieldError::new("score_percent", "must be 0 to 100"));
    }
    if input.taken_at > now + chrono::Duration::minutes(5) {
        errors.push(FieldError::new("taken_at", "must not be in the future"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    diesel::update(ea::table.find(&row.id))
        .set((
            ea::passed.eq(Some(input.passed)),
            ea::score_percent.eq(Some(input.score_percent)),
            ea::taken_at.eq(Some(naive(input.taken_at))),
            ea::reported_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    if input.passed {
        let candidate: CandidateId = row.candidate_id.parse().map_err(anyhow::Error::new)?;
        certifications::award(
            conn,
            settings,
            candidate,
            &row.exam_code,
            certifications::Basis::Exam(row.id.clone()),
            now,
        )?;
    }
    let row = find_attempt(conn, id, Scope::All)?;
    attempt_view(conn, row)
}
