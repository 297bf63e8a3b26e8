//! Preparing work on a worker thread a bounded number of steps ahead of its consumer.

use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The results of a job list, made in order on a worker thread at most `ahead` results ahead of
/// the consumer: the next batch decodes while the model trains on this one, and memory stays
/// bounded. The worker and its parallel work run at a lower scheduling priority, so they fill
/// the time the model leaves and do not preempt LibTorch's threads in the middle of an
/// operation (on 2 cores that stalls the model more than the decoding costs). Dropping it early
/// stops the worker after its current job; a panic on the worker resumes on the consumer.
pub struct Prefetch<T> {
    results: Receiver<T>,
    worker: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Prefetch<T> {
    /// Starts `make` over `jobs` on a new thread.
    pub fn new<J: Send>(
        jobs: impl IntoIterator<Item = J> + Send + 'static,
        ahead: usize,
        make: impl Fn(J) -> T + Send + Sync + 'static,
    ) -> Self {
        let (sender, results) = sync_channel(ahead);
        let worker = std::thread::spawn(move || {
            lower_priority();
            for job in jobs {
                if sender
                    .send(background_pool().install(|| make(job)))
                    .is_err()
                {
                    break;
                }
            }
        });
        Self {
            results,
            worker: Some(worker),
        }
    }
}

/// Nice value of the data threads (0 is normal, 19 the lowest priority).
const NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority (Linux sets it per thread); a no-op where
/// that is not allowed.
fn lower_priority() {
    // SAFETY: setpriority only reads its integer arguments.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, NICE);
    }
}

/// The low-priority threads the data workers decode on, one per core.
fn background_pool() -> &'static ThreadPool {
    static POOL: OnceLock<ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        ThreadPoolBuilder::new()
            .thread_name(|i| format!("camwatch-data-{i}"))
            .start_handler(|_| lower_priority())
            .build()
            .expect("threads for the data pipeline")
    })
}

impl<T> Iterator for Prefetch<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let next = self.results.recv().ok();
        if next.is_none()
            && let Some(worker) = self.worker.take()
            && let Err(panic) = worker.join()
        {
            std::panic::resume_unwind(panic);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_a_worker_panic_reaches_the_consumer() {
        let squares: Vec<u64> = Prefetch::new(0..100u64, 2, |i| i * i).collect();
        assert_eq!(squares, (0..100u64).map(|i| i * i).collect::<Vec<_>>());
        let mut first_two = Prefetch::new(0..1_000_000u64, 1, |i| i);
        assert_eq!((first_two.next(), first_two.next()), (Some(0), Some(1)));
        drop(first_two);
        let failing = std::panic::catch_unwind(|| {
            Prefetch::new(0..3u32, 1, |i| if i == 2 { panic!("bad job") } else { i })
                .collect::<Vec<_>>()
        });
        assert!(failing.is_err());
    }
}
