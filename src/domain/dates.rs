//! The date rules of seeds 001/002: `from`/`to` as `YYYY-MM-DD` (UTC), `to` inclusive of its
//! whole day, defaults of now and 30 days before `to`, at most 30 days per request, and on
//! `/sales` a window that reaches back at most 30 days from now, whichever of `from`/`to` is
//! given.

use chrono::{Duration, NaiveDate};

use super::input::{Field, Input, Problems};
use crate::clock::Timestamp;

pub const MAX_RANGE_DAYS: i64 = 30;
pub const MAX_LOOKBACK_DAYS: i64 = 30;

/// A half-open interval `[from, to)` of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl DateWindow {
    pub fn from_millis(from: i64, to: i64) -> Option<Self> {
        Some(Self {
            from: Timestamp::from_millis(from)?,
            to: Timestamp::from_millis(to)?,
        })
    }
}

/// The day of `input` shown in a fingerprint (empty when absent or malformed).
pub fn shown(input: &Input<NaiveDate>) -> String {
    match input {
        Input::Given(day) => day.to_string(),
        _ => String::new(),
    }
}

/// Resolves `from`/`to` against `now`; problems are recorded in `problems`.
pub fn resolve_window(
    from: &Input<NaiveDate>,
    to: &Input<NaiveDate>,
    now: Timestamp,
    limit_lookback: bool,
    problems: &mut Problems,
) -> Option<DateWindow> {
    let before = problems.len();
    let from_date = problems.take(Field::From, from.clone());
    let to_date = problems.take(Field::To, to.clone());
    if problems.len() > before {
        return None;
    }
    let today = now.date();
    let end_date = to_date.unwrap_or(today);
    if let Some(from_date) = from_date {
        if from_date > end_date {
            problems.add(Field::From, "must not be after to");
        } else if (end_date - from_date).num_days() > MAX_RANGE_DAYS {
            problems.add(
                Field::From,
                format!("the range from..to must not exceed {MAX_RANGE_DAYS} days"),
            );
        }
        if limit_lookback && from_date < today - Duration::days(MAX_LOOKBACK_DAYS) {
            problems.add(
                Field::From,
                format!("must not be more than {MAX_LOOKBACK_DAYS} days before today"),
            );
        }
    }
    if limit_lookback
        && let Some(to_date) = to_date
        && to_date < today - Duration::days(MAX_LOOKBACK_DAYS)
    {
        problems.add(
            Field::To,
            format!("must not be more than {MAX_LOOKBACK_DAYS} days before today"),
        );
    }
    if problems.len() > before {
        return None;
    }
    let to = match to_date {
        Some(date) => Timestamp::start_of_day(date + Duration::days(1)),
        None => Timestamp::from_millis(now.millis() + 1)?,
    };
    let lookback = now.checked_sub(Duration::days(MAX_LOOKBACK_DAYS))?;
    let from = match (from_date, to_date) {
        (Some(date), _) => Timestamp::start_of_day(date),
        // The default may not reach further back than the lookback allows: `?to=<yesterday>`
        // still answers, from 30 days before now.
        (None, Some(date)) if limit_lookback => {
            Timestamp::start_of_day(date - Duration::days(MAX_RANGE_DAYS)).max(lookback)
        }
        (None, Some(date)) => Timestamp::start_of_day(date - Duration::days(MAX_RANGE_DAYS)),
        (None, None) => now.checked_sub(Duration::days(MAX_RANGE_DAYS))?,
    };
    Some(DateWindow { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::input::Problem;

    fn now() -> Timestamp {
        // 2026-06-15T03:22:16.709Z
        Timestamp::from_millis(1_781_493_736_709).expect("in range")
    }

    fn resolve(
        from: Option<&str>,
        to: Option<&str>,
        lookback: bool,
    ) -> Result<DateWindow, Vec<Problem>> {
        let mut problems = Problems::default();
        let window = resolve_window(
            &Input::day(from),
            &Input::day(to),
            now(),
            lookback,
            &mut problems,
        );
        match window {
            Some(w) if problems.is_empty() => Ok(w),
            _ => Err(problems.into_vec()),
        }
    }

    #[test]
    fn defaults_are_the_last_30_days_up_to_now() {
        let w = resolve(None, None, true).expect("valid");
        assert_eq!(w.to.millis(), now().millis() + 1);
        assert_eq!(w.from.to_string(), "2026-05-16T03:22:16.709Z");
    }

    #[test]
    fn to_includes_its_whole_day_and_from_defaults_to_30_days_before() {
        let w = resolve(None, Some("2026-06-10"), false).expect("valid");
        assert_eq!(w.to.to_string(), "2026-06-11T00:00:00.000Z");
        assert_eq!(w.from.to_string(), "2026-05-11T00:00:00.000Z");
        // With the lookback rule, no further back than 30 days before now.
        let w = resolve(None, Some("2026-06-10"), true).expect("valid");
        assert_eq!(w.from.to_string(), "2026-05-16T03:22:16.709Z");
        let w = resolve(Some("2026-06-01"), Some("2026-06-15"), true).expect("seed example");
        assert_eq!(w.from.to_string(), "2026-06-01T00:00:00.000Z");
        assert_eq!(w.to.to_string(), "2026-06-16T00:00:00.000Z");
    }

    #[test]
    fn refuses_bad_ranges_and_old_dates() {
        let err = resolve(Some("2026-06-10"), Some("2026-06-01"), true).expect_err("from > to");
        assert_eq!(err[0].field, Field::From);
        let err = resolve(Some("2026-05-01"), Some("2026-06-10"), false).expect_err("> 30 days");
        assert!(err[0].message.contains("30 days"));
        assert!(
            resolve(Some("2026-05-01"), Some("2026-05-31"), false).is_ok(),
            "exactly 30 days"
        );
        let err = resolve(Some("2026-05-10"), Some("2026-05-20"), true).expect_err("lookback");
        assert!(err[0].message.contains("before today"));
        assert!(
            resolve(Some("2026-05-10"), Some("2026-05-20"), false).is_ok(),
            "no lookback rule"
        );
        for bad in [
            "2026-6-1",
            "2026-02-30",
            "yesterday",
            "2026-06-01T00:00:00Z",
            "",
        ] {
            let err = resolve(Some(bad), None, true).expect_err(bad);
            assert_eq!(err[0].field, Field::From);
        }
        let err = resolve(None, Some("15/06/2026"), true).expect_err("bad to");
        assert_eq!(err[0].field, Field::To);
    }

    #[test]
    fn the_lookback_bounds_the_effective_window_whichever_end_is_given() {
        // `to` alone, 40 days back: refused, naming `to`.
        let err = resolve(None, Some("2026-05-06"), true).expect_err("to beyond the lookback");
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].field, Field::To);
        assert!(err[0].message.contains("before today"), "{err:?}");
        // Without the rule (later pages, other lists) the same `to` is fine.
        assert!(resolve(None, Some("2026-05-06"), false).is_ok());
        // `to` = yesterday: `from` defaults to the later of to − 30 days and now − 30 days.
        let w = resolve(None, Some("2026-06-14"), true).expect("yesterday answers");
        assert_eq!(w.from.to_string(), "2026-05-16T03:22:16.709Z");
        assert_eq!(w.to.to_string(), "2026-06-15T00:00:00.000Z");
        // `to` exactly 30 days back: the part of that day inside the lookback.
        let w = resolve(None, Some("2026-05-16"), true).expect("edge day");
        assert_eq!(w.from.to_string(), "2026-05-16T03:22:16.709Z");
        assert_eq!(w.to.to_string(), "2026-05-17T00:00:00.000Z");
        let err = resolve(None, Some("2026-05-15"), true).expect_err("31 days back");
        assert_eq!(err[0].field, Field::To);
        // Both ends old: both named.
        let err = resolve(Some("2026-05-01"), Some("2026-05-05"), true).expect_err("both");
        let fields: Vec<Field> = err.iter().map(|e| e.field).collect();
        assert_eq!(fields, [Field::From, Field::To]);
    }
}
