//! The database: one pool for SQLite or PostgreSQL, chosen by `DATABASE_URL`, and one function per
//! statement in the submodules.

pub mod outbox;
pub mod users;

use crate::server::config::Secret;
use anyhow::Context;
use sqlx::{Executor, any::AnyPoolOptions};
use std::time::Duration;

pub type Pool = sqlx::AnyPool;

/// Connects, applies the SQLite pragmas on every connection, and runs pending migrations.
///
/// # Errors
/// If the database can't be reached or created, or a migration fails.
pub async fn connect(url: &Secret) -> anyhow::Result<Pool> {
    sqlx::any::install_default_drivers();
    let url = url.expose();
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        ensure_sqlite_dir(url)?;
    }
    let pool = AnyPoolOptions::new()
        // SQLite serialises writers anyway; a few connections serve concurrent readers in WAL mode.
        .max_connections(if sqlite { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    // Wait for a lock instead of failing at once; WAL lets readers run beside the
                    // writer; foreign keys are off by default in SQLite.
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        // The URL may hold a password: say which kind of database failed, not where.
        .with_context(|| {
            format!(
                "could not connect to the {} database in DATABASE_URL",
                if sqlite { "SQLite" } else { "configured" }
            )
        })?;
    sqlx::migrate!("./migrations").run(&pool).await.context("database migration failed")?;
    Ok(pool)
}

fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
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
