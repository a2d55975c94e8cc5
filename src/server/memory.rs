//! How the process hands memory back to the system after a load: the allocator setting applied at
//! start, and the trim once the load has passed.
//!
//! Each password hash works in a 19 MiB area (see `auth::password`). glibc serves an allocation
//! that large with its own `mmap`, and unmaps it when freed, but only up to a threshold that it
//! raises, by default, to the size of each such block freed: after the first load had been given
//! back, the next load's areas came from the heap arenas instead, and freeing them returned
//! nothing (measured: 29 MiB a minute after one burst, 68 MiB and flat after a second). Setting the
//! threshold turns that adjustment off, so every hash area stays a mapping of its own and goes
//! back to the system when it is freed, after every load, not only the first.
//!
//! The small allocations of requests leave the heap fragmented: glibc gives an arena's free pages
//! back only from its top, which under many threads is seldom free. Five rounds of the mixed load
//! (`bench/load_and_memory.py`, without its page loads) left 38.1, 42.7, 42.6, 44.9 and 47.5 MiB a
//! minute after each, with 7–10 MiB of it free but kept. `malloc_trim(0)` gives back every free
//! page, wherever it lies; run once the requests stop ([`spawn_trim_when_quiet`]), the same rounds
//! left 34.3 to 38.3 MiB, the rest of the rise being SQLite's page cache filling up to its bound.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};
use tokio_util::sync::CancellationToken;

/// Allocations at least this large get a mapping of their own (glibc's default starting point is
/// 128 KiB; a hash area is 19 MiB, a request body at most 64 KiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAPPING_FROM: libc::c_int = 1 << 20;

/// Fixes the allocator's threshold for allocations that get a mapping of their own (see the
/// module's doc). Call once, at start, before the load.
pub fn hand_back_large_areas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes a parameter of the allocator, which glibc guards with its own
    // lock; it reads no memory of ours.
    #[allow(unsafe_code)]
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM) != 1 {
            tracing::warn!("could not set the allocator's mmap threshold: memory may stay high after a load");
        }
    }
}

/// Requests started since the process began: the trimmer's sign of load.
static SERVED: AtomicU64 = AtomicU64::new(0);

/// Counts a request (the HTTP edge calls it for each one), so the trimmer knows when a load ends.
pub fn note_request() {
    SERVED.fetch_add(1, Ordering::Relaxed);
}

/// Ticks without a trim, while requests keep coming, after which the trimmer trims anyway: a
/// trickle of requests (one every few seconds) is never quiet for a whole tick.
const BUSY_TICKS_PER_TRIM: u32 = 6;

/// What the trimmer remembers between its ticks.
#[derive(Debug, Default)]
struct Trimmer {
    seen: u64,
    trimmed_at: u64,
    ticks_since_trim: u32,
}

impl Trimmer {
    /// Whether to trim now, given the requests served so far: when some came since the last trim
    /// and either none came since the last tick (the load has passed) or trims have waited
    /// [`BUSY_TICKS_PER_TRIM`] ticks. An idle server is trimmed once, not at every tick.
    fn tick(&mut self, served: u64) -> bool {
        let quiet = served == self.seen;
        self.seen = served;
        self.ticks_since_trim = self.ticks_since_trim.saturating_add(1);
        let due = served != self.trimmed_at && (quiet || self.ticks_since_trim >= BUSY_TICKS_PER_TRIM);
        if due {
            self.trimmed_at = served;
            self.ticks_since_trim = 0;
        }
        due
    }
}

/// Every `every`, gives the allocator's free pages back to the system when [`Trimmer::tick`] says
/// so. A trim walks the heap under each arena's lock for about a millisecond: on a blocking thread.
pub fn spawn_trim_when_quiet(every: Duration, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    let mut trimmer = Trimmer::default();
    crate::server::clock::spawn_every(every, stop, move || {
        let due = trimmer.tick(SERVED.load(Ordering::Relaxed));
        async move {
            if due && let Err(e) = tokio::task::spawn_blocking(trim).await {
                tracing::warn!(error = %e, "the memory trim did not finish");
            }
        }
    })
}

/// Hands every free page of the heap back to the system.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes each arena's own lock while it walks it, and reads no memory of
    // ours; it is safe to call from any thread at any time.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_a_load_has_passed_and_not_again_while_idle() {
        let mut t = Trimmer::default();
        assert!(!t.tick(0), "nothing served yet: nothing to give back");
        assert!(!t.tick(500), "requests came in this tick: the load goes on");
        assert!(!t.tick(900));
        assert!(t.tick(900), "a tick without requests after a load: trim");
        assert!(!t.tick(900), "still idle: the last trim gave everything back already");
        assert!(!t.tick(900));
        assert!(!t.tick(901), "one request: not quiet for a tick yet");
        assert!(t.tick(901), "quiet again after it");
    }

    #[test]
    fn a_steady_trickle_is_trimmed_every_few_ticks() {
        let mut t = Trimmer::default();
        let trims: Vec<bool> = (1..=2 * u64::from(BUSY_TICKS_PER_TRIM)).map(|n| t.tick(n)).collect();
        let at: Vec<usize> = trims.iter().enumerate().filter(|(_, due)| **due).map(|(i, _)| i + 1).collect();
        let every = BUSY_TICKS_PER_TRIM as usize;
        assert_eq!(at, vec![every, 2 * every], "never quiet for a tick, still trimmed every {every} ticks");
    }

    #[test]
    fn a_trim_runs_and_the_task_stops_when_told() {
        trim();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let stop = CancellationToken::new();
            let task = spawn_trim_when_quiet(Duration::from_millis(5), stop.clone());
            note_request();
            tokio::time::sleep(Duration::from_millis(30)).await;
            stop.cancel();
            tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
        });
    }
}
