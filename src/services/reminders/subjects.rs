//! Which subjects of each kind still need reminding, and what their emails say.
//!
//! [`claim_ids`] pages through the subjects whose anchor date lies in the policy's
//! window, in id order. On PostgreSQL it locks the page `FOR UPDATE SKIP LOCKED`, so
//! concurrent sweeps split the work (a row another sweep holds is its to do); on
//! SQLite the run's lease keeps sweeps apart ([`super::runs`]).

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use crate::db::schema::{
    accreditations as ac, candidates as ca, certifications as ce, invoices as inv, licences as lic,
    products as pr, providers as pv, training_materials as tm, vouchers as vo,
};
use crate::db::DbConn;
use crate::domain::money::{Currency, Money};
use crate::domain::reminders::SubjectKind;
use crate::services::ServiceError;

/// One subject to remind, with what its email needs.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The subject's id (licence, accreditation, … id).
    pub id: String,
    /// Its anchor date (expiry, deadline, due date).
    pub anchor: NaiveDate,
    /// Recipient address.
    pub to: String,
    /// Recipient name (provider legal name, candidate name).
    pub name: String,
    /// What it is about, for the email (product name, credential, …).
    pub item: String,
    /// A reference the recipient can quote (number, code, id).
    pub reference: String,
}

/// Where to start and how much to take.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Anchor dates `[lo, hi]` (inclusive).
    pub window: (NaiveDate, NaiveDate),
    /// The sweep date.
    pub as_of: NaiveDate,
    /// Licence grace period (a licence past it has lapsed: no more reminders).
    pub licence_grace_days: u32,
    /// Ids strictly after this one.
    pub after: &'a str,
    /// Page size.
    pub limit: i64,
    /// Whether to lock (PostgreSQL `FOR UPDATE SKIP LOCKED`); off for dry runs.
    pub lock: bool,
}

macro_rules! ids {
    ($conn:expr, $lock:expr, $q:expr) => {
        match $conn {
            DbConn::Pg(c) if $lock => $q.for_update().skip_locked().load::<String>(c)?,
            DbConn::Pg(c) => $q.load::<String>(c)?,
            DbConn::Sqlite(c) => $q.load::<String>(c)?,
        }
    };
}

/// The next page of subject ids of `kind` that may need a reminder: in the anchor
/// window and still in a state that needs one (licence not lapsed; accreditation
/// `active | renewal_due`; AEC `non_compliant`; material `approved |
/// reaccreditation_due`; certification `valid`; voucher `issued`; invoice `open`).
pub fn claim_ids(
    conn: &mut DbConn,
    kind: SubjectKind,
    p: Page<'_>,
) -> Result<Vec<String>, ServiceError> {
    let (lo, hi) = p.window;
    let lock = p.lock;
    Ok(match kind {
        SubjectKind::Licence => {
            let not_lapsed = p.as_of - Duration::days(i64::from(p.licence_grace_days));
            ids!(
                conn,
                lock,
                lic::table
                    .filter(lic::expires_on.ge(lo).and(lic::expires_on.le(hi)))
                    .filter(lic::expires_on.gt(not_lapsed))
                    .filter(lic::id.gt(p.after))
                    .order(lic::id.asc())
                    .limit(p.limit)
                    .select(lic::id)
            )
        }
        SubjectKind::Accreditation => ids!(
            conn,
            lock,
            ac::table
                .filter(ac::status.eq_any(["active", "renewal_due"]))
                .filter(ac::expires_on.ge(lo).and(ac::expires_on.le(hi)))
                .filter(ac::id.gt(p.after))
                .order(ac::id.asc())
                .limit(p.limit)
                .select(ac::id)
        ),
        SubjectKind::AecNonCompliance => ids!(
            conn,
            lock,
            ac::table
                .filter(ac::status.eq("non_compliant"))
                .filter(
                    ac::non_compliant_deadline
                        .ge(lo)
                        .and(ac::non_compliant_deadline.le(hi))
                )
                .filter(ac::id.gt(p.after))
                .order(ac::id.asc())
                .limit(p.limit)
                .select(ac::id)
        ),
        SubjectKind::TrainingMaterial => ids!(
            conn,
            lock,
            tm::table
                .filter(tm::status.eq_any(["approved", "reaccreditation_due"]))
                .filter(tm::approved_until.ge(lo).and(tm::approved_until.le(hi)))
                .filter(tm::id.gt(p.after))
                .order(tm::id.asc())
                .limit(p.limit)
                .select(tm::id)
        ),
        SubjectKind::Certification => ids!(
            conn,
            lock,
            ce::table
                .filter(ce::status.eq("valid"))
                .filter(ce::expires_on.ge(lo).and(ce::expires_on.le(hi)))
                .filter(ce::id.gt(p.after))
                .order(ce::id.asc())
                .limit(p.limit)
                .select(ce::id)
        ),
        SubjectKind::Voucher => ids!(
            conn,
            lock,
            vo::table
                .filter(vo::status.eq("issued"))
                .filter(vo::expires_on.ge(lo).and(vo::expires_on.le(hi)))
                .filter(vo::expires_on.gt(p.as_of))
                .filter(vo::id.gt(p.after))
                .order(vo::id.asc())
                .limit(p.limit)
                .select(vo::id)
        ),
        SubjectKind::Invoice => ids!(
            conn,
            lock,
            inv::table
                .filter(inv::status.eq("open"))
                .filter(inv::due_on.ge(lo).and(inv::due_on.le(hi)))
                .filter(inv::id.gt(p.after))
                .order(inv::id.asc())
                .limit(p.limit)
                .select(inv::id)
        ),
    })
}

