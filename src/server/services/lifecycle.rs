//! Account lifecycle: the housekeeping job (reminding and then deleting accounts left
//! unconfirmed, and forgetting what has expired), and deleting one's own account.
//!
//! The job runs on every server, every `HOUSEKEEPING_INTERVAL_SECONDS`, with no leader: each step
//! is a statement that two servers can run at once without doing anything twice (a reminder is
//! claimed in the transaction that queues it; deletions are idempotent).

use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        clock::now,
        db::{action_codes, address_holds, email_logins, outbox, sessions, suppressions, users},
        email::{self, MailKind},
        identity::CurrentUser,
        services::{
            confirmation::{self, ConfirmTo},
            password::{self, IdentityError},
            security,
        },
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;

/// What one run of the job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Housekeeping {
    pub reminded: usize,
    pub purged: usize,
    /// Expired codes, address holds and stale sessions, and security events past 90 days.
    pub forgotten: u64,
    /// Sent mail older than `OUTBOX_KEEP_DAYS`.
    pub sent_mail_forgotten: u64,
}

/// Accounts reminded per run at most: a backlog (the first run after an upgrade) is worked off
/// over several runs rather than in one long burst of mail.
const REMINDERS_PER_RUN: i64 = 500;

/// Accounts deleted per transaction. After a wave of spam sign-ups, one transaction for all of
/// them would hold SQLite's write lock (every other write waits) for as long as it takes.
const PURGE_BATCH: i64 = 500;

/// One run of the housekeeping job, at `now`: deletes the accounts unconfirmed for
/// `UNCONFIRMED_PURGE_DAYS`, reminds those unconfirmed for `UNCONFIRMED_REMIND_DAYS`, and forgets
/// what has expired and mail sent more than `OUTBOX_KEEP_DAYS` ago.
///
/// # Errors
/// On a database failure; what was done before it stays done.
pub async fn housekeep(state: &AppState, now: i64) -> anyhow::Result<Housekeeping> {
    let settings = &state.settings;
    // Deleting first: an account past both ages (the job was off for a while) is not reminded of
    // an account it no longer has.
    let purged = purge_unconfirmed(state, now - settings.lifecycle.unconfirmed_purge.as_secs() as i64).await?;

    let mut reminded = 0;
    let due = now - settings.lifecycle.unconfirmed_remind.as_secs() as i64;
    for user in users::unreminded_unconfirmed(&state.pool, due, REMINDERS_PER_RUN).await.context("finding reminders")? {
        let mut tx = state.pool.begin().await.context("starting a reminder")?;
        // Another server got there first: its transaction has the mail.
        if !users::claim_reminder(&mut *tx, &user.id, now).await.context("claiming a reminder")? {
            continue;
        }
        let mut context = confirmation::mail_context(&mut *tx, state, &ConfirmTo::account(&user), None).await?;
        // In whole days, rounded up: "4 days", not "95 hours 59 minutes".
        let left = (user.created_at + settings.lifecycle.unconfirmed_purge.as_secs() as i64 - now).max(0);
        context["purge_in"] = json!((left as u64).div_ceil(86_400) * 86_400);
        email::queue(&mut *tx, MailKind::ConfirmReminder, user.locale, Some(&user.id), &user.email, context).await?;
        tx.commit().await.context("committing a reminder")?;
        tracing::info!(user_id = %user.id, "unconfirmed account reminded");
        reminded += 1;
    }
    if reminded > 0 {
        state.mail.wake();
    }

    let forgotten = action_codes::delete_expired(&state.pool, now).await.context("forgetting expired codes")?
        + address_holds::delete_expired(&state.pool, now).await.context("forgetting expired holds")?
        // Kept two days past their end: their wrong numbers count against the address for a day.
        + email_logins::delete_expired(&state.pool, now - 2 * 86_400).await.context("forgetting sign-in flows")?
        + sessions::delete_stale(
            &state.pool,
            now - settings.session.idle.as_secs() as i64,
            now - settings.session.max.as_secs() as i64,
        )
        .await
        .context("forgetting ended sessions")?
        + security::prune(&state.pool).await?
        + suppressions::purge_expired(&state.pool, now).await.context("forgetting expired suppressions")?;
    let sent_mail_forgotten = outbox::purge_sent(&state.pool, now - settings.mail.keep.as_secs() as i64)
        .await
        .context("forgetting sent mail")?;
    Ok(Housekeeping { reminded, purged: purged.len(), forgotten, sent_mail_forgotten })
}

