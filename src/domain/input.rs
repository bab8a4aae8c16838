//! What the domain receives from a door, and what it says back about it.
//!
//! Each door parses its own syntax (REST query text, GraphQL arguments) into typed
//! [`Input`]s; the domain applies the rules (ranges, the date window, branch intersection) once
//! and reports every problem at once, in the order it checks its inputs, naming each by
//! [`Field`]. Each door names the fields in its own terms (`branch_id`, `filter.branchIds`).

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::AppError;
pub use crate::error::{Field, Problem};

/// One value as a door received it: absent, parsed, or present but not in the door's syntax
/// (the message says what it must be; the domain reports it in its place among the others).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Input<T> {
    #[default]
    Absent,
    Given(T),
    Malformed(Cow<'static, str>),
}

pub const NOT_A_UUID: &str = "must be a UUID";
pub const NOT_A_DAY: &str = "must be a date in YYYY-MM-DD format";
pub const NOT_A_BOOLEAN: &str = "must be true or false";

impl<T> Input<T> {
    pub fn from_option(value: Option<T>) -> Self {
        value.map_or(Self::Absent, Self::Given)
    }

    /// Parses `raw` (surrounding blanks ignored) when present.
    pub fn parse_with<E: Into<Cow<'static, str>>>(
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Self {
        match raw {
            None => Self::Absent,
            Some(text) => match parse(text.trim()) {
                Ok(value) => Self::Given(value),
                Err(message) => Self::Malformed(message.into()),
            },
        }
    }
}

impl Input<Uuid> {
    pub fn uuid(raw: Option<&str>) -> Self {
        Self::parse_with(raw, |text| Uuid::parse_str(text).map_err(|_| NOT_A_UUID))
    }
}

impl Input<NaiveDate> {
    /// A calendar day, exactly `YYYY-MM-DD` (ASCII digits in place, a real date).
    pub fn day(raw: Option<&str>) -> Self {
        Self::parse_with(raw, |text| {
            let shaped = text.len() == 10
                && text.bytes().enumerate().all(|(i, b)| match i {
                    4 | 7 => b == b'-',
                    _ => b.is_ascii_digit(),
                });
            shaped
                .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
                .flatten()
                .ok_or(NOT_A_DAY)
        })
    }
}

impl Input<bool> {
    /// `true`/`false` (or `1`/`0`).
    pub fn boolean(raw: Option<&str>) -> Self {
        Self::parse_with(raw, |text| match text {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(NOT_A_BOOLEAN),
        })
    }
}

impl<T: FromStr> Input<T>
where
    T::Err: std::fmt::Display,
{
    /// A value spelled as its `FromStr` expects (an enumeration's wire name).
    pub fn word(raw: Option<&str>) -> Self {
        Self::parse_with(raw, |text| text.parse::<T>().map_err(|e| e.to_string()))
    }
}

/// The problems of one request, in the order the domain checks its inputs.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub fn add(&mut self, field: Field, message: impl Into<Cow<'static, str>>) {
        self.0.push(Problem {
            field,
            message: message.into(),
        });
    }

    /// Records a problem unless `text` holds 1 to `max` characters (not only blanks) and no
    /// control character (a NUL, a line break: PostgreSQL refuses the one, logs and codes
    /// trip on the other).
    pub fn text(&mut self, field: Field, text: &str, max: usize) {
        if text.trim().is_empty() || text.chars().count() > max {
            self.add(field, format!("must be 1 to {max} characters"));
        } else if text.chars().any(char::is_control) {
            self.add(field, "must not contain control characters");
        }
    }

    /// [`Problems::text`] for a value that may be left out.
    pub fn optional_text(&mut self, field: Field, text: Option<&str>, max: usize) {
        if let Some(text) = text {
            self.text(field, text, max);
        }
    }

    /// The value of `input`, recording it as a problem when malformed.
    pub fn take<T>(&mut self, field: Field, input: Input<T>) -> Option<T> {
        match input {
            Input::Absent => None,
            Input::Given(value) => Some(value),
            Input::Malformed(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// The given values of a repeatable input, de-duplicated and sorted.
    pub fn take_ids(&mut self, field: Field, inputs: Vec<Input<Uuid>>) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = inputs
            .into_iter()
            .filter_map(|input| self.take(field, input))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }

    /// `Ok` when nothing was wrong, else the 400 naming every problem.
    pub fn check(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_helpers_keep_what_parses_and_say_what_does_not() {
        assert_eq!(
            Input::day(Some(" 2026-06-15 ")),
            Input::Given(NaiveDate::from_ymd_opt(2026, 6, 15).expect("a day"))
        );
        for bad in [
            "2026-6-1",
            "2026-02-30",
            "2026-06-01T00:00:00Z",
            "",
            "2026- 6-01",
            "+2026-6-01",
            "2026-06-1 ",
            "２０２６-06-01",
        ] {
            assert_eq!(Input::day(Some(bad)), Input::Malformed(NOT_A_DAY.into()));
        }
        assert_eq!(Input::<NaiveDate>::day(None), Input::Absent);
        assert_eq!(Input::boolean(Some("1")), Input::Given(true));
        assert_eq!(
            Input::boolean(Some("no")),
            Input::Malformed(NOT_A_BOOLEAN.into())
        );
        assert_eq!(Input::uuid(Some("x")), Input::Malformed(NOT_A_UUID.into()));
    }

    #[test]
    fn problems_keep_their_order_and_ids_are_deduplicated() {
        let mut problems = Problems::default();
        let a = Uuid::from_bytes([2; 16]);
        let b = Uuid::from_bytes([1; 16]);
        let ids = problems.take_ids(
            Field::Branches,
            vec![
                Input::Given(a),
                Input::Malformed(NOT_A_UUID.into()),
                Input::Given(b),
                Input::Given(a),
            ],
        );
        assert_eq!(ids, [b, a]);
        problems.add(Field::Limit, "too big");
        let fields: Vec<Field> = problems.0.iter().map(|p| p.field).collect();
        assert_eq!(fields, [Field::Branches, Field::Limit]);
        assert!(problems.check().is_err());
        assert!(Problems::default().check().is_ok());
    }
}
