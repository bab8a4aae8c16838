//! Time: an injectable [`Clock`] and the millisecond-precision UTC [`Timestamp`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize, Serializer};

/// A point in time, UTC, with millisecond precision (what the wire shows and storage keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From milliseconds since the Unix epoch; `None` outside chrono's representable range.
    pub fn from_millis(millis: i64) -> Option<Self> {
        DateTime::<Utc>::from_timestamp_millis(millis).map(|_| Self(millis))
    }

    /// From milliseconds, clamped into the representable range.
    pub fn saturating_from_millis(millis: i64) -> Self {
        let min = DateTime::<Utc>::MIN_UTC.timestamp_millis();
        let max = DateTime::<Utc>::MAX_UTC.timestamp_millis();
        Self(millis.clamp(min, max))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        // The constructor guarantees the value is representable.
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Start of the given UTC day.
    pub fn start_of_day(date: NaiveDate) -> Self {
        Self::from(Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)))
    }

    pub fn date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// `by` later, clamped into the representable range.
    pub fn plus(self, by: std::time::Duration) -> Self {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        Self::saturating_from_millis(self.0.saturating_add(millis))
    }

    /// `by` earlier, clamped into the representable range.
    pub fn minus(self, by: std::time::Duration) -> Self {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        Self::saturating_from_millis(self.0.saturating_sub(millis))
    }

    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        self.0
            .checked_add(duration.num_milliseconds())
            .and_then(Self::from_millis)
    }

    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        self.0
            .checked_sub(duration.num_milliseconds())
            .and_then(Self::from_millis)
    }

    /// ISO 8601, UTC, milliseconds and `Z`: `2026-06-15T03:22:16.709Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value.timestamp_millis())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|dt| Self::from(dt.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom)
    }
}

crate::storage::i64_value_type!(Timestamp, |t| t.0, |raw| {
    Timestamp::from_millis(raw).ok_or_else(|| format!("timestamp out of range: {raw}"))
});

/// Where domain code gets "now" from. Production uses [`SystemClock`]; tests fix or step time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from(Utc::now())
    }
}

/// A clock that stands still until moved; for tests and reproducible seeding.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        Self(AtomicI64::new(at.millis()))
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_iso8601_with_millis_and_z() {
        let t = Timestamp::from_millis(1_781_493_736_709).expect("in range");
        assert_eq!(t.to_string(), "2026-06-15T03:22:16.709Z");
        let whole = Timestamp::from_millis(1_781_493_736_000).expect("in range");
        assert_eq!(whole.to_string(), "2026-06-15T03:22:16.000Z");
    }

    #[test]
    fn start_of_day_is_midnight_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 15).expect("valid date");
        assert_eq!(
            Timestamp::start_of_day(d).to_string(),
            "2026-06-15T00:00:00.000Z"
        );
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new(Timestamp::from_millis(0).expect("epoch"));
        assert_eq!(clock.now().millis(), 0);
        clock.advance(Duration::seconds(2));
        assert_eq!(clock.now().millis(), 2_000);
    }
}
