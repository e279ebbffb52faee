//! A candidate's level and composite credentials (docs/domain.md, "Credentials,
//! levels and the exam catalogue"): `certified`, `professional` and `expert` are derived from the
//! credentials held and verified community credits; a composite credential (CEPP) is
//! awarded when all its components are held. Pure functions; "today" is a parameter.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::catalogue::{holds, same_code, CredentialRule, HeldCredential, Tier};

/// A candidate's certification level, derived from the credentials it holds
/// (proposal: "certified", "professional", "expert"). Ordered: `Certified <
/// Professional < Expert`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Holds an entry or associate credential (exams only).
    Certified,
    /// Holds every professional credential and enough verified community credits.
    Professional,
    /// Holds every expert credential (CEPP) and significant verified contribution.
    Expert,
}

impl Level {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Certified => "certified",
            Level::Professional => "professional",
            Level::Expert => "expert",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Level::Certified, Level::Professional, Level::Expert]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// Composite credentials to award now: those whose components all count as held on
/// `on` and that are not already on the record, in catalogue order except that a
/// composite built on another composite comes after it.
///
/// "Already on the record" is a valid, suspended or revoked credential of that code
/// (an expired one may be earned again). Because the answer depends only on the
/// set held, not on the order components were earned or passed in, calling this
/// after every award awards each composite exactly once. Composites built on other
/// composites are followed to a fixed point in one call.
pub fn composites_completed(
    catalogue: &[CredentialRule],
    held: &[HeldCredential],
    on: NaiveDate,
) -> Vec<String> {
    let mut awarded: Vec<String> = Vec::new();
    loop {
        let has = |code: &str| holds(held, code, on) || awarded.iter().any(|a| same_code(a, code));
        let next = catalogue.iter().find(|rule| {
            rule.is_composite()
                && !held
                    .iter()
                    .any(|h| same_code(&h.code, &rule.code) && h.blocks_award(on))
                && !awarded.iter().any(|a| same_code(a, &rule.code))
                && rule.components.iter().all(|c| has(c))
        });
        match next {
            Some(rule) => awarded.push(rule.code.clone()),
            None => return awarded,
        }
    }
}

crate::stored_enum! {
    /// Review state of a community contribution a candidate submits for credits:
    /// `submitted → verified | rejected`. Only verified credits count toward the
    /// `professional` and `expert` levels.
    pub enum ContributionStatus {
        /// Awaiting an admin's review.
        Submitted = "submitted",
        /// Verified; its credits count.
        Verified = "verified",
        /// Rejected; no credits.
        Rejected = "rejected",
    }
}

