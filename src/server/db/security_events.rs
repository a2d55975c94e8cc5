//! Statements on the `security_events` table: inserts and reads. Nothing rewrites history, except
//! the one fold: an event with a fold key adds itself to the account's row of that key (its
//! `count` and `last_at`) when there is one.

use sqlx::Row;
use std::collections::HashMap;

/// A row of `security_events`. `kind` is the stored name (see `domain::SecurityEventKind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    /// The first event the row stands for (Unix seconds).
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
    /// How many events the row stands for.
    pub count: i64,
    /// The latest of them (Unix seconds).
    pub last_at: i64,
    /// What the row folds under, for the events that fold (see the migration); `None` for the rest.
    pub fold: Option<String>,
}

const COLUMNS: &str = "id, user_id, kind, at, ip, user_agent, count, last_at, fold";

/// A row that meets the account's row of the same fold adds itself to it. (Rows without a fold
/// never meet one: NULLs are distinct in the unique index.)
const FOLD: &str = "ON CONFLICT (user_id, fold) DO UPDATE SET \
                    count = security_events.count + excluded.count, \
                    last_at = CASE WHEN excluded.last_at > COALESCE(security_events.last_at, security_events.at) \
                    THEN excluded.last_at ELSE COALESCE(security_events.last_at, security_events.at) END";

/// # Errors
/// On a database failure (an unknown account included: the row refers to it).
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    event: &EventRow,
) -> Result<(), sqlx::Error> {
    let sql = format!("INSERT INTO security_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) {FOLD}");
    sqlx::query(&sql)
        .bind(&event.id)
        .bind(&event.user_id)
        .bind(&event.kind)
        .bind(event.at)
        .bind(&event.ip)
        .bind(&event.user_agent)
        .bind(event.count)
        .bind(event.last_at)
        .bind(&event.fold)
        .execute(executor)
        .await?;
    Ok(())
}

/// Appends `events` in one statement (a batch from the event writer), folding those with a fold
/// key, and leaving out those whose account is gone (deleted since the event was queued: its log
/// went with it), so that one stale event can't make the database refuse the whole batch.
///
/// # Errors
/// On a database failure; then none of them was written. (An account deleted while this runs can
/// still fail the foreign key: written again, the batch leaves that one out.)
pub async fn insert_many(pool: &super::Pool, events: &[EventRow]) -> Result<(), sqlx::Error> {
    let events = merge_folds(events);
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..events.len())
        .map(|i| {
            let params: Vec<String> = (1..=9).map(|p| format!("${}", i * 9 + p)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    // The VALUES list's columns are column1… on both databases. (SQLite needs the WHERE anyway: an
    // upsert from a SELECT without one is ambiguous to its parser.)
    let sql = format!(
        "INSERT INTO security_events ({COLUMNS}) \
         SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9 \
         FROM (VALUES {}) AS batch \
         WHERE EXISTS (SELECT 1 FROM users WHERE users.id = batch.column2) {FOLD}",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for event in &events {
        query = query
            .bind(&event.id)
            .bind(&event.user_id)
            .bind(&event.kind)
            .bind(event.at)
            .bind(&event.ip)
            .bind(&event.user_agent)
            .bind(event.count)
            .bind(event.last_at)
            .bind(&event.fold);
    }
    query.execute(pool).await?;
    Ok(())
}

/// The batch with the events of each (account, fold) made one, in order of their first: PostgreSQL
/// refuses an upsert that meets one row twice in a statement.
fn merge_folds(events: &[EventRow]) -> Vec<EventRow> {
    let mut merged: Vec<EventRow> = Vec::with_capacity(events.len());
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for event in events {
        let Some(fold) = event.fold.as_deref() else {
            merged.push(event.clone());
            continue;
        };
        match seen.get(&(event.user_id.as_str(), fold)) {
            Some(&i) => {
                let row = &mut merged[i];
                row.count += event.count;
                row.at = row.at.min(event.at);
                row.last_at = row.last_at.max(event.last_at);
            }
            None => {
                seen.insert((&event.user_id, fold), merged.len());
                merged.push(event.clone());
            }
        }
    }
    merged
}

/// The account's events since `since` (Unix seconds), newest first (by their last, for a folded
/// row), at most `limit`.
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
        "SELECT id, user_id, kind, at, ip, user_agent, count, COALESCE(last_at, at) AS last_at, fold \
         FROM security_events WHERE user_id = $1 AND at >= $2 ORDER BY COALESCE(last_at, at) DESC, id DESC LIMIT $3",
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
                count: row.try_get("count")?,
                last_at: row.try_get("last_at")?,
                fold: row.try_get("fold")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user_id: &str, fold: Option<&str>, at: i64) -> EventRow {
        EventRow {
            id: format!("{user_id}-{at}"),
            user_id: user_id.into(),
            kind: "login_failed".into(),
            at,
            ip: "203.0.113.7".into(),
            user_agent: "curl".into(),
            count: 1,
            last_at: at,
            fold: fold.map(str::to_owned),
        }
    }

    #[test]
    fn a_batch_holds_each_fold_of_an_account_once() {
        let batch = [
            row("a", Some("k"), 10),
            row("a", None, 11),
            row("b", Some("k"), 12),
            row("a", Some("k"), 13),
            row("a", None, 14),
            row("a", Some("k"), 9),
        ];
        let merged = merge_folds(&batch);
        let summary: Vec<(&str, Option<&str>, i64, i64, i64)> =
            merged.iter().map(|r| (r.user_id.as_str(), r.fold.as_deref(), r.count, r.at, r.last_at)).collect();
        assert_eq!(
            summary,
            [("a", Some("k"), 3, 9, 13), ("a", None, 1, 11, 11), ("b", Some("k"), 1, 12, 12), ("a", None, 1, 14, 14)]
        );
        assert_eq!(merged[0].id, "a-10", "the first event's id stands for the row");
    }
}
