//! The circuit breaker between the primary SMTP relay and the fallback: after the primary fails
//! the conversation twice in a row, mail goes straight to the fallback for a window (30 s,
//! doubling after each failed probe, to five minutes), then one mail probes the primary, and its
//! success sends mail through the primary again. Pure: the caller says what time it is.
//!
//! Why two failures: each failed attempt went on to the fallback at once, so no mail waits on
//! the count; one failure alone (a relay restarting, one dropped connection, a 421 "too busy" at a
//! peak) says little about the next conversation, and a trip on it would send a window of mail
//! through the backup relay (often a paid or rate-limited account) for nothing. A second failure
//! in a row is an outage. Why a growing window: a relay back after a restart is used again
//! within 30 s, while one down for hours costs at most twelve probes an hour, each of which can
//! spend a whole SMTP timeout before its mail goes to the fallback.
//!
//! The state lives in this process's memory, and each server's worker has its own. That is fine
//! with N servers: the breaker only picks the relay an attempt goes to first, never whether or
//! how often a mail goes (the outbox's lease decides that), so servers that disagree for a window
//! just send through different relays, and each probes on its own (N probes a window).

use std::time::{Duration, Instant};

/// Conversation failures of the primary in a row that send mail to the fallback.
pub const FAILURES_TO_OPEN: u32 = 2;
/// The longest wait between two probes (unless the first window is longer).
const LONGEST_WINDOW: Duration = Duration::from_secs(300);

/// Which relay an attempt goes to first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The primary, which is working.
    Primary,
    /// The primary, as the one attempt that tests it while mail goes to the fallback.
    Probe,
    /// Straight to the fallback: the primary is failing.
    Fallback,
}

/// A change of route, worth a line in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The primary failed often enough: mail goes to the fallback for `window`.
    Opened { window: Duration },
    /// A probe failed: mail keeps going to the fallback for another `window`.
    StillOpen { window: Duration },
    /// A probe went through: mail goes through the primary again.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
        window: Duration,
    },
    /// One attempt is testing the primary since `since`; the others go to the fallback.
    Probing {
        since: Instant,
        window: Duration,
    },
}

#[derive(Debug)]
pub struct Breaker {
    state: State,
    first_window: Duration,
    longest_window: Duration,
    /// A probe not heard from within this was dropped with its send (a lost lease, a shutdown):
    /// the next attempt probes instead, or the breaker would stay open for good.
    probe_lost_after: Duration,
}

impl Breaker {
    /// A closed breaker whose first window is `first_window`. `probe_lost_after` is the longest a
    /// probe can take (the primary's send timeout).
    pub fn new(first_window: Duration, probe_lost_after: Duration) -> Self {
        Self {
            state: State::Closed { failures: 0 },
            first_window,
            longest_window: LONGEST_WINDOW.max(first_window),
            probe_lost_after,
        }
    }

    /// Where the next attempt goes first. While open, the first call after the window is the probe.
    pub fn route(&mut self, now: Instant) -> Route {
        match self.state {
            State::Closed { .. } => Route::Primary,
            State::Open { until, window } if now >= until => {
                self.state = State::Probing { since: now, window };
                Route::Probe
            }
            State::Probing { since, window } if now >= since + self.probe_lost_after => {
                self.state = State::Probing { since: now, window };
                Route::Probe
            }
            State::Open { .. } | State::Probing { .. } => Route::Fallback,
        }
    }

    /// The primary carried an attempt routed by `route` through the conversation (it took the mail,
    /// or answered for its recipient or message).
    pub fn primary_worked(&mut self, route: Route) -> Option<Change> {
        match self.state {
            State::Closed { .. } => {
                self.state = State::Closed { failures: 0 };
                None
            }
            _ if route == Route::Probe => {
                self.state = State::Closed { failures: 0 };
                Some(Change::Closed)
            }
            // An attempt that started before the breaker opened: the probe decides.
            _ => None,
        }
    }

