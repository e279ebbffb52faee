//! Rules of catalogue administration (docs/domain.md, "Catalogue administration"):
//! the audit vocabulary shared by products and credentials, the shape of codes an
//! admin may create, the bounds of the credential settings, and the refusal of
//! prerequisite cycles. Pure functions of their inputs.

use std::collections::{BTreeMap, BTreeSet};

crate::stored_enum! {
    /// What kind of catalogue entry an audit event is about.
    pub enum CatalogueSubject {
        /// A product (`products.code`).
        Product = "product",
        /// A credential (`credentials.code`).
        Credential = "credential",
    }
}

crate::stored_enum! {
    /// What an admin did to a catalogue entry.
    pub enum CatalogueAction {
        /// Created (the audit event has no `before`).
        Created = "created",
        /// Renamed or otherwise edited, still active or still inactive.
        Updated = "updated",
        /// Made unbuyable; issued invoices and held certifications keep it.
        Deactivated = "deactivated",
        /// Made buyable again.
        Reactivated = "reactivated",
        /// A product gained a price version.
        PriceAdded = "price_added",
    }
}

/// Days a retake wait may be set to, inclusive (0 = retake at once; a year at most).
pub const RETAKE_WAIT_DAYS_RANGE: (u32, u32) = (0, 365);
/// Months a voucher validity may be set to, inclusive (one month to five years).
pub const VOUCHER_VALIDITY_MONTHS_RANGE: (u32, u32) = (1, 60);
/// Months a certification validity may be set to, inclusive (one month to ten
/// years); absent means lifetime.
pub const CERTIFICATION_VALIDITY_MONTHS_RANGE: (u32, u32) = (1, 120);
/// Longest name or reason accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest product description accepted, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Whether `code` is a credential code an admin may create: an upper-case ASCII
/// letter, then 1–15 upper-case letters or digits (`PCAP`, `PCPP1`).
pub fn valid_credential_code(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && (2..=16).contains(&code.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Whether `code` is a product code an admin may create: a lower-case ASCII
/// letter, then 1–63 lower-case letters, digits or underscores (`exam_pcat`).
pub fn valid_product_code(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && (2..=64).contains(&code.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether `value` lies in the inclusive `range`.
pub fn within(value: u32, range: (u32, u32)) -> bool {
    (range.0..=range.1).contains(&value)
}

/// A cycle in the "requires" graph, if any: `requires` maps each credential code to
/// the codes it needs (prerequisites and, for composites, components). Returns the
/// codes along the first cycle found in code order, starting and ending with the same
/// code (`["A", "B", "A"]`; a self-requirement is `["A", "A"]`); `None` when the
/// graph is acyclic. Codes compare exactly (the catalogue stores them upper-case).
pub fn find_cycle(requires: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        requires: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|p| p == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in requires.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, requires, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in requires.keys() {
        if let Some(c) = visit(node, requires, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn the_seeded_track_has_no_cycle() {
        let g = graph(&[
            ("PCEP", &[]),
            ("PCAP", &["PCEP"]),
            ("PCPP1", &["PCAP"]),
            ("PCPP2", &["PCAP", "PCPP1"]),
            ("CEPP", &["PCAP", "PCPP1", "PCPP2"]),
            ("PCED", &[]),
            ("PCAD", &["PCED"]),
            ("PCAT", &[]),
        ]);
        assert_eq!(find_cycle(&g), None);
    }

    #[test]
    fn cycles_are_found_with_their_path() {
        assert_eq!(
            find_cycle(&graph(&[("A", &["A"])])),
            Some(vec!["A".into(), "A".into()])
        );
        assert_eq!(
            find_cycle(&graph(&[("A", &["B"]), ("B", &["C"]), ("C", &["A"])])),
            Some(vec!["A".into(), "B".into(), "C".into(), "A".into()])
        );
        // A cycle not reachable from the first key is found too.
        assert_eq!(
            find_cycle(&graph(&[("A", &[]), ("X", &["Y"]), ("Y", &["X"])])),
            Some(vec!["X".into(), "Y".into(), "X".into()])
        );
        // A diamond is not a cycle.
        assert_eq!(
            find_cycle(&graph(&[("D", &["B", "C"]), ("B", &["A"]), ("C", &["A"])])),
            None
        );
    }

    #[test]
    fn codes_have_a_fixed_shape() {
        for ok in ["PCAP", "PCPP1", "AB"] {
            assert!(valid_credential_code(ok), "{ok}");
        }
        for bad in ["", "P", "pcap", "1PC", "PC-AP", "ABCDEFGHIJKLMNOPQ"] {
            assert!(!valid_credential_code(bad), "{bad}");
        }
        for ok in ["exam_pcat", "ab", "base_text_2"] {
            assert!(valid_product_code(ok), "{ok}");
        }
        for bad in ["", "a", "Exam", "_x", "a-b", "a b"] {
            assert!(!valid_product_code(bad), "{bad}");
        }
        assert!(within(0, RETAKE_WAIT_DAYS_RANGE));
        assert!(!within(0, VOUCHER_VALIDITY_MONTHS_RANGE));
        assert!(!within(121, CERTIFICATION_VALIDITY_MONTHS_RANGE));
    }
}
