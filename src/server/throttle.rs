//! In-memory sliding-window rate limits, for attempts that should slow down guessing (failed logins)
//! without touching the database. Per process: a restart forgets them, which only ever helps the
//! person being limited.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// At most `max` events per `window` for each key.
pub struct Limiter {
    max: usize,
    window: Duration,
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys beyond this many trigger a sweep of the ones whose events have all expired, so a flood of
/// distinct keys can't grow the map without bound for longer than one window.
const SWEEP_ABOVE: usize = 10_000;

impl Limiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self { max, window, events: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` if `key` has used up its events in the current window.
    ///
    /// # Errors
    /// The time until the oldest event in the window expires.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        match events.get_mut(key) {
            Some(times) => {
                prune(times, now, self.window);
                if times.len() >= self.max {
                    let oldest = times.front().copied().unwrap_or(now);
                    Err(self.window.saturating_sub(now - oldest).max(Duration::from_secs(1)))
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Records one event for `key`.
    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() > SWEEP_ABOVE {
            events.retain(|_, times| {
                prune(times, now, self.window);
                !times.is_empty()
            });
        }
        let times = events.entry(key.to_owned()).or_default();
        prune(times, now, self.window);
        times.push_back(now);
        // Only the newest `max` matter for the decision.
        while times.len() > self.max {
            times.pop_front();
        }
    }

    /// Forgets `key` (after a success, its earlier failures no longer count).
    pub fn clear(&self, key: &str) {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|t| now.duration_since(*t) >= window) {
        times.pop_front();
    }
}

/// Whole seconds to put in `Retry-After`, rounded up.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_then_says_how_long_to_wait() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.check("k").is_ok());
            limiter.record("k");
        }
        let wait = limiter.check("k").unwrap_err();
        // Generous lower bound: a loaded machine may pause between the two calls.
        assert!(wait <= Duration::from_secs(60) && wait >= Duration::from_secs(50));
        assert!(limiter.check("other").is_ok(), "keys are independent");
    }

    #[test]
    fn events_expire_after_the_window() {
        let limiter = Limiter::new(1, Duration::from_millis(30));
        limiter.record("k");
        assert!(limiter.check("k").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(limiter.check("k").is_ok());
    }

    #[test]
    fn clearing_forgets_a_key() {
        let limiter = Limiter::new(1, Duration::from_secs(60));
        limiter.record("k");
        limiter.clear("k");
        assert!(limiter.check("k").is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
