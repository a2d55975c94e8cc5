//! Email confirmation: the link mailed at registration (and on request), and confirming with it.

use crate::{
    domain::{Code, SecurityEventKind},
    error::AppError,
    i18n::Msg,
    server::{
        auth::{
            password::lock_marker,
            tokens::{ConfirmClaims, Purpose},
        },
        clock::now,
        config::env::origin_of,
        db::{
            sessions,
            users::{self, UserRow},
        },
        email::{self, Budget, MailKind},
        identity::{CurrentUser, Device},
        limits::{self, Refused},
        network::ClientNetwork,
        services::{
            codes::{self, Checked, CodePurpose},
            security, session,
        },
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("already confirmed")]
    AlreadyConfirmed,
    /// Expired, forged, of another purpose, for another account or another address.
    #[error("invalid confirmation link")]
    InvalidLink,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("already confirmed")]
    AlreadyConfirmed,
    #[error("resend throttled")]
    Throttled { retry_after: u64 },
    #[error("resend throttled for the client address")]
    ThrottledNetwork { retry_after: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ConfirmError> for AppError {
    fn from(err: ConfirmError) -> Self {
        match err {
            ConfirmError::AlreadyConfirmed => AppError::BadRequest(Msg::AlreadyConfirmed),
            ConfirmError::InvalidLink => AppError::BadRequest(Msg::ConfirmLinkInvalid),
            ConfirmError::Unexpected(e) => super::internal_error("confirmation", &e),
        }
    }
}

impl From<ResendError> for AppError {
    fn from(err: ResendError) -> Self {
        match err {
            ResendError::AlreadyConfirmed => AppError::BadRequest(Msg::AlreadyConfirmed),
            ResendError::Throttled { retry_after } => {
                AppError::TooManyRequests { message: Msg::ResendThrottled, retry_after }
            }
            ResendError::ThrottledNetwork { retry_after } => {
                AppError::TooManyRequests { message: Msg::ResendThrottledNetwork, retry_after }
            }
            ResendError::Unexpected(e) => super::internal_error("resending the confirmation", &e),
        }
    }
}

/// The link a confirmation mail carries. From `APP_URL`, always, unless the client named a
/// `confirm_email_base_url` (the seed's front end did) whose origin is explicitly allowed: a link
/// built from anything a client sends would let anyone mail a victim a live token pointing at their
/// own site. The token goes in the fragment, which browsers never send to servers or in `Referer`.
pub fn link(state: &AppState, token: &str, base_url: Option<&str>) -> String {
    let allowed = base_url
        .filter(|base| origin_of(base).is_some_and(|origin| state.settings.links.allowed_origins.contains(&origin)));
    match allowed {
        Some(base) => format!("{base}{token}"),
        None => format!("{}/unconfirmed#token={token}", state.settings.app_url),
    }
}

/// Whom a confirmation mail is for: the account, and the address (and its version) it confirms.
pub struct ConfirmTo<'a> {
    pub user_id: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    /// `users.email_version`: the link dies with any correction of the address.
    pub email_version: i64,
}

impl<'a> ConfirmTo<'a> {
    pub fn account(row: &'a users::UserRow) -> Self {
        Self { user_id: &row.id, username: &row.username, email: &row.email, email_version: row.email_version }
    }
}

/// What a confirmation mail says: a freshly signed link for the account and address, and a fresh
/// code for the same (stored through `executor`: the transaction that queues the mail), which
/// replaces the code of any mail before.
///
/// # Errors
/// When the code can't be stored.
pub async fn mail_context<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    state: &AppState,
    to: &ConfirmTo<'_>,
    base_url: Option<&str>,
) -> anyhow::Result<Value> {
    let iat = now();
    let ttl = state.settings.links.confirm_ttl.as_secs();
    let claims = ConfirmClaims {
        sub: to.user_id.to_owned(),
        email: to.email.to_owned(),
        ev: Some(to.email_version),
        typ: Purpose::Confirm.typ().to_owned(),
        iat,
        exp: iat + ttl as i64,
    };
    let token = state.tokens.sign(Purpose::Confirm, &claims);
    let code = codes::issue(executor, state, to.user_id, to.email, CodePurpose::Confirm, ttl as i64).await?;
    Ok(json!({
        "username": to.username,
        "link": link(state, &token, base_url),
        "code": code,
        // Seconds: the template words them in the account's language.
        "valid_for": ttl,
    }))
}

