//! Logging: `tracing` to stdout, filtered by `RUST_LOG`. Secrets never reach it: they live in types
//! that don't print, and request paths are redacted before they are recorded.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