/// The candidate's level on `on` (docs/domain.md, "Credentials, levels and the exam catalogue"); the highest
/// reached wins, `None` when none is.
///
/// - `certified`: holds any entry- or associate-tier credential;
/// - `professional`: holds every professional-tier credential of the catalogue
///   (PCPP1 and PCPP2) and `verified_credits >= professional_min_credits`;
/// - `expert`: holds every expert-tier credential (CEPP) and
///   `verified_credits >= expert_min_credits`.
///
/// Credits are verified community-involvement credits (proposal: "Community
/// Involvement"), whole units. A tier with no credential in the catalogue cannot be
/// reached. Only credentials that count on `on` are considered, and only those the
/// catalogue knows (their tier comes from it).
pub fn derive_level(
    catalogue: &[CredentialRule],
    held: &[HeldCredential],
    verified_credits: u32,
    professional_min_credits: u32,
    expert_min_credits: u32,
    on: NaiveDate,
) -> Option<Level> {
    let holds_all_of = |tier: Tier| {
        let mut of_tier = catalogue.iter().filter(|r| r.tier == tier).peekable();
        of_tier.peek().is_some() && of_tier.all(|r| holds(held, &r.code, on))
    };
    if holds_all_of(Tier::Expert) && verified_credits >= expert_min_credits {
        Some(Level::Expert)
    } else if holds_all_of(Tier::Professional) && verified_credits >= professional_min_credits {
        Some(Level::Professional)
    } else if catalogue
        .iter()
        .any(|r| matches!(r.tier, Tier::Entry | Tier::Associate) && holds(held, &r.code, on))
    {
        Some(Level::Certified)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::{seed_catalogue, CertStatus};
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in [Level::Certified, Level::Professional, Level::Expert] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        for t in [
            Tier::Entry,
            Tier::Associate,
            Tier::Professional,
            Tier::Expert,
        ] {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        for s in [
            CertStatus::Valid,
            CertStatus::Expired,
            CertStatus::Suspended,
            CertStatus::Revoked,
        ] {
            assert_eq!(CertStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(Level::parse("Expert"), None);
        assert!(Level::Certified < Level::Professional && Level::Professional < Level::Expert);
    }

    fn permutations(items: &[&'static str]) -> Vec<Vec<&'static str>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first);
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn cepp_is_awarded_exactly_once_in_every_order() {
        let cat = seed_catalogue();
        let orders = permutations(&["PCAP", "PCPP1", "PCPP2"]);
        assert_eq!(orders.len(), 6);
        for order in orders {
            let mut held = vec![valid("PCEP")];
            let mut awards = Vec::new();
            for (step, code) in order.iter().enumerate() {
                held.push(valid(code));
                for c in composites_completed(&cat, &held, d(TODAY)) {
                    awards.push((step, c.clone()));
                    held.push(valid(&c));
                }
            }
            assert_eq!(awards, vec![(2, "CEPP".to_owned())], "order {order:?}");
            assert!(composites_completed(&cat, &held, d(TODAY)).is_empty());

            // The same set passed in this order at once.
            let at_once: Vec<_> = order.iter().map(|c| valid(c)).collect();
            assert_eq!(
                composites_completed(&cat, &at_once, d(TODAY)),
                strings(&["CEPP"])
            );
        }
    }

    #[test]
    fn components_not_in_force_do_not_complete_cepp() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        for bad in [
            with("PCPP2", CertStatus::Suspended, None),
            with("PCPP2", CertStatus::Revoked, None),
            with("PCPP2", CertStatus::Expired, None),
            with("PCPP2", CertStatus::Valid, Some(TODAY)),
        ] {
            let held = vec![valid("PCAP"), valid("PCPP1"), bad.clone()];
            assert!(composites_completed(&cat, &held, on).is_empty(), "{bad:?}");
        }
        let held = vec![
            valid("PCAP"),
            valid("PCPP1"),
            with("PCPP2", CertStatus::Valid, Some("2026-06-16")),
        ];
        assert_eq!(composites_completed(&cat, &held, on), strings(&["CEPP"]));
    }

    #[test]
    fn cepp_on_record_is_not_awarded_again_unless_expired() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        let components = || vec![valid("PCAP"), valid("PCPP1"), valid("PCPP2")];
        for (cepp, awarded) in [
            (valid("CEPP"), false),
            (valid("cepp"), false),
            (with("CEPP", CertStatus::Suspended, None), false),
            (with("CEPP", CertStatus::Revoked, None), false),
            (with("CEPP", CertStatus::Expired, None), true),
            (with("CEPP", CertStatus::Valid, Some(TODAY)), true),
        ] {
            let mut held = components();
            held.push(cepp.clone());
            assert_eq!(
                composites_completed(&cat, &held, on) == strings(&["CEPP"]),
                awarded,
                "{cepp:?}"
            );
        }
    }

    #[test]
    fn composites_of_composites_complete_in_one_call() {
        let mut cat = seed_catalogue();
        let mut outer = rule("CEPP");
        outer.code = "GRAND".to_owned();
        outer.components = strings(&["PCEP", "CEPP"]);
        cat.insert(0, outer);
        let held = vec![valid("PCEP"), valid("PCAP"), valid("PCPP1"), valid("PCPP2")];
        assert_eq!(
            composites_completed(&cat, &held, d(TODAY)),
            strings(&["CEPP", "GRAND"])
        );
    }

    #[test]
    fn levels_follow_credentials_and_credits() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        let (n, m) = (10, 50);
        let level = |codes: &[&str], credits| {
            let held: Vec<_> = codes.iter().map(|c| valid(c)).collect();
            derive_level(&cat, &held, credits, n, m, on)
        };
        assert_eq!(level(&[], 1_000), None);
        assert_eq!(level(&["PCEP"], 0), Some(Level::Certified));
        assert_eq!(level(&["PCAP"], 0), Some(Level::Certified));
        let pro = ["PCEP", "PCAP", "PCPP1", "PCPP2"];
        assert_eq!(level(&pro, 9), Some(Level::Certified));
        assert_eq!(level(&pro, 10), Some(Level::Professional));
        assert_eq!(level(&pro, 1_000), Some(Level::Professional));
        assert_eq!(level(&["PCAP", "PCPP1"], 1_000), Some(Level::Certified));
        let exp = ["PCEP", "PCAP", "PCPP1", "PCPP2", "CEPP"];
        assert_eq!(level(&exp, 0), Some(Level::Certified));
        assert_eq!(level(&exp, 49), Some(Level::Professional));
        assert_eq!(level(&exp, 50), Some(Level::Expert));
        // Professional credentials alone (no entry/associate in force).
        assert_eq!(level(&["PCPP1", "PCPP2"], 0), None);
        assert_eq!(level(&["PCPP1", "PCPP2"], 10), Some(Level::Professional));
        // Unknown codes are ignored.
        assert_eq!(level(&["PCAT"], 1_000), None);
    }

    #[test]
    fn levels_ignore_credentials_not_in_force() {
        let cat = seed_catalogue();
        let on = d(TODAY);
        let level =
            |held: &[HeldCredential], credits| derive_level(&cat, held, credits, 10, 50, on);
        let suspended_pcpp2 = [
            valid("PCAP"),
            valid("PCPP1"),
            with("PCPP2", CertStatus::Suspended, None),
        ];
        assert_eq!(level(&suspended_pcpp2, 100), Some(Level::Certified));
        let revoked_cepp = [
            valid("PCAP"),
            valid("PCPP1"),
            valid("PCPP2"),
            with("CEPP", CertStatus::Revoked, None),
        ];
        assert_eq!(level(&revoked_cepp, 100), Some(Level::Professional));
        let expired_pcep = [with("PCEP", CertStatus::Valid, Some(TODAY))];
        assert_eq!(level(&expired_pcep, 0), None);
        let status_expired = [with("PCAP", CertStatus::Expired, None)];
        assert_eq!(level(&status_expired, 0), None);
    }
}
