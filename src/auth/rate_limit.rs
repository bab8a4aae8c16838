//! Per-application rate limits (GCRA via `governor`): N requests per 15 minutes, N by plan.
//! One keyed limiter per plan, keyed by application id; the state is in-process, so each
//! gateway instance enforces the quota on the traffic it sees.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use crate::config::RateLimitConfig;
use crate::entities::enums::Plan;
use crate::error::AppError;

pub const WINDOW: Duration = Duration::from_secs(15 * 60);

type Limiter =
    RateLimiter<Uuid, DefaultKeyedStateStore<Uuid>, DefaultClock, StateInformationMiddleware>;

/// The outcome of an allowed request, for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
}

pub struct RateLimits {
    pro: (u32, Limiter),
    enterprise: (u32, Limiter),
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("pro", &self.pro.0)
            .field("enterprise", &self.enterprise.0)
            .finish()
    }
}

fn limiter(max: u32) -> (u32, Limiter) {
    let burst = NonZeroU32::new(max.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = WINDOW / burst.get();
    let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst);
    (
        burst.get(),
        RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
    )
}

impl RateLimits {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            pro: limiter(config.pro),
            enterprise: limiter(config.enterprise),
        }
    }

    /// Counts one request of `application`; refuses it with `rate_limited` when over quota.
    pub fn check(&self, plan: Plan, application: Uuid) -> Result<RateStatus, AppError> {
        let (limit, limiter) = match plan {
            Plan::Enterprise => &self.enterprise,
            _ => &self.pro,
        };
        match limiter.check_key(&application) {
            Ok(snapshot) => Ok(RateStatus {
                limit: *limit,
                remaining: snapshot.remaining_burst_capacity(),
            }),
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                Err(AppError::RateLimited {
                    max: u64::from(*limit),
                    // Round up: retrying after the advertised seconds must succeed.
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                })
            }
        }
    }

    /// Drops state of applications that are back to a full quota.
    pub fn shrink(&self) {
        self.pro.1.retain_recent();
        self.enterprise.1.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_quota_then_refuses_with_a_retry_hint() {
        let limits = RateLimits::new(RateLimitConfig {
            pro: 3,
            enterprise: 10,
        });
        let app = Uuid::new_v4();
        let remaining: Vec<u32> = (0..3)
            .map(|_| {
                limits
                    .check(Plan::Pro, app)
                    .expect("within quota")
                    .remaining
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        match limits.check(Plan::Pro, app) {
            Err(AppError::RateLimited {
                max,
                retry_after_secs,
            }) => {
                assert_eq!(max, 3);
                assert!((1..=300).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected rate_limited, got {other:?}"),
        }
        // Other applications and plans have their own budget.
        assert!(limits.check(Plan::Pro, Uuid::new_v4()).is_ok());
        assert_eq!(
            limits
                .check(Plan::Enterprise, app)
                .expect("own quota")
                .limit,
            10
        );
    }
}
