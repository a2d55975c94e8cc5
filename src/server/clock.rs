//! The app's clock: the time now (Unix seconds, and milliseconds for the rate limits), instants as
//! RFC 3339 for people and clients, and the loop that runs a background chore every so often.
//! Everything that reads the time reads it here, so there is one clock to reason about.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Milliseconds since the Unix epoch: the rate limits earn attempts back in fractions of a second.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// `unix` (seconds) as RFC 3339 in UTC (`1970-01-01T00:00:00Z`); empty for an instant out of range.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// `unix` (seconds) to the minute, in UTC, as a mail tells a person when something happened
/// (`2026-12-09 08:15 UTC`): the same in every language, and no time zone of ours to guess at.
pub fn utc_minute(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix).map_or_else(
        |_| String::new(),
        |t| format!("{}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute()),
    )
}

/// Runs `tick` every `every` (first after one period) until `stop` fires; a tick in progress is
/// finished, never cut short. The background chores (sweeping rate limits, freeing idle hash
/// memory, housekeeping) share this loop.
pub fn spawn_every<F, Fut>(
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
    mut tick: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            tick().await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_instants_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "");
        assert_eq!(utc_minute(1_796_803_200 + 15 * 60 + 59), "2026-12-09 08:15 UTC");
        assert_eq!(utc_minute(i64::MAX), "");
    }

    #[test]
    fn milliseconds_and_seconds_agree() {
        assert!((now_ms() / 1000 - now()).abs() <= 1);
    }
}
