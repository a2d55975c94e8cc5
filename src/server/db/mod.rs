//! The database: one pool for SQLite or PostgreSQL, chosen by `DATABASE_URL`, and one function per
//! statement in the submodules.

pub mod action_codes;
pub mod address_holds;
pub mod email_logins;
pub mod event_writer;
pub mod known_devices;
pub mod limits;
pub mod outbox;
pub mod security_events;
pub mod sessions;
pub mod suppressions;
pub mod users;

use crate::server::config::{database::SqliteSync, secret::Secret};
use anyhow::Context;
use sqlx::{Executor, any::AnyPoolOptions};
use std::time::Duration;

pub type Pool = sqlx::AnyPool;

/// Connects with the default [`SqliteSync`]; see [`connect_with`].
///
/// # Errors
/// As [`connect_with`].
pub async fn connect(url: &Secret) -> anyhow::Result<Pool> {
    connect_with(url, SqliteSync::default()).await
}

/// Connects, applies the SQLite pragmas on every connection, and runs pending migrations.
///
/// # Errors
/// If the database can't be reached or created, or a migration fails.
pub async fn connect_with(url: &Secret, sync: SqliteSync) -> anyhow::Result<Pool> {
    sqlx::any::install_default_drivers();
    let url = url.expose();
    let sqlite = url.starts_with("sqlite:");
    let url = if sqlite {
        ensure_sqlite_dir(url)?;
        sqlite_creating(url)
    } else {
        url.to_owned()
    };
    let pool = AnyPoolOptions::new()
        // SQLite serialises writers anyway; a few connections serve concurrent readers in WAL mode.
        .max_connections(if sqlite { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    // Wait for a lock instead of failing at once; WAL lets readers run beside the
                    // writer; foreign keys are off by default in SQLite.
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute(match sync {
                        SqliteSync::Normal => "PRAGMA synchronous = NORMAL",
                        SqliteSync::Full => "PRAGMA synchronous = FULL",
                    })
                    .await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        // The URL may hold a password: say which kind of database failed, not where.
        .with_context(|| {
            format!(
                "could not connect to the {} database in DATABASE_URL",
                if sqlite { "SQLite" } else { "configured" }
            )
        })?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies pending migrations; safe when several servers start at once. On PostgreSQL sqlx holds an
/// advisory lock while it migrates, so the others wait and then find nothing to do. SQLite has no
/// such lock: a server that loses the race fails on a table the winner just made, and its retry
/// then finds the migration recorded.
async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let mut attempt = 1;
    loop {
        match sqlx::migrate!("./migrations").run(pool).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 5 => {
                tracing::info!(error = %e, attempt, "migration failed; another server may be migrating, retrying");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(e).context("database migration failed"),
        }
    }
}

/// The URL with `mode=rwc` when it names no mode: sqlx opens an existing file only by default, and
/// `sqlite:///var/lib/madblog/madblog.db` should make the file like any other first start.
fn sqlite_creating(url: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    if query.split('&').any(|pair| pair.starts_with("mode=")) || is_in_memory(url) {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn sqlite_path(url: &str) -> &str {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    path.split('?').next().unwrap_or_default()
}

fn is_in_memory(url: &str) -> bool {
    let path = sqlite_path(url);
    path.is_empty() || path == ":memory:"
}

fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    if is_in_memory(url) {
        return Ok(());
    }
    let path = sqlite_path(url);
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    Ok(())
}

/// Whether `err` is a unique-constraint violation naming `key` (a column or constraint name).
/// SQLite names the column ("UNIQUE constraint failed: users.email_key"), PostgreSQL the
/// constraint ("users_email_key_unique"); both contain the column name.
pub fn is_unique_violation(err: &sqlx::Error, key: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() && (db.constraint().is_some_and(|c| c.contains(key)) || db.message().contains(key))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_without_a_mode_create_the_file() {
        assert_eq!(
            sqlite_creating("sqlite:///var/lib/madblog/madblog.db"),
            "sqlite:///var/lib/madblog/madblog.db?mode=rwc"
        );
        assert_eq!(sqlite_creating("sqlite://data/x.db?cache=shared"), "sqlite://data/x.db?cache=shared&mode=rwc");
        assert_eq!(sqlite_creating("sqlite:x.db?mode=ro"), "sqlite:x.db?mode=ro", "an explicit mode stands");
        assert_eq!(sqlite_creating("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(sqlite_path("sqlite:///var/lib/madblog/madblog.db?mode=rwc"), "/var/lib/madblog/madblog.db");
    }
}
