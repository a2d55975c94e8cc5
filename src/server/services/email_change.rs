//! Changing the account's address: ask (password again, a link to the new address) and confirm
//! (the link, logged in as the owner). Undoing it with the link mailed to the old address is
//! `email_revert`.
//!
//! The account keeps its address until the new one is proven. The answer to a request never says
//! whether the new address has an account: the owner of a taken address gets a notice instead of
//! the link, after the answer has gone. The old address stays held for the account while its
//! revert link lives (`db::address_holds`), so whoever made the change can't take it meanwhile.
//!
//! A change made while an earlier change's revert link lives is allowed (an owner may have a
//! reason), but it can't outlive that link: see `email_revert`.

use crate::{
    domain::{EmailAddress, SecurityEventKind},
    error::AppError,
    i18n::Msg,
    server::{
        auth::tokens::{AddressClaims, Purpose},
        clock::now,
        db::{
            address_holds,
            users::{self, AddressMove, InsertUserError, UserRow},
        },
        email::{self, MailKind},
        identity::CurrentUser,
        limits::{self, Refused},
        services::{
            change_request::{self, RequestChangeError, Requested, key_of, notify_owner},
            security,
        },
        state::AppState,
    },
};
use anyhow::Context;
use serde_json::json;

/// How long the link mailed to the new address works.
pub const CHANGE_TTL_SECS: i64 = 24 * 3600;
/// How long the revert link mailed to the old address works, and the old address is held.
pub const REVERT_TTL_SECS: i64 = 7 * 86_400;

