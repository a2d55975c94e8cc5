//! Queueing mail, in the transaction of the change that causes it, and what the per-account mail
//! budgets and account deletion read and forget.

/// A mail to queue.
pub struct NewMail<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub now: i64,
    /// The person asked for it just now: a complaint doesn't stop it.
    pub requested: bool,
}

/// Queues a mail, due now. Meant to run in the transaction of the change that causes it.
///
/// # Errors
/// On a database failure.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    mail: &NewMail<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, user_id, recipient, subject, body_text, body_html, created_at, attempts, \
         next_attempt_at, requested) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $8, $9)",
    )
    .bind(mail.id)
    .bind(mail.kind)
    .bind(mail.user_id)
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.body_text)
    .bind(mail.body_html)
    .bind(mail.now)
    .bind(i64::from(mail.requested))
    .execute(executor)
    .await?;
    Ok(())
}

/// When the account got mails of `kind` since `since` (oldest first), for per-account throttles.
///
/// # Errors
/// On a database failure.
pub async fn recent_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
    kind: &str,
    since: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT created_at FROM outbox WHERE user_id = $1 AND kind = $2 AND created_at > $3 ORDER BY created_at",
    )
    .bind(user_id)
    .bind(kind)
    .bind(since)
    .fetch_all(executor)
    .await
}

/// Forgets every mail about the account (sent ones keep recipients and subjects): for an account
/// being deleted. How many.
///
/// # Errors
/// On a database failure.
pub async fn delete_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM outbox WHERE user_id = $1").bind(user_id).execute(executor).await?.rows_affected())
}
