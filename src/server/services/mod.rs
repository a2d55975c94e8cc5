//! The use cases: every rule about accounts lives here once, and both the REST API and the server
//! functions call it. Each takes plain arguments (the REST forms stay in `rest/`) and has its own
//! error enum, which says once how it becomes an `AppError`.

pub mod address_fix;
pub mod change_request;
pub mod codes;
pub mod confirmation;
pub mod devices;
pub mod email_approval;
pub mod email_change;
pub mod email_login;
pub mod email_revert;
pub mod lifecycle;
pub mod login;
pub mod new_device;
pub mod password;
pub mod profile;
pub mod registration;
pub mod reset;
pub mod secure_account;
pub mod security;
pub mod session;
pub mod set_password;

/// Logs an unexpected error with its whole cause chain, once, at the edge where it becomes a 500.
pub(crate) fn log_unexpected(context: &str, err: &anyhow::Error) {
    tracing::error!(error = format!("{err:#}"), "{context} failed");
}

/// The 500 for an unexpected error, logged (with its cause chain) on the way; a 503 when the
/// database only ran out of time (see [`is_busy`]), since a retry then succeeds.
pub(crate) fn internal_error(context: &str, err: &anyhow::Error) -> crate::error::AppError {
    if err.chain().filter_map(|cause| cause.downcast_ref::<sqlx::Error>()).any(is_busy) {
        tracing::warn!(error = format!("{err:#}"), "{context}: the database is busy; answered 503");
        return crate::error::AppError::Busy;
    }
    log_unexpected(context, err);
    crate::error::AppError::Internal
}

/// Whether the database refused only for lack of time, the statement having changed nothing:
/// SQLite's busy or locked (after its busy timeout), PostgreSQL's lock timeout, serialisation
/// failure or deadlock, or no pooled connection free in time.
fn is_busy(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("5" | "6" | "261" | "262" | "517" | "55P03" | "40001" | "40P01"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use sqlx::{Connection, SqliteConnection};

    #[tokio::test]
    async fn a_locked_database_is_a_busy_503_and_other_database_errors_stay_500() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("busy.db").display());
        let mut holder = SqliteConnection::connect(&url).await.unwrap();
        let mut other = SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut holder).await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0").execute(&mut other).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();

        let locked = sqlx::query("INSERT INTO t VALUES (1)").execute(&mut other).await.unwrap_err();
        let error = internal_error("test", &anyhow::Error::new(locked).context("inserting"));
        assert_eq!(error, AppError::Busy);
        assert_eq!(error.status(), 503);

        let missing = sqlx::query("INSERT INTO nowhere VALUES (1)").execute(&mut other).await.unwrap_err();
        assert_eq!(internal_error("test", &anyhow::Error::new(missing)), AppError::Internal);
        assert_eq!(internal_error("test", &anyhow::anyhow!("not a database error")), AppError::Internal);
    }
}