    /// The primary failed the conversation of an attempt routed by `route`.
    pub fn primary_failed(&mut self, route: Route, now: Instant) -> Option<Change> {
        match self.state {
            State::Closed { failures } if failures + 1 >= FAILURES_TO_OPEN => {
                let window = self.first_window;
                self.state = State::Open { until: now + window, window };
                Some(Change::Opened { window })
            }
            State::Closed { failures } => {
                self.state = State::Closed { failures: failures + 1 };
                None
            }
            State::Open { window, .. } | State::Probing { window, .. } if route == Route::Probe => {
                let window = (window * 2).min(self.longest_window);
                self.state = State::Open { until: now + window, window };
                Some(Change::StillOpen { window })
            }
            State::Open { .. } | State::Probing { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn breaker() -> Breaker {
        Breaker::new(30 * SECOND, 60 * SECOND)
    }

    /// A breaker opened at `t0` by two failures in a row, and `t0`.
    fn opened() -> (Breaker, Instant) {
        let (mut b, t0) = (breaker(), Instant::now());
        b.primary_failed(Route::Primary, t0);
        assert_eq!(b.primary_failed(Route::Primary, t0), Some(Change::Opened { window: 30 * SECOND }));
        (b, t0)
    }

    #[test]
    fn one_failure_keeps_the_primary_and_two_in_a_row_open_the_breaker() {
        let (mut b, t0) = (breaker(), Instant::now());
        assert_eq!(b.route(t0), Route::Primary);
        assert_eq!(b.primary_failed(Route::Primary, t0), None);
        assert_eq!(b.route(t0), Route::Primary, "one failure is not an outage");
        assert_eq!(b.primary_worked(Route::Primary), None);
        assert_eq!(b.primary_failed(Route::Primary, t0), None, "a success in between starts the count again");
        assert_eq!(b.primary_failed(Route::Primary, t0), Some(Change::Opened { window: 30 * SECOND }));
        assert_eq!(b.route(t0), Route::Fallback);
    }

    #[test]
    fn after_the_window_one_attempt_probes_and_its_success_closes_the_breaker() {
        let (mut b, t0) = opened();
        assert_eq!(b.route(t0 + 29 * SECOND), Route::Fallback, "within the window");
        assert_eq!(b.route(t0 + 30 * SECOND), Route::Probe);
        assert_eq!(b.route(t0 + 31 * SECOND), Route::Fallback, "one probe at a time");
        assert_eq!(b.primary_worked(Route::Fallback), None, "only the probe's answer counts");
        assert_eq!(b.primary_worked(Route::Probe), Some(Change::Closed));
        assert_eq!(b.route(t0 + 32 * SECOND), Route::Primary);
    }

    #[test]
    fn a_failed_probe_doubles_the_window_up_to_five_minutes_and_closing_starts_it_again() {
        let (mut b, mut now) = opened();
        let mut windows = Vec::new();
        for _ in 0..6 {
            now += 600 * SECOND;
            assert_eq!(b.route(now), Route::Probe);
            let Some(Change::StillOpen { window }) = b.primary_failed(Route::Probe, now) else { panic!("still open") };
            windows.push(window.as_secs());
            assert_eq!(b.route(now + window - SECOND), Route::Fallback);
        }
        assert_eq!(windows, [60, 120, 240, 300, 300, 300]);
        now += 600 * SECOND;
        assert_eq!(b.route(now), Route::Probe);
        assert_eq!(b.primary_worked(Route::Probe), Some(Change::Closed));
        b.primary_failed(Route::Primary, now);
        assert_eq!(b.primary_failed(Route::Primary, now), Some(Change::Opened { window: 30 * SECOND }));
    }

    #[test]
    fn attempts_that_started_before_the_breaker_opened_change_nothing() {
        let (mut b, t0) = opened();
        assert_eq!(b.primary_failed(Route::Primary, t0 + SECOND), None);
        assert_eq!(b.primary_worked(Route::Primary), None);
        assert_eq!(b.route(t0 + 29 * SECOND), Route::Fallback, "the window is unchanged");
        assert_eq!(b.route(t0 + 30 * SECOND), Route::Probe);
    }

    #[test]
    fn a_probe_never_heard_from_is_replaced_after_a_send_timeout() {
        let (mut b, t0) = opened();
        let probe = t0 + 30 * SECOND;
        assert_eq!(b.route(probe), Route::Probe);
        assert_eq!(b.route(probe + 59 * SECOND), Route::Fallback);
        assert_eq!(b.route(probe + 60 * SECOND), Route::Probe, "the first probe was dropped");
        assert_eq!(b.route(probe + 61 * SECOND), Route::Fallback);
    }

    #[test]
    fn a_first_window_longer_than_five_minutes_is_also_the_longest() {
        let (mut b, t0) = (Breaker::new(600 * SECOND, 60 * SECOND), Instant::now());
        b.primary_failed(Route::Primary, t0);
        b.primary_failed(Route::Primary, t0);
        assert_eq!(b.route(t0 + 600 * SECOND), Route::Probe);
        assert_eq!(b.primary_failed(Route::Probe, t0), Some(Change::StillOpen { window: 600 * SECOND }));
    }
}
