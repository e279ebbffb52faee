//! Money: integer minor units with an ISO 4217 currency.
//!
//! Every amount in Accredit is an [`Money`]: an `i64` count of the currency's minor
//! unit (cents for USD, whole yen for JPY, fils for BHD) and a [`Currency`]. There are
//! no floats anywhere on a money path; arithmetic is checked and an overflow is an
//! error, never a wrap. Rounding of splits, tax and proration happens in exactly one
//! function, [`allocate`], whose parts always sum to the whole (docs/domain.md, "Money rules").

use std::fmt;

use serde::{Deserialize, Serialize};

/// Errors from money arithmetic and parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The two operands are in different currencies.
    #[error("currency mismatch: {0} vs {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in an `i64` of minor units.
    #[error("amount overflow")]
    Overflow,
    /// The currency code is not a supported ISO 4217 alphabetic code.
    #[error("unsupported currency `{0}`: expected an ISO 4217 code such as USD, EUR, JPY")]
    UnknownCurrency(String),
    /// Allocation weights are empty, negative or sum to zero.
    #[error("invalid allocation weights")]
    InvalidWeights,
}

/// An ISO 4217 currency this service accepts, with its minor-unit exponent.
///
/// The list is deliberately short: currencies the foundation invoices in, plus one of
/// each exponent (JPY 0, BHD 3) so formatting and allocation are exercised everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Chf,
    Pln,
    Jpy,
    Bhd,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 7] = [
        Currency::Usd,
        Currency::Eur,
        Currency::Gbp,
        Currency::Chf,
        Currency::Pln,
        Currency::Jpy,
        Currency::Bhd,
    ];

    /// Parses an ISO 4217 alphabetic code (upper case, e.g. `"USD"`).
    /// Errors: [`MoneyError::UnknownCurrency`].
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The ISO 4217 alphabetic code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Chf => "CHF",
            Currency::Pln => "PLN",
            Currency::Jpy => "JPY",
            Currency::Bhd => "BHD",
        }
    }

    /// Number of decimal digits of the minor unit (ISO 4217 "exponent").
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Bhd => 3,
            _ => 2,
        }
    }

    /// The symbol or prefix used when displaying amounts, e.g. `US$`.
    fn prefix(self) -> &'static str {
        match self {
            Currency::Usd => "US$",
            Currency::Eur => "€",
            Currency::Gbp => "£",
            Currency::Chf => "CHF ",
            Currency::Pln => "PLN ",
            Currency::Jpy => "¥",
            Currency::Bhd => "BHD ",
        }
    }
}

impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO 4217 alphabetic currency code"))
            .enum_values(Some(Currency::ALL.iter().map(|c| c.code())))
            .examples(["USD"])
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

/// The largest amount, in minor units, accepted where an amount is an input (a
/// catalogue price): 10^10 minor units, i.e. 100,000,000.00 in a 2-decimal
/// currency, ¥10,000,000,000, BHD 10,000,000.000. It is far above any real price
/// and keeps every amount derived from inputs (quantity × price, tax, per-account
/// ledger totals) well inside `i64`: about 9.2 × 10^8 maximal amounts fit in one sum.
pub const MAX_INPUT_MINOR: i64 = 10_000_000_000;

/// An amount in the currency's minor unit (cents for USD, whole yen for JPY).
///
/// JSON shape: `{"amount_minor": 250000, "currency": "USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Integer count of minor units; may be negative only for credits and reversals.
    /// An integral JSON float (`1655.0`) is read as the integer it is.
    #[serde(deserialize_with = "crate::domain::integral::i64")]
    pub amount_minor: i64,
    /// ISO 4217 alphabetic code.
    pub currency: Currency,
}

impl Money {
    /// Builds an amount from minor units.
    pub const fn new(amount_minor: i64, currency: Currency) -> Self {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    /// Adds two amounts of the same currency.
    /// Errors: [`MoneyError::CurrencyMismatch`], [`MoneyError::Overflow`].
    pub fn checked_add(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(rhs)?;
        self.amount_minor
            .checked_add(rhs.amount_minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Subtracts an amount of the same currency.
    /// Errors: [`MoneyError::CurrencyMismatch`], [`MoneyError::Overflow`].
    pub fn checked_sub(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(rhs)?;
        self.amount_minor
            .checked_sub(rhs.amount_minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Multiplies by an integer quantity. Errors: [`MoneyError::Overflow`].
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        self.amount_minor
            .checked_mul(quantity)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// True when `0 <= amount_minor <= MAX_INPUT_MINOR`: an amount acceptable as input.
    pub fn is_valid_input(self) -> bool {
        (0..=MAX_INPUT_MINOR).contains(&self.amount_minor)
    }

    /// True when the amount is zero.
    pub fn is_zero(self) -> bool {
        self.amount_minor == 0
    }

    fn same_currency(self, rhs: Money) -> Result<(), MoneyError> {
        if self.currency == rhs.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, rhs.currency))
        }
    }
}

impl fmt::Display for Money {
    /// Human display with the currency's exponent and thousands separators:
    /// `US$2,500.00`, `¥5,900`, `BHD 1.250`, `-US$10.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let abs = self.amount_minor.unsigned_abs();
        let divisor = 10u64.pow(exp);
        let (major, minor) = (abs / divisor, abs % divisor);
        let digits = major.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        if exp == 0 {
            write!(f, "{sign}{}{grouped}", self.currency.prefix())
        } else {
            write!(
                f,
                "{sign}{}{grouped}.{minor:0width$}",
                self.currency.prefix(),
                width = exp as usize
            )
        }
    }
}

/// Splits `total` into parts proportional to `weights` using the largest-remainder
/// method (Hamilton), the one rounding function of the service.
///
/// Each part gets `floor(total * w / sum(w))`; the minor units left over go one each
/// to the parts with the largest fractional remainders, ties broken by position (the
/// earlier weight wins), so the result is deterministic and `parts.sum() == total`.
/// Works for negative totals (the parts mirror the positive case).
///
/// Errors: [`MoneyError::InvalidWeights`] when `weights` is empty, has a negative
/// entry, or sums to zero; [`MoneyError::Overflow`] if intermediate products overflow
/// `i128` (they cannot for `i64` inputs).
pub fn allocate(total: Money, weights: &[i64]) -> Result<Vec<Money>, MoneyError> {
    if weights.is_empty() || weights.iter().any(|w| *w < 0) {
        return Err(MoneyError::InvalidWeights);
    }
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        return Err(MoneyError::InvalidWeights);
    }
    let negative = total.amount_minor < 0;
    let abs = i128::from(total.amount_minor).abs();
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut assigned: i128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let product = abs
            .checked_mul(i128::from(*w))
            .ok_or(MoneyError::Overflow)?;
        parts.push(product / sum);
        remainders.push((product % sum, i));
        assigned += product / sum;
    }
    let mut left = abs - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        // Only parts with a non-zero weight may receive a leftover unit.
        if weights[i] > 0 {
            parts[i] += 1;
            left -= 1;
        }
    }
    parts
        .into_iter()
        .map(|p| {
            let signed = if negative { -p } else { p };
            i64::try_from(signed)
                .map(|m| Money::new(m, total.currency))
                .map_err(|_| MoneyError::Overflow)
        })
        .collect()
}