fn subject(
    id: String,
    anchor: Option<NaiveDate>,
    to: String,
    name: String,
    item: String,
    reference: String,
) -> Option<Subject> {
    Some(Subject {
        id,
        anchor: anchor?,
        to,
        name,
        item,
        reference,
    })
}

/// id, expiry, non-compliance deadline, email, legal name, kind, number.
type AccreditationRow = (
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    String,
    String,
    String,
    String,
);
/// id, due date, provider email and name, candidate email and name, currency,
/// total and paid (minor units), number.
type InvoiceRow = (
    String,
    NaiveDate,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    String,
);

/// What the emails of the subjects `ids` of `kind` need, in id order.
pub fn load(
    conn: &mut DbConn,
    kind: SubjectKind,
    ids: &[String],
) -> Result<Vec<Subject>, ServiceError> {
    type R = (String, Option<NaiveDate>, String, String, String, String);
    let rows: Vec<R> = match kind {
        SubjectKind::Licence => lic::table
            .inner_join(pv::table)
            .inner_join(pr::table.on(pr::code.eq(lic::product_code)))
            .filter(lic::id.eq_any(ids))
            .select((
                lic::id,
                lic::expires_on,
                pv::email,
                pv::legal_name,
                pr::name,
                lic::id,
            ))
            .load(conn)?,
        SubjectKind::Accreditation | SubjectKind::AecNonCompliance => {
            let rows: Vec<AccreditationRow> = ac::table
                .inner_join(pv::table.on(pv::id.eq(ac::provider_id)))
                .filter(ac::id.eq_any(ids))
                .select((
                    ac::id,
                    ac::expires_on,
                    ac::non_compliant_deadline,
                    pv::email,
                    pv::legal_name,
                    ac::kind,
                    ac::number,
                ))
                .load(conn)?;
            rows.into_iter()
                .map(|(id, exp, deadline, email, name, k, number)| {
                    let anchor = if kind == SubjectKind::Accreditation {
                        exp
                    } else {
                        deadline
                    };
                    let item = if k == "aec" {
                        "Authorized Education Center"
                    } else {
                        "Authorized Trainer"
                    };
                    (id, anchor, email, name, format!("{item} {number}"), number)
                })
                .collect()
        }
        SubjectKind::TrainingMaterial => tm::table
            .inner_join(pv::table.on(pv::id.eq(tm::provider_id)))
            .filter(tm::id.eq_any(ids))
            .select((
                tm::id,
                tm::approved_until,
                pv::email,
                pv::legal_name,
                tm::title,
                tm::id,
            ))
            .load(conn)?,
        SubjectKind::Certification => {
            let rows: Vec<(String, Option<NaiveDate>, String, String, String, String)> = ce::table
                .inner_join(ca::table.on(ca::id.eq(ce::candidate_id)))
                .filter(ce::id.eq_any(ids))
                .select((
                    ce::id,
                    ce::expires_on,
                    ca::email,
                    ce::holder_name,
                    ce::credential_code,
                    ce::certificate_number,
                ))
                .load(conn)?;
            rows
        }
        SubjectKind::Voucher => {
            let rows: Vec<(String, NaiveDate, String, String, String, String)> = vo::table
                .inner_join(ca::table.on(ca::id.eq(vo::candidate_id)))
                .filter(vo::id.eq_any(ids))
                .select((
                    vo::id,
                    vo::expires_on,
                    ca::email,
                    ca::given_name,
                    vo::exam_code,
                    vo::code,
                ))
                .load(conn)?;
            rows.into_iter()
                .map(|(id, exp, email, name, exam, code)| {
                    (id, Some(exp), email, name, format!("the {exam} exam"), code)
                })
                .collect()
        }
        SubjectKind::Invoice => {
            let rows: Vec<InvoiceRow> = inv::table
                .left_join(pv::table.on(inv::provider_id.eq(pv::id.nullable())))
                .left_join(ca::table.on(inv::candidate_id.eq(ca::id.nullable())))
                .filter(inv::id.eq_any(ids))
                .select((
                    inv::id,
                    inv::due_on,
                    pv::email.nullable(),
                    pv::legal_name.nullable(),
                    ca::email.nullable(),
                    ca::given_name.nullable(),
                    inv::currency,
                    inv::total_minor,
                    inv::amount_paid_minor,
                    inv::number,
                ))
                .load(conn)?;
            rows.into_iter()
                .filter_map(|(id, due, pe, pn, ce_, cn, cur, total, paid, number)| {
                    let (to, name) = match (pe, pn, ce_, cn) {
                        (Some(e), Some(n), _, _) => (e, n),
                        (_, _, Some(e), Some(n)) => (e, n),
                        _ => return None,
                    };
                    let currency = Currency::parse(&cur).ok()?;
                    let owed = Money::new(total, currency)
                        .checked_sub(Money::new(paid, currency))
                        .ok()?;
                    Some((
                        id,
                        Some(due),
                        to,
                        name,
                        format!("{owed} outstanding"),
                        number,
                    ))
                })
                .collect()
        }
    };
    let mut out: Vec<Subject> = rows
        .into_iter()
        .filter_map(|(id, anchor, to, name, item, reference)| {
            subject(id, anchor, to, name, item, reference)
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
