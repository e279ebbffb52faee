//! [`stored_enum!`]: the one way a status or kind is named in the database and on the
//! wire. Each variant has exactly one snake_case name, used by serde, by `as_str` and
//! by `parse`; a stored value that names no variant is an error
//! ([`UnknownStoredValue`]), never a silent default.

/// A stored string that names no variant of the enum it was read as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {what}")]
pub struct UnknownStoredValue {
    /// The enum's name, e.g. `VoucherStatus`.
    pub what: &'static str,
    /// The value found.
    pub value: String,
}

/// Declares a status or kind enum with one name per variant, the variant's
/// snake_case:
/// `as_str` (stored and wire name), `parse` (`Option`), `from_stored` (`Result` with
/// [`UnknownStoredValue`]), `ALL`, `Display`, and serde/utoipa derives using the same
/// names.
///
/// ```ignore
/// stored_enum! {
///     /// Lifecycle of a voucher.
///     pub enum VoucherStatus {
///         /// Usable.
///         Issued = "issued",
///         /// Used for an exam attempt.
///         Redeemed = "redeemed",
///     }
/// }
/// ```
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        // utoipa does not read the per-variant renames below (a macro literal), so
        // the schema takes its names from `rename_all`; every name must therefore be
        // the variant's snake_case, which `services::tests::every_stored_enum_is_snake_case`
        // checks.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// Parses a stored or wire name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// Parses a value read from the database: an unknown value is an error
            /// (a corrupt row or a migration gap), never a default.
            pub fn from_stored(s: &str) -> Result<Self, $crate::domain::stored::UnknownStoredValue> {
                Self::parse(s).ok_or_else(|| $crate::domain::stored::UnknownStoredValue {
                    what: stringify!($name),
                    value: s.to_owned(),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::stored_enum! {
        /// A test enum.
        pub enum Sample {
            /// One.
            First = "first",
            /// Two.
            SecondOne = "second_one",
        }
    }

    #[test]
    fn names_round_trip_through_every_mapping() {
        for s in Sample::ALL {
            assert_eq!(Sample::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
            let back: Sample = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(back, *s);
        }
        let err = Sample::from_stored("third").unwrap_err();
        assert_eq!(err.to_string(), "`third` is not a known Sample");
    }
}
