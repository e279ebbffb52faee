//! Integer request fields that accept every JSON spelling of an integer.
//!
//! JSON Schema (2020-12, §6.3 of the validation vocabulary; OpenAPI 3.1 uses it)
//! defines `integer` as "any number with a zero fractional part", so `1655.0` is a
//! valid `integer` and clients and generators do send it. serde reads such a number
//! as a float and refuses it for an integer type. These deserializers take a JSON
//! integer, or a finite float with no fractional part inside the target range, and
//! refuse anything else (`1655.5`, out of range) with serde's own error, which the
//! HTTP edge turns into 400 `malformed-request` as for any ill-typed body.
//!
//! Use as `#[serde(deserialize_with = "crate::domain::integral::i64")]`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// The integer types these deserializers produce.
pub trait Integral: Sized + TryFrom<i64> + TryFrom<u64> {
    /// Name used in error messages, e.g. `i32`.
    const NAME: &'static str;
}

impl Integral for i32 {
    const NAME: &'static str = "i32";
}

impl Integral for i64 {
    const NAME: &'static str = "i64";
}

impl Integral for u32 {
    const NAME: &'static str = "u32";
}

struct IntegralVisitor<T>(PhantomData<T>);

impl<T: Integral> Visitor<'_> for IntegralVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer ({})", T::NAME)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // i64 spans [-2^63, 2^63); both bounds are exact in f64.
        const LOW: f64 = -9_223_372_036_854_775_808.0;
        if v.is_finite() && v.fract() == 0.0 && (LOW..-LOW).contains(&v) {
            // Integral and in i64 range: the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            let i = v as i64;
            return self.visit_i64(i);
        }
        Err(E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

/// Deserializes an `i64` from a JSON integer or an integral float (`5.0`).
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(IntegralVisitor(PhantomData))
}

/// Deserializes an `i32` from a JSON integer or an integral float (`5.0`).
pub fn i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    d.deserialize_any(IntegralVisitor(PhantomData))
}

/// Deserializes an optional `i32` (JSON `null` is `None`); pair with
/// `#[serde(default)]` so an absent field is `None` too.
pub fn option_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    struct Wrapper(i32);
    impl<'de> serde::Deserialize<'de> for Wrapper {
        fn deserialize<D2: Deserializer<'de>>(d: D2) -> Result<Self, D2::Error> {
            i32(d).map(Wrapper)
        }
    }
    Ok(<Option<Wrapper> as serde::Deserialize>::deserialize(d)?.map(|w| w.0))
}

/// Deserializes an optional `u32` (JSON `null` is `None`); pair with
/// `#[serde(default)]` so an absent field is `None` too.
pub fn option_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    struct Wrapper(u32);
    impl<'de> serde::Deserialize<'de> for Wrapper {
        fn deserialize<D2: Deserializer<'de>>(d: D2) -> Result<Self, D2::Error> {
            d2_any(d).map(Wrapper)
        }
    }
    fn d2_any<'de, D2: Deserializer<'de>>(d: D2) -> Result<u32, D2::Error> {
        d.deserialize_any(IntegralVisitor(PhantomData))
    }
    Ok(<Option<Wrapper> as serde::Deserialize>::deserialize(d)?.map(|w| w.0))
}

/// Deserializes a field that tells "absent" from "`null`": an absent field is
/// `None` (with `#[serde(default)]`), `null` is `Some(None)`, an integer (or an
/// integral float) is `Some(Some(n))`. For PATCH bodies where `null` clears.
pub fn explicit_option_u32<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<u32>>, D::Error> {
    option_u32(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::i64")]
        a: i64,
        #[serde(deserialize_with = "super::i32")]
        b: i32,
        #[serde(default, deserialize_with = "super::option_i32")]
        c: Option<i32>,
    }

    fn parse(s: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn integral_floats_are_integers() {
        let t = parse(r#"{"a": 1655.0, "b": -3.0, "c": 7.0}"#).unwrap();
        assert_eq!((t.a, t.b, t.c), (1655, -3, Some(7)));
        let t = parse(r#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!((t.a, t.b, t.c), (1, 2, None));
        let t = parse(r#"{"a": 1e3, "b": 2, "c": null}"#).unwrap();
        assert_eq!((t.a, t.c), (1000, None));
    }

    #[test]
    fn fractions_and_out_of_range_values_are_refused() {
        assert!(parse(r#"{"a": 1655.5, "b": 1}"#).is_err());
        assert!(parse(r#"{"a": 1, "b": 2147483648}"#).is_err());
        assert!(parse(r#"{"a": 1, "b": 2147483648.0}"#).is_err());
        assert!(parse(r#"{"a": 9223372036854775808.0, "b": 1}"#).is_err());
        assert!(parse(r#"{"a": 18446744073709551615, "b": 1}"#).is_err());
        assert!(parse(r#"{"a": "1", "b": 1}"#).is_err());
        assert!(parse(r#"{"a": 1, "b": 1, "c": 1.5}"#).is_err());
    }
}