/// Confirms `user`'s account with `token` and returns a fresh session token that says so.
///
/// # Errors
/// `AlreadyConfirmed`, or `InvalidLink` for any token that isn't a live confirmation token for this
/// account and its current address.
pub async fn confirm(state: &AppState, user: &CurrentUser, token: &str) -> Result<String, ConfirmError> {
    if user.confirmed() {
        return Err(ConfirmError::AlreadyConfirmed);
    }
    let claims: ConfirmClaims = state.tokens.verify(Purpose::Confirm, token).map_err(|_| ConfirmError::InvalidLink)?;
    // Another account's link, even a valid one, confirms nothing here (the seed's rule); nor does
    // one mailed before the address was corrected.
    let row = &user.row;
    if claims.sub != row.id || claims.email != row.email || claims.ev.is_some_and(|ev| ev != row.email_version) {
        return Err(ConfirmError::InvalidLink);
    }
    finish(state, user).await
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmCodeError {
    #[error("already confirmed")]
    AlreadyConfirmed,
    #[error("not a code")]
    Format(Msg),
    #[error("wrong code")]
    Wrong,
    #[error("no live code")]
    Dead,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ConfirmCodeError> for AppError {
    fn from(err: ConfirmCodeError) -> Self {
        match err {
            ConfirmCodeError::AlreadyConfirmed => AppError::BadRequest(Msg::AlreadyConfirmed),
            ConfirmCodeError::Format(message) => AppError::field("code", message),
            ConfirmCodeError::Wrong => AppError::field("code", Msg::CodeWrong),
            ConfirmCodeError::Dead => AppError::field("code", Msg::CodeDead),
            ConfirmCodeError::Unexpected(e) => super::internal_error("confirmation by code", &e),
        }
    }
}

/// Confirms `user`'s account with the code from its confirmation mail, typed on any device where
/// the account is logged in, and returns a fresh session token that says so. Here the answer may
/// say wrong or dead: the session already proves whose account it is.
///
/// # Errors
/// `AlreadyConfirmed`; `Format` for anything but eight digits (no try spent); `Wrong`; `Dead` when
/// no live code is left (expired, used, or five wrong tries).
pub async fn confirm_with_code(state: &AppState, user: &CurrentUser, typed: &str) -> Result<String, ConfirmCodeError> {
    if user.confirmed() {
        return Err(ConfirmCodeError::AlreadyConfirmed);
    }
    let code = Code::parse(typed).map_err(ConfirmCodeError::Format)?;
    match codes::check(state, &user.row.id, &user.row.email, CodePurpose::Confirm, &code).await? {
        Checked::Right => {}
        Checked::Wrong => return Err(ConfirmCodeError::Wrong),
        Checked::Dead => return Err(ConfirmCodeError::Dead),
    }
    finish(state, user).await.map_err(|e| match e {
        ConfirmError::AlreadyConfirmed => ConfirmCodeError::AlreadyConfirmed,
        // The address changed between the mail and the code: the code was for the old one.
        ConfirmError::InvalidLink => ConfirmCodeError::Dead,
        ConfirmError::Unexpected(e) => ConfirmCodeError::Unexpected(e),
    })
}

/// Marks the account confirmed for the address (and address version) the session read, if the
/// account still has it, logs it, and returns the session's confirmed token.
async fn finish(state: &AppState, user: &CurrentUser) -> Result<String, ConfirmError> {
    // One statement, no transaction: confirm is the hottest write, and on SQLite a transaction
    // holds the write lock across its round trips, which cut confirmations per second by two
    // thirds under load (`bench/http_throughput.py`). The log row goes through the batching
    // writer; a crash before it writes loses that row, never the confirmation.
    let (id, email, version) = (&user.row.id, &user.row.email, user.row.email_version);
    let Some(row) = users::confirm(&state.pool, id, email, version).await.context("confirming the account")? else {
        // Lost a race with another confirmation, or the address changed in between.
        let now_confirmed = users::find_by_id(&state.pool, &user.row.id)
            .await
            .context("reloading the account")?
            .is_some_and(|row| row.confirmed);
        return Err(if now_confirmed { ConfirmError::AlreadyConfirmed } else { ConfirmError::InvalidLink });
    };
    // The code is not deleted: a confirmed account's code confirms nothing (the code path checks
    // `confirmed` first), and the housekeeping job forgets it with the expired ones.
    state.events.soon(security::event_row(&row.id, SecurityEventKind::Confirmed, &user.device)).await;
    tracing::info!(user_id = %row.id, "account confirmed");
    Ok(session::reissue(state, user, &row))
}

/// Queues another confirmation mail. Earlier links keep working until they expire: people click
/// the first mail as often as the last.
///
/// # Errors
/// `AlreadyConfirmed`; `Throttled` within a minute of the last mail or after five in an hour.
pub async fn resend(state: &AppState, user: &CurrentUser, base_url: Option<&str>) -> Result<(), ResendError> {
    if user.confirmed() {
        return Err(ResendError::AlreadyConfirmed);
    }
    let row = &user.row;
    // Before the transaction: a write elsewhere while it reads would make SQLite refuse its own
    // write later.
    let client = ClientNetwork::of(user.device.ip);
    if let Err(Refused { retry_after }) = state.limits.spend_network(&limits::RESENDS_PER_NETWORK, client).await? {
        return Err(ResendError::ThrottledNetwork { retry_after });
    }
    // The budget, the new code and the mail in one transaction: a refused resend must not replace
    // the code of the mail before it.
    let mut tx = state.pool.begin().await.context("starting a resend")?;
    let retry_after = email::budget_wait(&mut tx, Budget::OnRequest, MailKind::Confirm, &row.id).await?;
    if retry_after > 0 {
        drop(tx);
        // The account's own pace refused it: no mail went out, so the network's count stays.
        state.limits.give_back_network(&limits::RESENDS_PER_NETWORK, client).await?;
        return Err(ResendError::Throttled { retry_after });
    }
    let context = mail_context(&mut *tx, state, &ConfirmTo::account(row), base_url).await?;
    email::queue_requested(&mut *tx, MailKind::Confirm, row.locale, Some(&row.id), &row.email, context).await?;
    tx.commit().await.context("committing a resend")?;
    state.mail.wake();
    tracing::info!(user_id = %row.id, "confirmation mail queued again");
    Ok(())
}

/// Confirms an unconfirmed account whose address a sign-in by email just proved, and returns it as
/// it is now. Someone may have registered the owner's address with a password of their own, waiting
/// for the owner to confirm it (pre-hijacking): so the password is dropped (locked with a fresh
/// marker, as a revert locks it) and every session ends, in the same statement and transaction as
/// the confirmation. The account then signs in by email, or sets a password with a reset.
///
/// # Errors
/// On a database failure.
pub async fn confirm_by_sign_in(state: &AppState, user: &UserRow, device: &Device) -> anyhow::Result<UserRow> {
    let mut tx = state.pool.begin().await.context("starting a confirmation by sign-in")?;
    let (id, email, version) = (&user.id, &user.email, user.email_version);
    let Some(row) = users::confirm_by_email(&mut *tx, id, email, version, &lock_marker())
        .await
        .context("confirming the account by sign-in")?
    else {
        drop(tx);
        // Confirmed meanwhile (by its link, or by another sign-in): the account as it is now.
        let row = users::find_by_id(&state.pool, id).await.context("reloading the account")?;
        return row.context("the account was deleted while signing in");
    };
    sessions::delete_all_but(&mut *tx, &row.id, None).await.context("ending every session")?;
    security::record(&mut *tx, &row.id, SecurityEventKind::Confirmed, device).await?;
    tx.commit().await.context("committing a confirmation by sign-in")?;
    tracing::info!(user_id = %row.id, "account confirmed by a sign-in by email: password dropped, every session ended");
    Ok(row)
}
