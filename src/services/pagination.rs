//! Cursor pagination shared by every list endpoint.
//!
//! A listing is ordered by one text key: the primary key (UUID v7 ids, whose text
//! form sorts by creation) or, for the small catalogues, their code. A page is
//! `{"data": [...], "next_cursor": string | null}`; `next_cursor` is the key of the
//! page's last item and is null on the last page. The next page is the items whose
//! key sorts after the cursor, compared as text ("keyset" pagination, like Stripe's
//! `starting_after`): inserts between requests never make a walk see an item twice
//! or skip one that existed when the walk started.
//!
//! A cursor is a position, not a token: any value matching [`CURSOR_PATTERN`]
//! (1–200 characters of `A-Z a-z 0-9 _ . : -`) is valid and selects the items after
//! it, so a key this API never issued is served (possibly an empty page), never
//! refused. Values outside that pattern are refused with 422 `validation-error`.
//!
//! `limit` is 1–200 (default 50). Larger values are capped at 200 (the page is
//! served, with a cursor if more remain); values below 1 are refused with 422
//! `validation-error`. A `limit` that is not an integer is a malformed query
//! string (400 `invalid-query`, as for every query parameter).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::services::ServiceError;

/// Page size when the request gives none.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page served; larger requests are capped to it.
pub const MAX_LIMIT: i64 = 200;
/// Longest key a cursor may carry (ids are 36 characters; catalogue codes shorter).
const MAX_KEY_LEN: usize = 200;
/// The form of a cursor (documented in the OpenAPI parameter): the characters
/// keys are made of, 1–200 of them.
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_.:-]{1,200}$";

/// A page of a cursor-paginated listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// Items in the listing's order (creation order unless the endpoint says otherwise).
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page (always present).
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Pagination request: query parameters `limit` and `cursor`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageRequest {
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen. Any value
    /// of this form is a valid position; the page holds the items whose key sorts
    /// after it (as text).
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

fn bad_cursor() -> ServiceError {
    ServiceError::invalid(
        "cursor",
        "must be 1-200 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-' (a next_cursor)",
    )
}

/// Whether `c` matches [`CURSOR_PATTERN`].
fn is_cursor(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= MAX_KEY_LEN
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

impl PageRequest {
    /// The effective page size: `limit` capped to 1..=200, 50 when absent.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// Validates the request and returns the key after which to continue.
    /// Errors: [`ServiceError::Validation`] on `limit` below 1 or a cursor that does
    /// not match [`CURSOR_PATTERN`].
    pub fn after_key(&self) -> Result<Option<String>, ServiceError> {
        if self.limit.is_some_and(|l| l < 1) {
            return Err(ServiceError::invalid(
                "limit",
                format!("must be at least 1 (at most {MAX_LIMIT} items are served per page)"),
            ));
        }
        let Some(c) = &self.cursor else {
            return Ok(None);
        };
        if !is_cursor(c) {
            return Err(bad_cursor());
        }
        Ok(Some(c.clone()))
    }

    /// [`Self::after_key`] for listings keyed by a UUID id (stored as its lower-case
    /// hyphenated text). Any cursor of the documented form is a position: one that
    /// is not an id simply sorts somewhere among them. Errors as [`Self::after_key`].
    pub fn after(&self) -> Result<Option<String>, ServiceError> {
        self.after_key()
    }

    /// Builds the page from rows fetched with `LIMIT limit() + 1` after
    /// [`Self::after`]: the extra row, when present, only says a next page exists.
    pub fn page<T>(&self, mut rows: Vec<T>, key_of: impl Fn(&T) -> String) -> Page<T> {
        let limit = usize::try_from(self.limit()).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&key_of)
        } else {
            None
        };
        Page {
            data: rows,
            next_cursor,
        }
    }

    /// Pages a complete, small listing held in memory (a catalogue, one invoice's
    /// payments, per-partner balances): items are ordered by `key_of` (which must be
    /// unique) and those after the cursor's key are served.
    /// Errors as [`Self::after_key`].
    pub fn page_in_memory<T>(
        &self,
        mut items: Vec<T>,
        key_of: impl Fn(&T) -> String,
    ) -> Result<Page<T>, ServiceError> {
        let after = self.after_key()?;
        items.sort_by_cached_key(|i| key_of(i));
        let limit = usize::try_from(self.limit()).unwrap_or(usize::MAX);
        let rest: Vec<T> = items
            .into_iter()
            .filter(|i| after.as_ref().is_none_or(|a| key_of(i) > *a))
            .take(limit.saturating_add(1))
            .collect();
        Ok(self.page(rest, key_of))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(limit: Option<i64>, cursor: Option<&str>) -> PageRequest {
        PageRequest {
            limit,
            cursor: cursor.map(str::to_owned),
        }
    }

    #[test]
    fn limit_defaults_and_caps() {
        assert_eq!(req(None, None).limit(), 50);
        assert_eq!(req(Some(1000), None).limit(), 200);
        assert_eq!(req(Some(7), None).limit(), 7);
        assert!(req(Some(1000), None).after_key().is_ok());
    }

    #[test]
    fn limit_below_one_and_malformed_cursors_are_refused() {
        assert!(req(Some(0), None).after_key().is_err());
        assert!(req(Some(-1), None).after_key().is_err());
        assert!(req(None, Some("not a cursor!")).after_key().is_err());
        assert!(req(None, Some("")).after_key().is_err());
        assert!(req(None, Some("a/b")).after_key().is_err());
        assert!(req(None, Some(&"a".repeat(201))).after_key().is_err());
    }

    #[test]
    fn any_cursor_of_the_documented_form_is_a_position() {
        for c in [
            "PCAP",
            "0",
            "zzz",
            "a.b:c_d-e",
            "0192e4a0-7b1c-7000-8000-000000000000",
        ] {
            assert_eq!(req(None, Some(c)).after().unwrap(), Some(c.to_owned()));
        }
        assert!(req(None, Some(&"a".repeat(200))).after_key().is_ok());
        let page = req(None, Some("c"))
            .page_in_memory(vec!["a", "b", "cc", "d"], |s| (*s).to_owned())
            .unwrap();
        assert_eq!(page.data, ["cc", "d"]);
    }

    #[test]
    fn walking_in_memory_sees_each_item_once() {
        let items: Vec<String> = ["e", "a", "d", "b", "c"].map(str::to_owned).to_vec();
        let mut cursor = None;
        let mut seen = Vec::new();
        loop {
            let page = req(Some(2), cursor.as_deref())
                .page_in_memory(items.clone(), |s| s.clone())
                .unwrap();
            assert!(page.data.len() <= 2);
            seen.extend(page.data);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn a_full_last_page_has_no_cursor() {
        let page = req(Some(2), None).page(vec![1, 2], |i| i.to_string());
        assert!(page.next_cursor.is_none());
        let page = req(Some(2), None).page(vec![1, 2, 3], |i| i.to_string());
        assert_eq!(page.data, [1, 2]);
        assert_eq!(page.next_cursor, Some("2".to_owned()));
    }
}
