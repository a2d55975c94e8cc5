//! The use cases: every rule about accounts lives here once, and both the REST API and the server
//! functions call it. Each use case has its own error enum; `server::http` maps them to `AppError`.

pub mod confirmation;
pub mod password;
pub mod registration;
pub mod session;

/// Logs an unexpected error with its whole cause chain, once, at the edge where it becomes a 500.
pub(crate) fn log_unexpected(context: &str, err: &anyhow::Error) {
    tracing::error!(error = format!("{err:#}"), "{context} failed");
}

/// The 500 for an unexpected error, logged (with its cause chain) on the way.
pub(crate) fn internal_error(context: &str, err: &anyhow::Error) -> crate::error::AppError {
    log_unexpected(context, err);
    crate::error::AppError::Internal
}
