//! OpenAPI schemas of request fields whose rule a `#[schema(...)]` attribute
//! cannot state with literals: the list of country codes, the address form the
//! services accept, and string fields that take one fixed value.
//!
//! Each function is used as `#[schema(schema_with = ...)]` on a request field and
//! states exactly what the service's validation accepts, or less (never more): a
//! request the schema calls valid is not refused for that field's form.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// Addresses of the form `local@label.label…tld`: an atom of 1–40 of
/// `A-Z a-z 0-9 _ % + -` and up to 2 more of 1–11 after dots before the `@`; up to
/// 4 labels (letters and digits, inner hyphens, up to 40 characters) and a 2–24
/// letter top-level label after it: exactly the addresses `EmailAddress::parse`
/// accepts (domain `parties::provider`, `is_common_address`).
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9_%+-]{1,40}(\.[A-Za-z0-9_%+-]{1,11}){0,2}@([A-Za-z0-9]([A-Za-z0-9-]{0,38}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}$";

/// A billing or sign-up email address (see [`EMAIL_PATTERN`]). No `format:
/// email`: validators of that format disagree on edge cases (e.g. `--` inside a
/// label); the pattern is the exact rule.
pub fn email() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(EMAIL_PATTERN))
        .max_length(Some(254))
        .description(Some("Email address, e.g. `billing@example.com`"))
        .build()
}

/// An officially assigned ISO 3166-1 alpha-2 country code, upper case: the list
/// `CountryCode::parse` accepts (it also accepts lower case and surrounding
/// spaces, which the schema does not claim).
pub fn country() -> Object {
    let codes: Vec<&'static str> = isocountry::CountryCode::iter()
        .map(isocountry::CountryCode::alpha2)
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes))
        .description(Some("ISO 3166-1 alpha-2 country code, e.g. `DE`"))
        .build()
}

fn one_value(value: &'static str, description: &'static str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([value]))
        .description(Some(description))
        .build()
}

/// `grant_type` of the token request: only `client_credentials` (RFC 6749 §4.4).
pub fn client_credentials_grant() -> Object {
    one_value(
        "client_credentials",
        "Must be `client_credentials` (RFC 6749 §4.4)",
    )
}

/// `basis` of a bootstrap certification: only `bootstrap_review`.
pub fn bootstrap_basis() -> Object {
    one_value("bootstrap_review", "Must be `bootstrap_review`")
}

/// `method` of a payment recorded by hand: only `bank_transfer` (card payments
/// arrive from Stripe).
pub fn manual_payment_method() -> Object {
    one_value(
        "bank_transfer",
        "Only `bank_transfer` can be recorded by hand; card payments arrive from Stripe",
    )
}

#[cfg(test)]
mod tests {
    use crate::domain::parties::provider::{CountryCode, EmailAddress};

    #[test]
    fn every_listed_country_is_accepted() {
        for c in isocountry::CountryCode::iter() {
            assert!(CountryCode::parse(c.alpha2()).is_ok(), "{}", c.alpha2());
        }
    }

    #[test]
    fn addresses_of_the_pattern_are_accepted() {
        for a in [
            "a@b.co",
            "A_%+-z.9-.x@0.a-b.c0.De",
            "x.y.z@a.b.c.d.ef",
            &format!("{}@{}.{}", "a".repeat(40), "b".repeat(40), "c".repeat(24)),
            "billing+0777f34f485347b494f58a9beb3b31a3@example.org",
            "first.middle.last@mail.example.co.uk",
        ] {
            assert!(EmailAddress::parse(a).is_ok(), "{a}");
        }
        for a in [
            "",
            "a@b",
            "a..b@c.de",
            ".a@c.de",
            "a@-b.de",
            "a@b-.de",
            "a b@c.de",
            "\"q\"@c.de",
        ] {
            assert!(EmailAddress::parse(a).is_err(), "{a}");
        }
    }
}
