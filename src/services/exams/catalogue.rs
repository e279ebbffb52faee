//! The exam catalogue as the API shows it: every credential with its rules,
//! level and current fee.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::domain::credentials::catalogue::Tier;
use crate::domain::credentials::levels::Level;
use crate::domain::money::Money;

use crate::services::billing::catalogue;
use crate::services::lookups::catalogue_with_rows;
use crate::services::pagination::{Page, PageRequest};
use crate::services::ServiceError;

/// A credential of the exam catalogue as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Exam {
    /// Code, e.g. `PCAP`.
    pub code: String,
    /// Name.
    pub name: String,
    /// `entry`, `associate`, `professional` or `expert`.
    pub tier: String,
    /// The candidate level this credential belongs to (`certified` for entry and
    /// associate credentials; reaching `professional` and `expert` also needs
    /// verified community credits).
    pub level: Level,
    /// Whether it is earned by an exam (false: composite such as CEPP).
    pub exam: bool,
    /// Exam fee, for exams.
    pub fee: Option<Money>,
    /// All-of prerequisites.
    pub prerequisites: Vec<String>,
    /// All-of components, for composites.
    pub components: Vec<String>,
    /// Days a candidate waits after a failed attempt.
    pub retake_wait_days: u32,
    /// Months a voucher stays valid.
    pub voucher_validity_months: u32,
    /// Months a certification is valid; absent = lifetime.
    pub validity_months: Option<u32>,
}

/// The exam catalogue with current fees, one page at a time in code order (the
/// catalogue is small and read whole; the page is cut in memory).
/// Errors: [`ServiceError::Validation`] on a bad page request.
pub fn list_exams(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    page: &PageRequest,
) -> Result<Page<Exam>, ServiceError> {
    page.after_key()?;
    let mut out = Vec::new();
    for (row, rule) in catalogue_with_rows(conn)? {
        let fee = match &row.product_code {
            Some(p) => Some(catalogue::find_priced(conn, p, now)?.unit_price),
            None => None,
        };
        out.push(Exam {
            level: match rule.tier {
                Tier::Entry | Tier::Associate => Level::Certified,
                Tier::Professional => Level::Professional,
                Tier::Expert => Level::Expert,
            },
            code: rule.code,
            name: rule.name,
            tier: row.tier,
            exam: rule.exam,
            fee,
            prerequisites: rule.prerequisites,
            components: rule.components,
            retake_wait_days: rule.retake_wait_days,
            voucher_validity_months: rule.voucher_validity_months,
            validity_months: rule.validity_months,
        });
    }
    page.page_in_memory(out, |e| e.code.clone())
}
