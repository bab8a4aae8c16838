//! Parsing of raw filter values shared by every list; problems are collected, not thrown, so
//! one response names every bad parameter.

use std::str::FromStr;

use uuid::Uuid;

use crate::error::FieldError;

pub fn parse_uuid(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    let text = raw?.trim();
    match Uuid::parse_str(text) {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(FieldError::new(field, "must be a UUID"));
            None
        }
    }
}

/// A repeatable UUID parameter, de-duplicated and sorted.
pub fn parse_uuid_list(field: &str, raws: &[&str], errors: &mut Vec<FieldError>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = raws
        .iter()
        .filter_map(|raw| parse_uuid(field, Some(raw), errors))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// An enumeration value, spelled exactly as on the wire.
pub fn parse_enum<T>(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text = raw?.trim();
    match text.parse::<T>() {
        Ok(value) => Some(value),
        Err(err) => {
            errors.push(FieldError::new(field, err.to_string()));
            None
        }
    }
}

pub fn parse_bool(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match raw?.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => {
            errors.push(FieldError::new(field, "must be true or false"));
            None
        }
    }
}

/// A display form of a list for fingerprints.
pub fn joined(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
