//! Sliding-window limits: at most N counted events in any window (seed 000's "Max N requests
//! per 15 minutes", taken literally). Each key keeps the instants of its counted events
//! (grouped by millisecond), so the count is exact at every moment; `Retry-After` is the
//! time until the oldest counted event leaves the window. Memory is bounded by the limit
//! (and by the milliseconds of a window) per active key, and keys with nothing left in the
//! window are swept. State is in-process: each gateway instance enforces the quota on the
//! traffic it sees.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use uuid::Uuid;

use crate::clock::Timestamp;
use crate::config::RateLimitConfig;
use crate::entities::enums::Plan;
use crate::error::AppError;
pub use crate::error::RateStatus;

/// The quota window of the partner API.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Why an event was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: u32,
    /// Seconds until enough counted events have left the window for this one to pass.
    pub retry_after_secs: u64,
    /// Seconds until the oldest counted event leaves the window.
    pub reset_secs: u64,
}

/// Counted events per key in a sliding window.
pub struct SlidingWindow<K> {
    window_ms: i64,
    keys: Mutex<HashMap<K, Events>>,
}

/// The counted events of one key, oldest first, with their running total.
#[derive(Debug, Default)]
struct Events {
    at: VecDeque<(i64, u32)>,
    total: u64,
}

impl Events {
    fn drop_expired(&mut self, now_ms: i64, window_ms: i64) {
        while let Some((at, n)) = self.at.front().copied() {
            if at > now_ms - window_ms {
                break;
            }
            self.at.pop_front();
            self.total -= u64::from(n);
        }
    }

    fn add(&mut self, now_ms: i64, units: u32) {
        match self.at.back_mut() {
            Some((at, n)) if *at == now_ms => *n = n.saturating_add(units),
            _ => self.at.push_back((now_ms, units)),
        }
        self.total += u64::from(units);
    }
}

impl<K> std::fmt::Debug for SlidingWindow<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlidingWindow")
            .field("window_ms", &self.window_ms)
            .finish()
    }
}

fn seconds_until(from_ms: i64, to_ms: i64) -> u64 {
    // Rounded up, at least one: retrying after the advertised seconds must succeed.
    let ms = (to_ms - from_ms).max(1) as u64;
    ms.div_ceil(1000)
}

