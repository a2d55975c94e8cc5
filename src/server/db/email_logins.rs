//! Statements on the `email_logins` table: the flows of sign-in by email (see its migration and
//! `services::email_login`). Each change of a flow's state is one conditional statement, so two
//! requests racing on one flow (two tabs, a scanner and a person, two servers) can't both win.

use super::Pool;
use sqlx::Row;

/// A new flow, as the ask writes it.
pub struct NewFlow<'a> {
    pub handle: &'a str,
    pub flow_hash: &'a str,
    pub code_hash: &'a str,
    pub number_hash: &'a str,
    pub email_hash: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A flow as the pages and the checks read it.
#[derive(Debug, Clone)]
pub struct FlowRow {
    pub handle: String,
    pub code_hash: String,
    pub number_hash: String,
    pub email_hash: String,
    pub user_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub tries: i64,
    pub state: String,
    pub by_number: bool,
}

const COLUMNS: &str = "handle, code_hash, number_hash, email_hash, user_id, ip, user_agent, created_at, expires_at, tries, state, by_number";

fn from_row(row: &sqlx::any::AnyRow) -> Result<FlowRow, sqlx::Error> {
    Ok(FlowRow {
        handle: row.try_get("handle")?,
        code_hash: row.try_get("code_hash")?,
        number_hash: row.try_get("number_hash")?,
        email_hash: row.try_get("email_hash")?,
        user_id: row.try_get("user_id")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        tries: row.try_get("tries")?,
        state: row.try_get("state")?,
        by_number: row.try_get::<i64, _>("by_number")? != 0,
    })
}

/// Writes a new flow, pending.
///
/// # Errors
/// On a database failure.
pub async fn insert(pool: &Pool, flow: &NewFlow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO email_logins (handle, flow_hash, code_hash, number_hash, email_hash, ip, user_agent, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(flow.handle)
    .bind(flow.flow_hash)
    .bind(flow.code_hash)
    .bind(flow.number_hash)
    .bind(flow.email_hash)
    .bind(flow.ip)
    .bind(flow.user_agent)
    .bind(flow.created_at)
    .bind(flow.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Names the account a flow's mail went to (in the transaction that queues the mail).
///
/// # Errors
/// On a database failure.
pub async fn set_user<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    handle: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE email_logins SET user_id = $1 WHERE handle = $2")
        .bind(user_id)
        .bind(handle)
        .execute(executor)
        .await?;
    Ok(())
}

/// The flow with this handle, whatever its state.
///
/// # Errors
/// On a database failure.
pub async fn by_handle(pool: &Pool, handle: &str) -> Result<Option<FlowRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM email_logins WHERE handle = $1");
    sqlx::query(&sql).bind(handle).fetch_optional(pool).await?.as_ref().map(from_row).transpose()
}

/// The flow whose secret hashes to `flow_hash`, whatever its state.
///
/// # Errors
/// On a database failure.
pub async fn by_flow(pool: &Pool, flow_hash: &str) -> Result<Option<FlowRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM email_logins WHERE flow_hash = $1");
    sqlx::query(&sql).bind(flow_hash).fetch_optional(pool).await?.as_ref().map(from_row).transpose()
}

/// Which of a flow's ids a statement finds it by.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// The secret's hash: the browser that asked.
    Flow(&'a str),
    /// The handle: the mailed link.
    Handle(&'a str),
}

impl By<'_> {
    fn column_and_value(&self) -> (&'static str, &str) {
        match self {
            Self::Flow(hash) => ("flow_hash", hash),
            Self::Handle(handle) => ("handle", handle),
        }
    }
}

/// Takes one try at a live flow's code (pending, or approved and not yet handed out), if it has
/// tries left at `now`: the flow after the try. One statement, so however many guesses arrive at
/// once, no more than `max_tries` ever get a hash to compare.
///
/// # Errors
/// On a database failure.
pub async fn take_try(pool: &Pool, by: By<'_>, max_tries: i64, now: i64) -> Result<Option<FlowRow>, sqlx::Error> {
    let (column, value) = by.column_and_value();
    let sql = format!(
        "UPDATE email_logins SET tries = tries + 1 WHERE {column} = $1 AND state IN ('pending', 'approved') \
         AND tries < $2 AND expires_at > $3 RETURNING {COLUMNS}"
    );
    sqlx::query(&sql)
        .bind(value)
        .bind(max_tries)
        .bind(now)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Moves a live flow from one of `from` to `to`; whether it did (another request may have got
/// there first, or it expired).
///
/// # Errors
/// On a database failure.
pub async fn advance(pool: &Pool, by: By<'_>, from: &[&str], to: &str, now: i64) -> Result<bool, sqlx::Error> {
    let (column, value) = by.column_and_value();
    // The states are this module's own constants, never input.
    let from = from.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let sql =
        format!("UPDATE email_logins SET state = $1 WHERE {column} = $2 AND state IN ({from}) AND expires_at > $3");
    let done = sqlx::query(&sql).bind(to).bind(value).bind(now).execute(pool).await?;
    Ok(done.rows_affected() == 1)
}

/// Approves a pending flow that may still be approved by number; whether it did.
///
/// # Errors
/// On a database failure.
pub async fn approve(pool: &Pool, handle: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE email_logins SET state = 'approved' \
         WHERE handle = $1 AND state = 'pending' AND by_number = 1 AND expires_at > $2",
    )
    .bind(handle)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A wrong number was typed for this flow: it can never be approved by number again, and the
/// address has one more strike.
///
/// # Errors
/// On a database failure.
pub async fn refuse_number(pool: &Pool, handle: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE email_logins SET by_number = 0, wrong_number_at = $1 WHERE handle = $2 AND by_number = 1")
        .bind(now)
        .bind(handle)
        .execute(pool)
        .await?;
    Ok(())
}

/// When wrong numbers were typed for the address hashed to `email_hash` since `since`, oldest
/// first.
///
/// # Errors
/// On a database failure.
pub async fn wrong_numbers_since(pool: &Pool, email_hash: &str, since: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT wrong_number_at FROM email_logins WHERE email_hash = $1 AND wrong_number_at >= $2 \
         ORDER BY wrong_number_at",
    )
    .bind(email_hash)
    .bind(since)
    .fetch_all(pool)
    .await
}

/// Forgets flows that ended before `before` (kept a while after their end: their wrong numbers
/// count for a day); how many.
///
/// # Errors
/// On a database failure.
pub async fn delete_expired(pool: &Pool, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM email_logins WHERE expires_at <= $1").bind(before).execute(pool).await?.rows_affected())
}
