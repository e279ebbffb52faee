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

/// A syntactically valid email address (RFC 5322 addr-spec, as checked by the
/// `email_address` crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address. Errors: a message naming the bad value.
    pub fn parse(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        if email_address::EmailAddress::is_valid(trimmed) {
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
