//! Exact decimal amounts and quantities.
//!
//! Stored as integers scaled by 10^[`Amount::SCALE`], so both SQLite (which has no decimal type)
//! and PostgreSQL keep and `SUM` them exactly. In Rust they are [`rust_decimal::Decimal`].

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize, Serializer};

/// A money amount or a quantity: an exact decimal with at most four fractional digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("has more than {} decimal places", Amount::SCALE)]
    TooPrecise,
    #[error("is out of range")]
    OutOfRange,
    #[error("is not a decimal number")]
    NotANumber,
}

impl Amount {
    /// Fractional digits kept in storage.
    pub const SCALE: u32 = 4;
    const FACTOR: i64 = 10_000;
    pub const ZERO: Amount = Amount(0);

    /// The stored (scaled) integer.
    pub fn scaled(self) -> i64 {
        self.0
    }

    /// From the stored (scaled) integer.
    pub fn from_scaled(raw: i64) -> Self {
        Self(raw)
    }

    /// A whole number.
    pub fn from_int(value: i64) -> Result<Self, AmountError> {
        value
            .checked_mul(Self::FACTOR)
            .map(Self)
            .ok_or(AmountError::OutOfRange)
    }

    /// Exactly `value`, refusing more precision than storage keeps (never rounds silently).
    pub fn try_from_decimal(value: Decimal) -> Result<Self, AmountError> {
        let normalized = value.normalize();
        if normalized.scale() > Self::SCALE {
            return Err(AmountError::TooPrecise);
        }
        normalized
            .checked_mul(Decimal::from(Self::FACTOR))
            .and_then(|d| d.to_i64())
            .map(Self)
            .ok_or(AmountError::OutOfRange)
    }

    /// `value` rounded half-away-from-zero to `dp` decimal places (dp ≤ SCALE).
    pub fn round_from_decimal(value: Decimal, dp: u32) -> Result<Self, AmountError> {
        let rounded = value.round_dp_with_strategy(
            dp.min(Self::SCALE),
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        Self::try_from_decimal(rounded)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, Self::SCALE).normalize()
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Amount {
    /// The shortest exact form: `120`, `7.85`, `0.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_decimal(), f)
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        // Plain decimal notation only: no exponents, no thousands separators.
        if trimmed.is_empty()
            || !trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
        {
            return Err(AmountError::NotANumber);
        }
        let value = Decimal::from_str_exact(trimmed).map_err(|_| AmountError::NotANumber)?;
        Self::try_from_decimal(value)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("amount {e}")))
    }
}

/// Arithmetic panics on i64 overflow (±922 trillion units): far beyond any real ledger, and a
/// panic there is caught per request rather than producing a wrong total.
impl Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Self) -> Self {
        Self(self.0.checked_add(rhs.0).expect("amount overflow"))
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Self) -> Self {
        Self(self.0.checked_sub(rhs.0).expect("amount overflow"))
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Self {
        Self(-self.0)
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

crate::storage::i64_value_type!(Amount, |a| a.0, |raw| Ok(Amount(raw)));

/// Rounds to satang (two decimal places), half away from zero: how money amounts are kept.
pub fn satang(value: Decimal) -> Result<Amount, AmountError> {
    Amount::round_from_decimal(value, 2)
}

/// The VAT included in a Thai price (7%): 7/107 of it, in satang.
pub fn included_vat(gross: Amount) -> Result<Amount, AmountError> {
    satang(gross.to_decimal() * Decimal::from(7) / Decimal::from(107))
}

/// Writes an amount as a JSON number in its shortest exact form (the push API's wire and its
/// events), never through a binary float.
pub fn json_number<S: serde::Serializer>(value: &Amount, serializer: S) -> Result<S::Ok, S::Error> {
    serde_json::value::RawValue::from_string(value.to_string())
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
}

/// Writes an optional amount as a JSON number or `null`.
pub fn optional_json_number<S: serde::Serializer>(
    value: &Option<Amount>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => json_number(value, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Amount {
        s.parse().expect("valid amount")
    }

    #[test]
    fn round_trips_through_the_scaled_integer() {
        for text in [
            "0", "0.1", "0.2", "7.85", "12510.4", "-3.25", "0.0001", "120",
        ] {
            let a = amount(text);
            assert_eq!(Amount::from_scaled(a.scaled()), a);
            assert_eq!(a.to_string(), text);
        }
        assert_eq!(amount("12510.40").scaled(), 125_104_000);
    }

    #[test]
    fn refuses_more_precision_than_storage_keeps() {
        assert_eq!("0.00001".parse::<Amount>(), Err(AmountError::TooPrecise));
        // Trailing zeros beyond the scale are not extra precision.
        assert_eq!(amount("1.500000"), amount("1.5"));
    }

    #[test]
    fn refuses_non_numbers_and_exponents() {
        for bad in ["", "abc", "1e5", "1,000", "NaN", " "] {
            assert!(bad.parse::<Amount>().is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            "99999999999999999999".parse::<Amount>(),
            Err(AmountError::OutOfRange)
        );
    }

    #[test]
    fn sums_exactly_where_floats_do_not() {
        let total: Amount = std::iter::repeat_n(amount("0.1"), 10).sum();
        assert_eq!(total, amount("1"));
        assert_eq!(amount("0.1") + amount("0.2"), amount("0.3"));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let vat = Decimal::from(120) * Decimal::from(7) / Decimal::from(107);
        assert_eq!(
            Amount::round_from_decimal(vat, 2)
                .expect("fits")
                .to_string(),
            "7.85"
        );
        assert_eq!(
            Amount::round_from_decimal(Decimal::new(-2_5, 1), 0)
                .expect("fits")
                .to_string(),
            "-3"
        );
    }
}
