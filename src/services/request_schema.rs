//! OpenAPI schemas of request fields whose rule a `#[schema(...)]` attribute
//! cannot state with literals: the list of country codes, the address form the
//! services accept, and string fields that take one fixed value.
//!
//! Each function is used as `#[schema(schema_with = ...)]` on a request field and
//! states exactly what the service's validation accepts, or less (never more): a
//! request the schema calls valid is not refused for that field's form.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// Addresses of the form `local@label.label…tld`: before the `@`, 1–8 atoms of
/// 1–64 of `A-Z a-z 0-9 _ % + -` joined by dots; after it 1–8 labels (letters and
/// digits, inner hyphens, up to 63 characters, RFC 1035) and a 2–24 letter
/// top-level label; 254 characters at most (the schema's `maxLength`): exactly the
/// addresses `EmailAddress::parse` accepts (domain `parties::provider`,
/// `is_common_address`).
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9_%+-]{1,64}(\.[A-Za-z0-9_%+-]{1,64}){0,7}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}$";

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
            "john.q.public.jr@example.com",
            "register+6bc60ba9b61f491492c24d5902726ea9@example.org",
            &format!("{}@{}.{}", "a".repeat(64), "b".repeat(63), "c".repeat(24)),
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
            &format!("{}@b.de", "a".repeat(65)),
            &format!("a@{}.de", "b".repeat(64)),
            &format!("{}@b.de", ["a"; 9].join(".")),
            &format!("a@{}.de", "b.".repeat(120)),
        ] {
            assert!(EmailAddress::parse(a).is_err(), "{a}");
        }
    }
}
