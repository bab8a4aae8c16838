//! The guarded path: parsing and the checks on the parsed document run on a few dedicated
//! threads with stacks large enough for the deepest document the size limit allows, never on
//! an async worker. The lexical scan refuses deep documents before they get here; this is the
//! second, independent line of defence — should the scan ever miss a way of nesting, the
//! recursive parser still cannot overflow a stack and abort the process, and the nesting
//! check on the parsed document refuses what the scan missed. CPU spent on a hostile document
//! is spent here too, so health checks and other requests keep their workers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Stack bytes one level of nesting may take in the parser, with room to spare (measured at
/// under 1.5 KiB per level in debug builds, less in release; see the test below).
pub const STACK_BYTES_PER_LEVEL: usize = 4 * 1024;

/// A small pool of big-stack threads.
pub struct Guard {
    jobs: Mutex<mpsc::Sender<Job>>,
    stack_bytes: usize,
    threads: usize,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("stack_bytes", &self.stack_bytes)
            .finish()
    }
}

/// The guarded thread could not run the job (it panicked, or the pool is gone).
#[derive(Debug, thiserror::Error)]
#[error("the guarded GraphQL thread failed: {0}")]
pub struct GuardFailed(&'static str);

impl Guard {
    /// `threads` threads, each with a stack for a document of `max_document_bytes` nested
    /// one level per byte (the worst case a scanner bug could let through).
    pub fn new(threads: usize, max_document_bytes: usize) -> std::io::Result<Self> {
        let stack_bytes = max_document_bytes
            .saturating_mul(STACK_BYTES_PER_LEVEL)
            .saturating_add(8 * 1024 * 1024);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("graphql-guard-{n}"))
                .stack_size(stack_bytes)
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match receiver.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            // Every sender is gone: the server is stopping.
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            jobs: Mutex::new(sender),
            stack_bytes,
            threads: threads.max(1),
        })
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job` on a guarded thread and waits for its answer without blocking the caller's
    /// worker. A panic in the job is reported as [`GuardFailed`], not propagated.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GuardFailed> {
        let (tx, rx) = oneshot::channel();
        let wrapped: Job = Box::new(move || {
            let answer = catch_unwind(AssertUnwindSafe(job));
            let _ = tx.send(answer);
        });
        self.jobs
            .lock()
            .map_err(|_| GuardFailed("pool lock poisoned"))?
            .send(wrapped)
            .map_err(|_| GuardFailed("pool stopped"))?;
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_panic)) => Err(GuardFailed("the job panicked")),
            Err(_) => Err(GuardFailed("the job was dropped")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-level allowance holds with a wide margin: a document nested one level per
    /// byte, at the size the stack was computed for, parses (or is refused) without
    /// overflowing. An overflow would abort the test binary.
    #[tokio::test]
    async fn the_parser_fits_the_guarded_stack_at_one_level_per_byte() {
        let bytes = 16 * 1024;
        let guard = Guard::new(1, bytes).expect("threads");
        let half = bytes / 2 - 8;
        for doc in [
            format!("{{ f(x: {}1{}) }}", "[".repeat(half), "]".repeat(half)),
            format!("{}{}", "{a".repeat(bytes / 3), "}".repeat(bytes / 3)),
            format!(
                "{{ f(x: {}) }}",
                "{a:".repeat(bytes / 4) + &"}".repeat(bytes / 4)
            ),
        ] {
            let answer = guard
                .run(move || async_graphql::parser::parse_query(&doc).is_ok())
                .await;
            assert!(answer.is_ok(), "the guarded thread answered");
        }
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_pool_lives_on() {
        let guard = Guard::new(1, 1024).expect("threads");
        let failed = guard.run(|| -> u8 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(guard.run(|| 7).await.expect("still serving"), 7);
    }
}
