//! Quantities and weights on this door are JSON numbers (seed 003: `"qty": 50`,
//! `"weightKg": 0.75`), read and written exactly: the number's text goes straight to the
//! exact decimal, never through a binary float.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::money::Amount;

/// A JSON number's text as an exact amount.
fn parse(text: &str) -> Result<Amount, String> {
    let text = text.trim();
    if text.starts_with('"') {
        return Err("must be a number, not a string".to_owned());
    }
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err("must be a number".to_owned());
    }
    if text.contains(['e', 'E']) {
        return Err("must be a plain decimal number (no exponent)".to_owned());
    }
    text.parse::<Amount>()
        .map_err(|_| "must be a number with at most 4 decimal places".to_owned())
}

/// Reads an optional exact number (`null` or absent: none).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Amount>, D::Error> {
    let raw: Option<Box<RawValue>> = Option::deserialize(deserializer)?;
    match raw {
        None => Ok(None),
        Some(raw) => parse(raw.get()).map(Some).map_err(D::Error::custom),
    }
}

/// Reads a required exact number.
pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
    let raw: Box<RawValue> = Box::deserialize(deserializer)?;
    parse(raw.get()).map_err(D::Error::custom)
}

pub use crate::money::{json_number as number, optional_json_number as optional_number};

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Debug, Deserialize, Serialize)]
    struct Line {
        #[serde(
            default,
            deserialize_with = "optional",
            serialize_with = "optional_number"
        )]
        weight: Option<Amount>,
        #[serde(deserialize_with = "required", serialize_with = "number")]
        qty: Amount,
    }

    #[test]
    fn numbers_are_read_and_written_exactly() {
        let line: Line = serde_json::from_str(r#"{"weight": 0.1, "qty": 12510.4}"#).expect("valid");
        assert_eq!(line.weight.expect("weight").to_string(), "0.1");
        assert_eq!(line.qty.to_string(), "12510.4");
        assert_eq!(
            serde_json::to_string(&line).expect("serializes"),
            r#"{"weight":0.1,"qty":12510.4}"#
        );
        let line: Line = serde_json::from_str(r#"{"weight": null, "qty": 50}"#).expect("valid");
        assert_eq!(line.weight, None);
        assert_eq!(
            serde_json::to_string(&line).expect("ok"),
            r#"{"weight":null,"qty":50}"#
        );
        // 0.1 + 0.2 stays 0.3 (a float would not).
        let sum = serde_json::from_str::<Line>(r#"{"qty": 0.1}"#)
            .expect("valid")
            .qty
            + serde_json::from_str::<Line>(r#"{"qty": 0.2}"#)
                .expect("valid")
                .qty;
        assert_eq!(sum.to_string(), "0.3");
    }

    #[test]
    fn strings_exponents_and_excess_precision_are_refused_by_path() {
        for (body, needle) in [
            (r#"{"qty": "5"}"#, "not a string"),
            (r#"{"qty": 1e3}"#, "no exponent"),
            (r#"{"qty": 0.00001}"#, "4 decimal places"),
            (r#"{"qty": true}"#, "must be a number"),
            (r#"{"qty": [1]}"#, "must be a number"),
        ] {
            let mut reader = serde_json::Deserializer::from_str(body);
            let err = serde_path_to_error::deserialize::<_, Line>(&mut reader).expect_err(body);
            assert_eq!(err.path().to_string(), "qty", "{body}");
            assert!(err.inner().to_string().contains(needle), "{body}: {err}");
        }
    }
}
