//! Statements on the `sessions` table: one row per logged-in device.

use super::{
    Pool,
    users::{self, UserRow},
};
use sqlx::Row;
use std::sync::LazyLock;

/// A row of `sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub ip: String,
    pub user_agent: String,
    /// The token generation in use (see the `session_generations` migration).
    pub generation: i64,
    /// When a token of `generation` was first used (Unix seconds).
    pub generation_used_at: i64,
}

const COLUMNS: &str = "id, user_id, created_at, last_seen, ip, user_agent, generation, generation_used_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        last_seen: row.try_get("last_seen")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        generation: row.try_get("generation")?,
        generation_used_at: row.try_get("generation_used_at")?,
    })
}

/// # Errors
/// On a database failure (an unknown account included: the row refers to it).
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    session: &SessionRow,
) -> Result<(), sqlx::Error> {
    let sql = format!("INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    sqlx::query(&sql)
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(session.created_at)
        .bind(session.last_seen)
        .bind(&session.ip)
        .bind(&session.user_agent)
        .bind(session.generation)
        .bind(session.generation_used_at)
        .execute(executor)
        .await?;
    Ok(())
}

/// Built once: every authenticated request runs it, and the column list comes from `users`.
static FIND_WITH_USER: LazyLock<String> = LazyLock::new(|| {
    let user_columns = users::COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT {user_columns}, s.id AS s_id, s.created_at AS s_created_at, s.last_seen AS s_last_seen, \
         s.ip AS s_ip, s.user_agent AS s_user_agent, s.generation AS s_generation, \
         s.generation_used_at AS s_generation_used_at \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"
    )
});

/// The session `id` with its account, in one query: what every authenticated request needs.
///
/// # Errors
/// On a database failure.
pub async fn find_with_user(pool: &Pool, id: &str) -> Result<Option<(SessionRow, UserRow)>, sqlx::Error> {
    let Some(row) = sqlx::query(&FIND_WITH_USER).bind(id).fetch_optional(pool).await? else { return Ok(None) };
    let user = users::from_row(&row)?;
    let session = SessionRow {
        id: row.try_get("s_id")?,
        user_id: user.id.clone(),
        created_at: row.try_get("s_created_at")?,
        last_seen: row.try_get("s_last_seen")?,
        ip: row.try_get("s_ip")?,
        user_agent: row.try_get("s_user_agent")?,
        generation: row.try_get("s_generation")?,
        generation_used_at: row.try_get("s_generation_used_at")?,
    };
    Ok(Some((session, user)))
}

/// The most sessions an account keeps: a login beyond it ends the least recently used one. Nobody
/// uses a hundred devices; a script that logs in in a loop would otherwise grow the table, and the
/// devices list, without end.
pub const MAX_PER_ACCOUNT: i64 = 100;

/// The account's sessions, most recently used first (at most [`MAX_PER_ACCOUNT`]).
///
/// # Errors
/// On a database failure.
pub async fn list(pool: &Pool, user_id: &str) -> Result<Vec<SessionRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY last_seen DESC, created_at DESC, id LIMIT $2"
    );
    sqlx::query(&sql).bind(user_id).bind(MAX_PER_ACCOUNT).fetch_all(pool).await?.iter().map(from_row).collect()
}

/// Ends the account's least recently used sessions beyond the newest `keep`; how many ended.
///
/// # Errors
/// On a database failure.
pub async fn trim<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    keep: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND id NOT IN (SELECT id FROM sessions WHERE user_id = $1 \
         ORDER BY last_seen DESC, created_at DESC, id LIMIT $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// Makes `generation` the session's current token generation, first used at `now`, unless it
/// already is (or a later one is): a newer token was used. One statement, so of two requests
/// that bring the new token at once, one moves it and the other finds it moved.
///
/// # Errors
/// On a database failure.
pub async fn advance_generation(pool: &Pool, id: &str, generation: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET generation = $1, generation_used_at = $2 WHERE id = $3 AND generation < $1")
        .bind(generation)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records use of the session, at most once a minute (see `users::touch_last_seen`).
///
/// # Errors
/// On a database failure.
pub async fn touch(pool: &Pool, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id = $2 AND last_seen < $3")
        .bind(now)
        .bind(id)
        .bind(now - users::LAST_SEEN_GRANULARITY_SECS)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends session `id` if it belongs to `user_id`; whether it did.
///
/// # Errors
/// On a database failure.
pub async fn delete<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of the account but `keep` (none kept with `None`); how many ended.
///
/// # Errors
/// On a database failure.
pub async fn delete_all_but<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or_default())
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions unused since `idle_before` or begun before `begun_before`: ended already (a
/// request would end them), only taking room. How many.
///
/// # Errors
/// On a database failure.
pub async fn delete_stale(pool: &Pool, idle_before: i64, begun_before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(begun_before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