/// Deletes the accounts unconfirmed since before `before` with their mail, `PURGE_BATCH` to a
/// transaction, oldest first; their ids. A batch that fails is undone alone: the ones before it
/// stay deleted.
async fn purge_unconfirmed(state: &AppState, before: i64) -> anyhow::Result<Vec<String>> {
    let mut purged = Vec::new();
    loop {
        let mut tx = state.pool.begin().await.context("starting the purge")?;
        let batch = users::delete_unconfirmed_before(&mut *tx, before, PURGE_BATCH)
            .await
            .context("deleting unconfirmed accounts")?;
        for id in &batch {
            outbox::delete_for_user(&mut *tx, id).await.context("forgetting a purged account's mail")?;
        }
        tx.commit().await.context("committing the purge")?;
        for id in &batch {
            tracing::info!(user_id = %id, "unconfirmed account deleted");
        }
        // A short batch is the last one. (With another server purging at once, both may stop
        // short of the end: the next run takes the rest.)
        let last = (batch.len() as i64) < PURGE_BATCH;
        purged.extend(batch);
        if last {
            return Ok(purged);
        }
    }
}

/// Runs [`housekeep`] every `HOUSEKEEPING_INTERVAL_SECONDS` until `stop` fires.
pub fn spawn(state: AppState, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<()> {
    let every = state.settings.lifecycle.housekeeping_every;
    crate::server::clock::spawn_every(every, stop, move || {
        let state = state.clone();
        async move {
            match housekeep(&state, now()).await {
                Ok(done) if done != Housekeeping::default() => tracing::info!(?done, "housekeeping"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "housekeeping failed; will retry"),
            }
        }
    })
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteAccountError {
    #[error("wrong password")]
    WrongPassword,
    #[error("no password")]
    NoPassword,
    #[error("too many password attempts")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DeleteAccountError> for AppError {
    fn from(err: DeleteAccountError) -> Self {
        match err {
            DeleteAccountError::WrongPassword => AppError::field("password", Msg::PasswordWrong),
            DeleteAccountError::NoPassword => AppError::field("password", Msg::NoPasswordYet),
            DeleteAccountError::Throttled { retry_after, message } => {
                AppError::TooManyRequests { message, retry_after }
            }
            DeleteAccountError::Unexpected(e) => super::internal_error("deleting an account", &e),
        }
    }
}

/// Deletes the logged-in account (confirmed or not), with its password typed again: its sessions,
/// codes, address holds, security log and every mail about it go too. Then a goodbye goes to the
/// address it had, queued in the same transaction as the deletion, so one never happens without
/// the other.
///
/// # Errors
/// `NoPassword` (it sets one first); `WrongPassword`; `Throttled` after five wrong passwords (shared with the other forms that ask
/// for it again), or when the account's or the network's password hashes are spent.
pub async fn delete_account(state: &AppState, user: &CurrentUser, password: &str) -> Result<(), DeleteAccountError> {
    match password::confirm_identity(state, user, password).await {
        Ok(()) => {}
        Err(IdentityError::Wrong) => return Err(DeleteAccountError::WrongPassword),
        Err(IdentityError::NoPassword) => return Err(DeleteAccountError::NoPassword),
        Err(IdentityError::Throttled { retry_after, message }) => {
            return Err(DeleteAccountError::Throttled { retry_after, message });
        }
        Err(IdentityError::Unexpected(e)) => return Err(e.into()),
    }
    let row = &user.row;
    let mut tx = state.pool.begin().await.context("starting the deletion")?;
    if !users::delete(&mut *tx, &row.id).await.context("deleting the account")? {
        // Deleted a moment ago by another request: done already, and its goodbye is on its way.
        return Ok(());
    }
    outbox::delete_for_user(&mut *tx, &row.id).await.context("forgetting the account's mail")?;
    let context = json!({ "username": row.username, "link": format!("{}/register", state.settings.app_url) });
    // No account to name: the goodbye is about one that is gone.
    email::queue(&mut *tx, MailKind::Goodbye, row.locale, None, &row.email, context).await?;
    tx.commit().await.context("committing the deletion")?;
    state.mail.wake();
    tracing::info!(user_id = %row.id, "account deleted by its owner");
    Ok(())
}
