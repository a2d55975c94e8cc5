//! Statements on the `security_events` table: an insert and reads, nothing that rewrites history.

use sqlx::Row;

/// A row of `security_events`. `kind` is the stored name (see `domain::SecurityEventKind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
}

/// # Errors
/// On a database failure (an unknown account included: the row refers to it).
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    event: &EventRow,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO security_events (id, user_id, kind, at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&event.id)
        .bind(&event.user_id)
        .bind(&event.kind)
        .bind(event.at)
        .bind(&event.ip)
        .bind(&event.user_agent)
        .execute(executor)
        .await?;
    Ok(())
}

/// Appends `events` in one statement (a batch from the event writer).
///
/// # Errors
/// On a database failure; then none of them was written.
pub async fn insert_many(pool: &super::Pool, events: &[EventRow]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..events.len())
        .map(|i| {
            let n = i * 6;
            format!("(${}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6)
        })
        .collect();
    let sql = format!("INSERT INTO security_events (id, user_id, kind, at, ip, user_agent) VALUES {}", rows.join(", "));
    let mut query = sqlx::query(&sql);
    for event in events {
        query = query
            .bind(&event.id)
            .bind(&event.user_id)
            .bind(&event.kind)
            .bind(event.at)
            .bind(&event.ip)
            .bind(&event.user_agent);
    }
    query.execute(pool).await?;
    Ok(())
}

/// The account's events since `since` (Unix seconds), newest first, at most `limit`.
///
/// # Errors
/// On a database failure.
pub async fn list_since(
    pool: &super::Pool,
    user_id: &str,
    since: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id, kind, at, ip, user_agent FROM security_events \
         WHERE user_id = $1 AND at >= $2 ORDER BY at DESC, id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(since)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(EventRow {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                kind: row.try_get("kind")?,
                at: row.try_get("at")?,
                ip: row.try_get("ip")?,
                user_agent: row.try_get("user_agent")?,
            })
        })
        .collect()
}

/// Forgets events older than `before` (Unix seconds); how many went. The log promises 90 days,
/// and keeps no more than it shows.
///
/// # Errors
/// On a database failure.
pub async fn delete_before(pool: &super::Pool, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM security_events WHERE at < $1").bind(before).execute(pool).await?.rows_affected())
}