/// Tax on a net amount at `rate_basis_points` (1 bp = 0.01 %), rounded half away from
/// zero to the minor unit. Errors: [`MoneyError::Overflow`].
pub fn tax_on(net: Money, rate_basis_points: i64) -> Result<Money, MoneyError> {
    let product = i128::from(net.amount_minor)
        .checked_mul(i128::from(rate_basis_points))
        .ok_or(MoneyError::Overflow)?;
    let (q, r) = (product / 10_000, product % 10_000);
    let rounded = if r.abs() * 2 >= 10_000 {
        q + product.signum()
    } else {
        q
    };
    i64::try_from(rounded)
        .map(|m| Money::new(m, net.currency))
        .map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display_uses_the_currency_exponent() {
        assert_eq!(
            Money::new(250_000, Currency::Usd).to_string(),
            "US$2,500.00"
        );
        assert_eq!(Money::new(5_900, Currency::Jpy).to_string(), "¥5,900");
        assert_eq!(Money::new(1_250, Currency::Bhd).to_string(), "BHD 1.250");
        assert_eq!(Money::new(-1_005, Currency::Eur).to_string(), "-€10.05");
        assert_eq!(Money::new(5, Currency::Usd).to_string(), "US$0.05");
        assert_eq!(
            Money::new(123_456_789_012, Currency::Usd).to_string(),
            "US$1,234,567,890.12"
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Money::new(i64::MAX, Currency::Usd);
        assert_eq!(
            max.checked_add(Money::new(1, Currency::Usd)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::new(1, Currency::Usd).checked_add(Money::new(1, Currency::Eur)),
            Err(MoneyError::CurrencyMismatch(Currency::Usd, Currency::Eur))
        );
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn allocate_gives_leftovers_to_largest_remainders() {
        let parts = allocate(Money::new(100, Currency::Usd), &[1, 1, 1]).unwrap();
        let v: Vec<i64> = parts.iter().map(|m| m.amount_minor).collect();
        assert_eq!(v, vec![34, 33, 33]);
        let parts = allocate(Money::new(5_900, Currency::Usd), &[6000, 3000, 1000]).unwrap();
        let v: Vec<i64> = parts.iter().map(|m| m.amount_minor).collect();
        assert_eq!(v, vec![3_540, 1_770, 590]);
        assert_eq!(
            allocate(Money::new(1, Currency::Usd), &[0, 0]),
            Err(MoneyError::InvalidWeights)
        );
    }

    #[test]
    fn tax_rounds_half_away_from_zero() {
        assert_eq!(
            tax_on(Money::new(250, Currency::Usd), 1_900)
                .unwrap()
                .amount_minor,
            48
        );
        assert_eq!(
            tax_on(Money::new(-250, Currency::Usd), 1_900)
                .unwrap()
                .amount_minor,
            -48
        );
        assert_eq!(
            tax_on(Money::new(250_000, Currency::Usd), 0)
                .unwrap()
                .amount_minor,
            0
        );
    }

    proptest! {
        #[test]
        fn allocation_parts_sum_to_the_total(
            total in -1_000_000_000_000i64..1_000_000_000_000,
            weights in proptest::collection::vec(0i64..10_000, 1..6),
        ) {
            prop_assume!(weights.iter().sum::<i64>() > 0);
            let parts = allocate(Money::new(total, Currency::Usd), &weights).unwrap();
            prop_assert_eq!(parts.iter().map(|m| m.amount_minor).sum::<i64>(), total);
            for (p, w) in parts.iter().zip(&weights) {
                if *w == 0 { prop_assert_eq!(p.amount_minor, 0); }
                prop_assert_eq!(p.amount_minor.signum() * total.signum() >= 0, true);
            }
        }
    }
}
