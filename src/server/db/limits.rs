//! Statements on the `rate_limits` table (the rule itself is explained in its migration and in
//! `server::limits`).

use super::Pool;

/// Spends one attempt of `key` if its allowance has one, in one atomic statement. Returns whether
/// the attempt was allowed.
///
/// The upsert's `WHERE` makes a refused attempt change nothing and return no row, so concurrent
/// callers on any number of servers can never spend more than the allowance: PostgreSQL locks the
/// row and re-checks the condition on its newest version, SQLite runs one writer at a time.
///
/// # Errors
/// On a database failure.
pub async fn take(
    pool: &Pool,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
    tolerance_ms: i64,
) -> Result<bool, sqlx::Error> {
    let row: Option<i64> = sqlx::query_scalar(
        "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE \
         SET tat_ms = CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END + $3 \
         WHERE rate_limits.tat_ms <= $2 + $4 \
         RETURNING tat_ms",
    )
    .bind(key)
    .bind(now_ms)
    .bind(interval_ms)
    .bind(tolerance_ms)
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// The state of `key` (`None`: a full allowance), to tell a refused caller how long to wait.
///
/// # Errors
/// On a database failure.
pub async fn tat(pool: &Pool, key: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT tat_ms FROM rate_limits WHERE key = $1").bind(key).fetch_optional(pool).await
}

/// Gives back one attempt spent on `key` (an attempt that turned out not to count).
///
/// # Errors
/// On a database failure.
pub async fn give_back(pool: &Pool, key: &str, interval_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE rate_limits SET tat_ms = tat_ms - $1 WHERE key = $2")
        .bind(interval_ms)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Restores `key`'s full allowance.
///
/// # Errors
/// On a database failure.
pub async fn clear(pool: &Pool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1").bind(key).execute(pool).await?;
    Ok(())
}

/// Deletes the rows whose allowance is full again (they say nothing a missing row doesn't).
/// Returns how many went.
///
/// # Errors
/// On a database failure.
pub async fn sweep(pool: &Pool, now_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM rate_limits WHERE tat_ms <= $1").bind(now_ms).execute(pool).await?.rows_affected())
}
