//! The database: where it is (`DATABASE_URL`, a SQLite file under the data folder by default) and
//! how hard SQLite works to keep a commit (`SQLITE_SYNCHRONOUS`).

use super::{env::Env, secret::Secret};
use anyhow::bail;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// A secret: a PostgreSQL URL holds the password.
    pub url: Secret,
    pub sqlite_sync: SqliteSync,
}

/// How hard SQLite works to keep a commit through a power cut (`SQLITE_SYNCHRONOUS`). PostgreSQL
/// keeps its own setting (`synchronous_commit`, on by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// `synchronous = NORMAL` in WAL mode: a commit is written to the WAL but not fsynced; the WAL
    /// is fsynced at each checkpoint. A crash of the process (even `kill -9`) loses nothing, and
    /// the file is never corrupted; a power cut or kernel crash can roll back the commits the
    /// kernel had not yet written back (typically the last few seconds, at most about 30 s). The
    /// default: it makes a commit three to four times cheaper here (`bench/limits_cost.rs`), and it
    /// is the common production choice for SQLite in WAL mode.
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit waits for an fsync, so an answered request survives a
    /// power cut too.
    Full,
}

impl DatabaseSettings {
    /// # Errors
    /// A `SQLITE_SYNCHRONOUS` that is neither `normal` nor `full`.
    pub fn read(env: &Env<'_>, data_dir: &Path) -> anyhow::Result<Self> {
        let url = env
            .text("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("madblog.db").display()));
        let sqlite_sync = match env.text("SQLITE_SYNCHRONOUS").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("normal") => SqliteSync::Normal,
            Some("full") => SqliteSync::Full,
            Some(_) => bail!("SQLITE_SYNCHRONOUS must be `normal` or `full`"),
        };
        Ok(Self { url: Secret::new(url), sqlite_sync })
    }
}
