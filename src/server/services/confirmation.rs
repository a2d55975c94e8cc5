//! Email confirmation: the link mailed at registration (and on request), and confirming with it.

use crate::{
    domain::SecurityEventKind,
    error::AppError,
    i18n::Msg,
    server::{
        auth::tokens::{ConfirmClaims, Purpose, now},
        config::origin_of,
        db::users,
        email::{self, Budget, Budgeted, MailKind},
        services::{
            security,
            session::{CurrentUser, issue_session},
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
        .filter(|base| origin_of(base).is_some_and(|origin| state.settings.link_allowed_origins.contains(&origin)));
    match allowed {
        Some(base) => format!("{base}{token}"),
        None => format!("{}/unconfirmed#token={token}", state.settings.app_url),
    }
}

/// What a confirmation mail says: a freshly signed link for the account and address.
pub fn mail_context(state: &AppState, user_id: &str, username: &str, email: &str, base_url: Option<&str>) -> Value {
    let iat = now();
    let ttl = state.settings.confirm_ttl.as_secs();
    let claims = ConfirmClaims {
        sub: user_id.to_owned(),
        email: email.to_owned(),
        typ: Purpose::Confirm.typ().to_owned(),
        iat,
        exp: iat + ttl as i64,
    };
    let token = state.tokens.sign(Purpose::Confirm, &claims);
    json!({
        "username": username,
        "link": link(state, &token, base_url),
        // Seconds: the template words them in the account's language.
        "valid_for": ttl,
    })
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
    // Another account's link, even a valid one, confirms nothing here (the seed's rule).
    if claims.sub != user.row.id || claims.email != user.row.email {
        return Err(ConfirmError::InvalidLink);
    }
    let mut tx = state.pool.begin().await.context("starting the confirmation")?;
    let Some(row) = users::confirm(&mut *tx, &user.row.id, &claims.email).await.context("confirming the account")?
    else {
        drop(tx);
        // Lost a race with another confirmation, or the address changed in between.
        let now_confirmed = users::find_by_id(&state.pool, &user.row.id)
            .await
            .context("reloading the account")?
            .is_some_and(|row| row.confirmed);
        return Err(if now_confirmed { ConfirmError::AlreadyConfirmed } else { ConfirmError::InvalidLink });
    };
    security::record(&mut *tx, &row.id, SecurityEventKind::Confirmed, &user.device).await?;
    tx.commit().await.context("committing the confirmation")?;
    tracing::info!(user_id = %row.id, "account confirmed");
    Ok(issue_session(state, &row, &user.session.id))
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
    let context = mail_context(state, &row.id, &row.username, &row.email, base_url);
    let queued = email::queue_within_budget(
        &state.pool,
        Budget::OnRequest,
        MailKind::Confirm,
        row.locale,
        &row.id,
        &row.email,
        context,
    )
    .await?;
    if let Budgeted::Spent { retry_after } = queued {
        return Err(ResendError::Throttled { retry_after });
    }
    state.mail.wake();
    tracing::info!(user_id = %row.id, "confirmation mail queued again");
    Ok(())
}