#[derive(Debug, thiserror::Error)]
pub enum ConfirmChangeError {
    /// Expired, forged, for another account, already used, or overtaken by another change of the
    /// address or the password.
    #[error("invalid email-change link")]
    InvalidLink,
    /// Another account took the address between the request and the link.
    #[error("address taken meanwhile")]
    AddressTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ConfirmChangeError> for AppError {
    fn from(err: ConfirmChangeError) -> Self {
        match err {
            ConfirmChangeError::InvalidLink => AppError::BadRequest(Msg::EmailChangeLinkInvalid),
            ConfirmChangeError::AddressTaken => AppError::BadRequest(Msg::EmailTakenNow),
            ConfirmChangeError::Unexpected(e) => super::internal_error("email change", &e),
        }
    }
}

/// Asks to move the confirmed account to `raw_email`, with its password typed again. The answer
/// is the same whether or not the address is free: the lookup and the mail happen after it. An
/// unconfirmed account's address is corrected at once instead (`address_fix`).
///
/// # Errors
/// `InvalidEmail`, `Unchanged`, `WrongPassword`, `PasswordThrottled`; `Throttled` after five
/// requests in an hour.
pub async fn request(
    state: &AppState,
    user: &CurrentUser,
    password: &str,
    raw_email: &str,
) -> Result<Requested, RequestChangeError> {
    if !user.confirmed() {
        super::address_fix::correct(state, user, password, raw_email).await?;
        return Ok(Requested::Corrected);
    }
    let new = change_request::checked(state, user, password, raw_email).await?;
    if let Err(Refused { retry_after }) = state.limits.spend(&limits::EMAIL_CHANGE_PER_ACCOUNT, &user.row.id).await? {
        return Err(RequestChangeError::Throttled { retry_after });
    }
    security::record(&state.pool, &user.row.id, SecurityEventKind::EmailChangeRequested, &user.device).await?;
    let (state, row) = (state.clone(), user.row.clone());
    // Tracked, so a clean stop waits for it: the answer already promised the mail.
    state.background.clone().spawn(async move {
        if let Err(e) = mail_new_address(&state, &row, &new).await {
            super::log_unexpected("mailing an email-change link", &e);
        }
    });
    Ok(Requested::Link)
}

/// The link to the new address, or the notice to the account that already has it.
async fn mail_new_address(state: &AppState, user: &UserRow, new: &EmailAddress) -> anyhow::Result<()> {
    if notify_owner(state, new).await? {
        tracing::info!(user_id = %user.id, "email change to an address with an account: its owner notified");
        return Ok(());
    }
    if address_holds::held_for_another(&state.pool, &new.key(), &user.id, now()).await.context("checking holds")? {
        tracing::info!(user_id = %user.id, "email change to an address held for another account: no mail");
        return Ok(());
    }
    let iat = now();
    let claims = AddressClaims {
        sub: user.id.clone(),
        email: new.as_ref().to_owned(),
        ev: user.email_version,
        // The link dies with the password, like a reset link: a reset (the owner taking the
        // account back) must not leave a thief's pending change live.
        pwd: Some(state.tokens.password_fingerprint(&user.password_hash)),
        typ: Purpose::EmailChange.typ().to_owned(),
        iat,
        exp: iat + CHANGE_TTL_SECS,
    };
    let token = state.tokens.sign(Purpose::EmailChange, &claims);
    let context = json!({
        "username": user.username,
        // From APP_URL only, token in the fragment: see `confirmation::link`.
        "link": format!("{}/confirm-email-change#token={token}", state.settings.app_url),
        "valid_for": CHANGE_TTL_SECS,
    });
    email::queue_requested(&state.pool, MailKind::EmailChange, user.locale, Some(&user.id), new.as_ref(), context)
        .await?;
    state.mail.wake();
    tracing::info!(user_id = %user.id, "email change link queued");
    Ok(())
}

/// Moves the logged-in account to the address its link was mailed to. The old address gets a
/// notice with a revert link, and stays held for the account while that link lives.
///
/// # Errors
/// `InvalidLink` for anything but a live link of this account made at its current address
/// version and password; `AddressTaken` if another account took the address meanwhile.
pub async fn confirm(state: &AppState, user: &CurrentUser, token: &str) -> Result<(), ConfirmChangeError> {
    let claims: AddressClaims =
        state.tokens.verify(Purpose::EmailChange, token).map_err(|_| ConfirmChangeError::InvalidLink)?;
    if claims.sub != user.row.id {
        return Err(ConfirmChangeError::InvalidLink);
    }
    // Made for another password (or before links carried one): a reset or a change came between.
    let password = &user.row.password_hash;
    if claims.pwd.as_deref() != Some(state.tokens.password_fingerprint(password).as_str()) {
        return Err(ConfirmChangeError::InvalidLink);
    }
    let new = EmailAddress::parse(&claims.email).map_err(|_| ConfirmChangeError::InvalidLink)?;
    let now = now();
    // The write comes first: it takes the lock (on SQLite a transaction that read first can't
    // then write while another one has), and the version check in it makes the link single-use:
    // of two confirmations at once, one moves the address and the other finds the version gone.
    // The password it checked the fingerprint of must still be the account's, too.
    let mut tx = state.pool.begin().await.context("starting the email change")?;
    let key = new.key();
    let to = AddressMove {
        id: &user.row.id,
        email_version: claims.ev,
        password_hash: password,
        email: new.as_ref(),
        email_key: &key,
    };
    let row = match users::change_email(&mut *tx, &to).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(ConfirmChangeError::InvalidLink),
        Err(InsertUserError::EmailTaken) => return Err(ConfirmChangeError::AddressTaken),
        Err(e) => return Err(anyhow::Error::new(e).context("changing the address").into()),
    };
    if address_holds::held_for_another(&mut *tx, &new.key(), &user.row.id, now).await.context("checking holds")? {
        return Err(ConfirmChangeError::AddressTaken);
    }
    let old = &user.row.email;
    // The change's own row: the hold on the old address and the state of its revert link. Earlier
    // changes' rows stay: their links outrank this one.
    address_holds::hold(&mut *tx, &row.id, row.email_version, &key_of(old), now + REVERT_TTL_SECS)
        .await
        .context("holding the old address")?;
    security::record(&mut *tx, &row.id, SecurityEventKind::EmailChangeConfirmed, &user.device).await?;
    let claims = AddressClaims {
        sub: row.id.clone(),
        email: old.clone(),
        ev: row.email_version,
        pwd: None,
        typ: Purpose::EmailRevert.typ().to_owned(),
        iat: now,
        exp: now + REVERT_TTL_SECS,
    };
    let token = state.tokens.sign(Purpose::EmailRevert, &claims);
    let context = json!({
        "username": row.username,
        "new_email": row.email,
        "link": format!("{}/revert-email-change#token={token}", state.settings.app_url),
        "valid_for": REVERT_TTL_SECS,
    });
    // To the old address, in the account's language, whoever's browser confirmed.
    email::queue(&mut *tx, MailKind::EmailChanged, row.locale, Some(&row.id), old, context).await?;
    tx.commit().await.context("committing the email change")?;
    state.mail.wake();
    tracing::info!(user_id = %row.id, "email address changed");
    Ok(())
}
