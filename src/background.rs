//! Background work with an owner. Every task the server runs besides answering requests (today
//! the sweeper of rate-limit and login-brake windows; the webhook worker next) is started here
//! by name, is told to stop when the server shuts down (and aborted if it does not within the
//! grace it is given), and reports its health: `/readyz` answers 503 while a task has failed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What a task is doing, as `/readyz` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    Running,
    /// Ended after it was told to stop.
    Stopped,
    /// Panicked, or ended on its own although it was meant to run until told to stop.
    Failed(String),
}

impl Health {
    pub fn as_str(&self) -> &'static str {
        match self {
            Health::Running => "running",
            Health::Stopped => "stopped",
            Health::Failed(_) => "failed",
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self, Health::Failed(_))
    }
}

/// Handed to every task: completes once the server asks background work to stop.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    pub async fn stopped(&mut self) {
        // An error means the supervisor is gone: stop too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

#[derive(Debug)]
struct Inner {
    health: Mutex<BTreeMap<&'static str, Health>>,
    handles: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
    stop: watch::Sender<bool>,
}

/// The owner of the server's background tasks (cheap to clone; clones share the tasks).
#[derive(Clone, Debug)]
pub struct Background(Arc<Inner>);

impl Default for Background {
    fn default() -> Self {
        Self(Arc::new(Inner {
            health: Mutex::default(),
            handles: Mutex::default(),
            stop: watch::Sender::new(false),
        }))
    }
}

impl Background {
    fn set(&self, name: &'static str, health: Health) {
        let mut all = self
            .0
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        all.insert(name, health);
    }

    /// Starts `task` under `name`. It should run until its [`StopSignal`] completes; a panic
    /// or an early end is logged and reported as [`Health::Failed`].
    pub fn spawn<F, Fut>(&self, name: &'static str, task: F)
    where
        F: FnOnce(StopSignal) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let signal = StopSignal(self.0.stop.subscribe());
        let work = std::panic::AssertUnwindSafe(task(signal)).catch_unwind();
        let owner = self.clone();
        self.set(name, Health::Running);
        let handle = tokio::spawn(async move {
            let health = match work.await {
                Ok(()) if *owner.0.stop.borrow() => Health::Stopped,
                Ok(()) => {
                    tracing::error!(task = name, "background task ended on its own");
                    Health::Failed("ended before it was told to stop".to_owned())
                }
                Err(panic) => {
                    let cause = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_owned());
                    tracing::error!(task = name, cause = %cause, "background task panicked");
                    Health::Failed(cause)
                }
            };
            owner.set(name, health);
        });
        self.0
            .handles
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((name, handle));
    }

    /// Every task by name with its health.
    pub fn report(&self) -> BTreeMap<&'static str, Health> {
        self.0
            .health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Tells every task to stop and waits up to `grace` for them; those still running are
    /// aborted (and reported stopped).
    pub async fn stop(&self, grace: Duration) {
        self.0.stop.send_replace(true);
        let handles: Vec<_> = std::mem::take(
            &mut *self
                .0
                .handles
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let deadline = tokio::time::Instant::now() + grace;
        for (name, mut handle) in handles {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                tracing::warn!(task = name, "background task did not stop in time; aborted");
                handle.abort();
                self.set(name, Health::Stopped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_run_until_told_to_stop() {
        let background = Background::default();
        background.spawn("patient", |mut stop| async move { stop.stopped().await });
        tokio::task::yield_now().await;
        assert_eq!(background.report()["patient"], Health::Running);
        assert!(!background.report().values().any(Health::failed));
        background.stop(Duration::from_secs(5)).await;
        assert_eq!(background.report()["patient"], Health::Stopped);
        assert!(!background.report().values().any(Health::failed));
    }

    #[tokio::test]
    async fn a_panic_or_an_early_end_is_a_failure() {
        let background = Background::default();
        background.spawn("panics", |_| async { panic!("boom") });
        background.spawn("quits", |_| async {});
        for _ in 0..100 {
            if background
                .report()
                .values()
                .all(|h| matches!(h, Health::Failed(_)))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            background.report()["panics"],
            Health::Failed("boom".to_owned())
        );
        assert!(matches!(background.report()["quits"], Health::Failed(_)));
        assert!(background.report().values().any(Health::failed));
    }

    #[tokio::test]
    async fn a_task_that_ignores_the_signal_is_aborted_after_the_grace() {
        let background = Background::default();
        background.spawn("stubborn", |_| std::future::pending::<()>());
        background.stop(Duration::from_millis(50)).await;
        assert_eq!(background.report()["stubborn"], Health::Stopped);
    }
}
