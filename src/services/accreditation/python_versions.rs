//! The admin-editable end-of-life table of Python feature versions (docs/domain.md,
//! "Training materials"), seeded with the published CPython end-of-life dates
//! (PEPs 596, 619, 664, 693, 719, 745). Training materials name one version; an
//! unknown one is refused and no approval runs past its end of life.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::python_versions as pv;
use crate::db::DbConn;
use crate::domain::accreditation::materials::is_python_version;

use crate::services::{naive, FieldError, ServiceError};

/// One row of the table as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PythonVersion {
    /// Feature version, e.g. `3.13`.
    pub version: String,
    /// Last day (inclusive) of upstream support.
    pub end_of_life: NaiveDate,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// `PUT /v1/python-versions/{version}` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PythonVersionInput {
    /// Last day (inclusive) of upstream support.
    pub end_of_life: NaiveDate,
}

fn view(r: (String, NaiveDate, NaiveDateTime)) -> PythonVersion {
    PythonVersion {
        version: r.0,
        end_of_life: r.1,
        updated_at: r.2.and_utc(),
    }
}

/// The end of life of `version`, `None` when it is not in the table.
pub fn end_of_life(conn: &mut DbConn, version: &str) -> Result<Option<NaiveDate>, ServiceError> {
    Ok(pv::table
        .find(version)
        .select(pv::end_of_life)
        .first(conn)
        .optional()?)
}

/// The whole table, ordered by version (numerically: `3.9` before `3.10`).
pub fn list(conn: &mut DbConn) -> Result<Vec<PythonVersion>, ServiceError> {
    let mut rows: Vec<(String, NaiveDate, NaiveDateTime)> = pv::table
        .select((pv::version, pv::end_of_life, pv::updated_at))
        .load(conn)?;
    rows.sort_by_key(|r| {
        let mut it = r.0.split('.').map(|p| p.parse::<u32>().unwrap_or(u32::MAX));
        (it.next(), it.next())
    });
    Ok(rows.into_iter().map(view).collect())
}

/// One row. Errors: [`ServiceError::NotFound`].
pub fn get(conn: &mut DbConn, version: &str) -> Result<PythonVersion, ServiceError> {
    pv::table
        .find(version)
        .select((pv::version, pv::end_of_life, pv::updated_at))
        .first(conn)
        .optional()?
        .map(view)
        .ok_or(ServiceError::NotFound("python version"))
}

/// Creates or changes the end of life of `version` (admin); returns the row and
/// whether it was created, in its own transaction. Approvals already given keep
/// their dates. Errors:
/// [`ServiceError::Validation`] for a malformed version.
pub fn put(
    conn: &mut DbConn,
    version: &str,
    input: &PythonVersionInput,
    now: DateTime<Utc>,
) -> Result<(PythonVersion, bool), ServiceError> {
    if !is_python_version(version) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "version",
            "must be a Python feature version such as 3.13",
        )]));
    }
    crate::db::write_transaction(conn, |conn| upsert(conn, version, input, now))
}

fn upsert(
    conn: &mut DbConn,
    version: &str,
    input: &PythonVersionInput,
    now: DateTime<Utc>,
) -> Result<(PythonVersion, bool), ServiceError> {
    let updated = diesel::update(pv::table.find(version))
        .set((
            pv::end_of_life.eq(input.end_of_life),
            pv::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(pv::table)
            .values((
                pv::version.eq(version),
                pv::end_of_life.eq(input.end_of_life),
                pv::updated_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok((get(conn, version)?, updated == 0))
}
