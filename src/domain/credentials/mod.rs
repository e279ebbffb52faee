//! Credentials: the catalogue's rules (tiers, prerequisites, expiry) in
//! [`catalogue`], the rules of administering the catalogue in [`catalogue_admin`],
//! and a candidate's level and composite awards in [`levels`].

pub mod catalogue;
pub mod catalogue_admin;
pub mod levels;

/// Builders shared by the credential rules' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use chrono::NaiveDate;

    use super::catalogue::{seed_catalogue, CertStatus, CredentialRule, HeldCredential};

    pub fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub const TODAY: &str = "2026-06-15";

    pub fn valid(code: &str) -> HeldCredential {
        HeldCredential {
            code: code.to_owned(),
            status: CertStatus::Valid,
            expires_on: None,
        }
    }

    pub fn with(code: &str, status: CertStatus, expires_on: Option<&str>) -> HeldCredential {
        HeldCredential {
            code: code.to_owned(),
            status,
            expires_on: expires_on.map(d),
        }
    }

    pub fn rule(code: &str) -> CredentialRule {
        seed_catalogue()
            .into_iter()
            .find(|r| r.code == code)
            .unwrap()
    }

    pub fn strings(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|s| s.to_string()).collect()
    }
}
