//! Training providers: Authorized Trainers (a person) and Authorized Education
//! Centers (an organisation with a facility), and the value types of their records.
//! Parse, don't validate: a `CountryCode` or `EmailAddress` exists only if valid.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Kind of provider (proposal: "Authorized Trainer" / "Authorized Education Center").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// An Authorized Trainer (AT): a person.
    Trainer,
    /// An Authorized Education Center (AEC): an organisation with a training facility.
    EducationCenter,
}

impl ProviderKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Trainer => "trainer",
            ProviderKind::EducationCenter => "education_center",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "trainer" => Some(ProviderKind::Trainer),
            "education_center" => Some(ProviderKind::EducationCenter),
            _ => None,
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case (e.g. `DE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// Parses an officially assigned ISO 3166-1 alpha-2 code; lower case is accepted
    /// and normalised. Errors: a message naming the bad value.
    pub fn parse(s: &str) -> Result<Self, String> {
        let upper = s.trim().to_ascii_uppercase();
        isocountry::CountryCode::for_alpha2(&upper)
            .map(|_| CountryCode(upper))
            .map_err(|_| format!("`{s}` is not an ISO 3166-1 alpha-2 country code"))
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The English short name, for documents (e.g. "Germany").
    pub fn name(&self) -> String {
        isocountry::CountryCode::for_alpha2(&self.0)
            .map(|c| c.name().to_owned())
            .unwrap_or_else(|_| self.0.clone())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A syntactically valid email address of the common form [`is_common_address`]
/// describes (a subset of RFC 5322's addr-spec), at most 254 characters: the
/// form the OpenAPI document states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address. Errors: a message naming the bad value.
    pub fn parse(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        if trimmed.len() <= 254 && is_common_address(trimmed) {
            Ok(EmailAddress(trimmed.to_owned()))
        } else {
            Err(format!("`{s}` is not a valid email address"))
        }
    }

    /// The address text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is `local@label.….tld` of the common form: before the `@`, 1–8
/// atoms of 1–64 of `A-Z a-z 0-9 _ % + -` joined by dots; after it 1–8 labels of
/// 1–63 letters, digits and inner hyphens (RFC 1035), then a top-level label of
/// 2–24 letters. (The OpenAPI pattern of email fields says the same.) Quoted
/// local parts, address literals and rarer atext characters are refused: every
/// address a billing system or mail client produces fits. RFC 5321's 64-octet
/// limit on the local part is not enforced (an over-long one only fails delivery).
pub fn is_common_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atom = |a: &str, max: usize| {
        (1..=max).contains(&a.len())
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_%+-".contains(&b))
    };
    let atoms: Vec<&str> = local.split('.').collect();
    let atoms_ok = atoms.iter().all(|a| atom(a, 64));
    if atoms.len() > 8 || !atoms_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    let label = |l: &str| {
        let b = l.as_bytes();
        (1..=63).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    (1..=8).contains(&rest.len())
        && rest.iter().all(|l| label(l))
        && (2..=24).contains(&tld.len())
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
}

/// A non-empty, trimmed piece of text of at most `max` characters.
/// Errors: a message naming the field.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err(format!("{field} must not be empty"))
    } else if trimmed.chars().count() > max {
        Err(format!("{field} must be at most {max} characters"))
    } else if trimmed.chars().any(|c| c.is_control()) {
        Err(format!("{field} must not contain control characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_iso_3166_alpha_2() {
        assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("DEU").is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(required_text("name", "  Zoë ", 10).unwrap(), "Zoë");
        assert!(required_text("name", "   ", 10).is_err());
        assert!(required_text("name", "abcdefghijk", 10).is_err());
    }
}