impl<K: Eq + Hash + Clone> SlidingWindow<K> {
    pub fn new(window: Duration) -> Self {
        Self {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `units` events for `key` at `now` when the window has room for all of them;
    /// otherwise counts none.
    pub fn try_count(
        &self,
        key: &K,
        limit: u32,
        units: u32,
        now: Timestamp,
    ) -> Result<RateStatus, Exceeded> {
        let now_ms = now.millis();
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let events = keys.entry(key.clone()).or_default();
        events.drop_expired(now_ms, self.window_ms);
        let used = events.total;
        let reset = |events: &Events| {
            events
                .at
                .front()
                .map(|(at, _)| seconds_until(now_ms, at + self.window_ms))
                .unwrap_or(0)
        };
        if used + u64::from(units) > u64::from(limit) {
            // The instant enough old events have left: walk from the oldest.
            let must_leave = used + u64::from(units) - u64::from(limit);
            let mut left = 0u64;
            let mut free_at = now_ms + self.window_ms;
            for (at, n) in events.at.iter() {
                left += u64::from(*n);
                if left >= must_leave {
                    free_at = at + self.window_ms;
                    break;
                }
            }
            return Err(Exceeded {
                limit,
                retry_after_secs: seconds_until(now_ms, free_at),
                reset_secs: reset(events),
            });
        }
        events.add(now_ms, units);
        let used = events.total;
        Ok(RateStatus {
            limit,
            remaining: u32::try_from(u64::from(limit) - used).unwrap_or(0),
            reset_secs: reset(events),
        })
    }

    /// Counted events of `key` still in the window.
    pub fn used(&self, key: &K, now: Timestamp) -> u64 {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        match keys.get_mut(key) {
            Some(events) => {
                events.drop_expired(now.millis(), self.window_ms);
                events.total
            }
            None => 0,
        }
    }

    /// Seconds until the oldest counted event of `key` leaves the window (0 when none).
    pub fn retry_after(&self, key: &K, now: Timestamp) -> u64 {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        match keys.get_mut(key) {
            Some(events) => {
                events.drop_expired(now.millis(), self.window_ms);
                events
                    .at
                    .front()
                    .map(|(at, _)| seconds_until(now.millis(), at + self.window_ms))
                    .unwrap_or(0)
            }
            None => 0,
        }
    }

    /// Forgets keys with nothing left in the window.
    pub fn sweep(&self, now: Timestamp) {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.retain(|_, events| {
            events.drop_expired(now.millis(), self.window_ms);
            !events.at.is_empty()
        });
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Per-application request quotas by plan.
#[derive(Debug)]
pub struct RateLimits {
    config: RateLimitConfig,
    requests: SlidingWindow<Uuid>,
}

impl RateLimits {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            requests: SlidingWindow::new(WINDOW),
        }
    }

    pub fn limit(&self, plan: Plan) -> u32 {
        match plan {
            Plan::Enterprise => self.config.enterprise,
            _ => self.config.pro,
        }
    }

    /// Counts `units` requests of `application` (a GraphQL batch counts each operation);
    /// refuses them all with `rate_limited` when the window has no room for them.
    pub fn check(
        &self,
        plan: Plan,
        application: Uuid,
        units: u32,
        now: Timestamp,
    ) -> Result<RateStatus, AppError> {
        self.requests
            .try_count(&application, self.limit(plan), units.max(1), now)
            .map_err(|e| AppError::RateLimited {
                max: u64::from(e.limit),
                retry_after_secs: e.retry_after_secs,
                reset_secs: e.reset_secs,
            })
    }

    /// Forgets applications with no request left in the window.
    pub fn sweep(&self, now: Timestamp) {
        self.requests.sweep(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(1_781_493_736_709 + ms).expect("in range")
    }

    #[test]
    fn at_most_n_in_any_window_with_retry_after_the_oldest_leaves() {
        let window = SlidingWindow::<u8>::new(Duration::from_secs(900));
        // Three requests at 0 s, 100 s and 200 s; the fourth is refused until the first
        // leaves the window at 900 s.
        for (n, ms) in [0, 100_000, 200_000].into_iter().enumerate() {
            let status = window.try_count(&1, 3, 1, at(ms)).expect("within quota");
            assert_eq!(status.remaining, 2 - n as u32);
            assert_eq!(status.reset_secs, (900_000 - ms as u64).div_ceil(1000));
        }
        let refused = window.try_count(&1, 3, 1, at(300_000)).expect_err("full");
        assert_eq!(refused.retry_after_secs, 600);
        assert_eq!(refused.reset_secs, 600);
        // One millisecond before the oldest leaves: still full; at the boundary it has left.
        let refused = window.try_count(&1, 3, 1, at(899_999)).expect_err("full");
        assert_eq!(refused.retry_after_secs, 1);
        let status = window
            .try_count(&1, 3, 1, at(900_000))
            .expect("oldest left");
        assert_eq!(status.remaining, 0);
        // No refill in between: continuous refill would have let one through by now.
        assert!(window.try_count(&1, 3, 1, at(950_000)).is_err());
        // Other keys have their own window.
        assert!(window.try_count(&2, 3, 1, at(950_000)).is_ok());
    }

    #[test]
    fn units_are_counted_all_or_nothing() {
        let window = SlidingWindow::<u8>::new(Duration::from_secs(900));
        window.try_count(&1, 5, 3, at(0)).expect("3 of 5");
        let refused = window.try_count(&1, 5, 3, at(1_000)).expect_err("6 > 5");
        assert_eq!(refused.retry_after_secs, 899);
        assert_eq!(
            window.used(&1, at(1_000)),
            3,
            "nothing counted when refused"
        );
        assert_eq!(
            window
                .try_count(&1, 5, 2, at(1_000))
                .expect("fits")
                .remaining,
            0
        );
    }

    #[test]
    fn idle_keys_are_swept() {
        let window = SlidingWindow::<u32>::new(Duration::from_secs(60));
        for key in 0..100 {
            window.try_count(&key, 10, 1, at(0)).expect("ok");
        }
        window.try_count(&7, 10, 1, at(30_000)).expect("ok");
        window.sweep(at(59_999));
        assert_eq!(window.len(), 100);
        window.sweep(at(60_000));
        assert_eq!(
            window.len(),
            1,
            "only the key with an event in the window remains"
        );
        window.sweep(at(90_000));
        assert!(window.is_empty());
    }

    #[test]
    fn quotas_follow_the_plan() {
        let limits = RateLimits::new(RateLimitConfig {
            pro: 3,
            enterprise: 10,
        });
        let app = Uuid::new_v4();
        assert_eq!(limits.check(Plan::Pro, app, 1, at(0)).expect("ok").limit, 3);
        match limits.check(Plan::Pro, app, 3, at(0)) {
            Err(AppError::RateLimited { max, .. }) => assert_eq!(max, 3),
            other => panic!("expected rate_limited, got {other:?}"),
        }
        assert_eq!(
            limits
                .check(Plan::Enterprise, Uuid::new_v4(), 1, at(0))
                .expect("ok")
                .limit,
            10
        );
    }
}
