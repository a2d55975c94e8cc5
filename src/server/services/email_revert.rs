//! Undoing an address change with the revert link mailed to the old address (for 7 days): for
//! when the change was not the owner's.
//!
//! The earliest live revert link wins. A thief who holds the session and the password may change
//! the address twice (A to B, then at once B to C), so that the newest revert link goes to B, their
//! own. So each change's link lives as long as its own row in `address_holds`, whatever came after,
//! and using it undoes every later change too: their links and holds die with it, and the link
//! mailed to B can't undo the owner's revert. A later change is allowed (an owner may have a
//! reason) but can't outlive an earlier live link.

use crate::{
    domain::{EmailAddress, SecurityEventKind, TypedAddress},
    error::AppError,
    i18n::Msg,
    server::{
        auth::{
            password::lock_marker,
            tokens::{AddressClaims, Purpose},
        },
        clock::now,
        db::{
            address_holds, sessions,
            users::{self, InsertUserError},
        },
        email::{self, MailKind},
        identity::Device,
        services::{reset, security},
        state::AppState,
    },
};
use anyhow::Context;

#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// Expired, forged, already used, or killed by an earlier revert link, which undid this change
    /// with its own.
    #[error("invalid revert link")]
    InvalidLink,
    /// The old address wasn't typed (the proof that a person, not a mail scanner, is asking).
    #[error("old address missing")]
    EmailMissing,
    /// What was typed is not an address.
    #[error("old address malformed")]
    EmailInvalid(Msg),
    /// An address, but not the one the link was mailed to (and would restore).
    #[error("not the old address")]
    EmailWrong,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RevertError> for AppError {
    fn from(err: RevertError) -> Self {
        match err {
            RevertError::InvalidLink => AppError::BadRequest(Msg::RevertLinkInvalid),
            RevertError::EmailMissing => AppError::field("email", Msg::RevertEmailMissing),
            RevertError::EmailInvalid(message) => AppError::field("email", message),
            RevertError::EmailWrong => AppError::field("email", Msg::RevertEmailWrong),
            RevertError::Unexpected(e) => super::internal_error("email change revert", &e),
        }
    }
}

/// Puts the old address back with a link mailed to it, for when the change was not the owner's:
/// every session ends, the password is locked (replaced by a marker no password matches), and the
/// restored address gets a reset link. Whoever made the change is locked out whatever they know,
/// even if they reset the password through the address they had set a moment before (that link
/// dies with the address, and with the lock). Every change made after this one is undone with it.
///
/// The person must type the address the link restores (`typed_email`): mail scanners open links
/// and some press the buttons they find, and one on the old mailbox would otherwise undo a change
/// its owner meant, and lock the password.
///
/// Nothing here costs a password hash: the link and the typed address are checked first, the row
/// decides in one statement, and the lock is a marker, not a hash.
///
/// # Errors
/// `InvalidLink` for anything but a live revert link; `EmailMissing`, `EmailInvalid`, `EmailWrong`
/// for the typed address. None of them changes anything.
pub async fn revert(state: &AppState, device: &Device, token: &str, typed_email: &str) -> Result<(), RevertError> {
    let claims: AddressClaims =
        state.tokens.verify(Purpose::EmailRevert, token).map_err(|_| RevertError::InvalidLink)?;
    let old = EmailAddress::parse(&claims.email).map_err(|_| RevertError::InvalidLink)?;
    old.check_typed(typed_email).map_err(|typed| match typed {
        TypedAddress::Missing => RevertError::EmailMissing,
        TypedAddress::Invalid(message) => RevertError::EmailInvalid(message),
        TypedAddress::Wrong => RevertError::EmailWrong,
    })?;
    let now = now();
    let mut tx = state.pool.begin().await.context("starting the revert")?;
    // The write that decides comes first (SQLite's write lock, see `email_change::confirm`): the
    // link's row, taken in one statement, so of two uses at once exactly one reverts.
    if !address_holds::take_for_revert(&mut *tx, &claims.sub, claims.ev, &old.key(), now)
        .await
        .context("taking the revert")?
    {
        return Err(RevertError::InvalidLink);
    }
    // Later changes die with this one: their holds go, and the links mailed to the addresses they
    // gave up (a thief's own, in the case this exists for) undo nothing any more.
    address_holds::release_after(&mut *tx, &claims.sub, claims.ev).await.context("undoing later changes")?;
    let row = match users::revert_email(&mut *tx, &claims.sub, old.as_ref(), &old.key(), &lock_marker()).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(RevertError::InvalidLink),
        // The hold keeps the address for the account; reaching this means it was lifted by hand.
        Err(InsertUserError::EmailTaken) => return Err(RevertError::InvalidLink),
        Err(e) => return Err(anyhow::Error::new(e).context("reverting the address").into()),
    };
    sessions::delete_all_but(&mut *tx, &row.id, None).await.context("ending every session")?;
    security::record(&mut *tx, &row.id, SecurityEventKind::EmailChangeReverted, device).await?;
    let context = reset::reset_mail_context(&mut *tx, state, &row).await?;
    email::queue_requested(&mut *tx, MailKind::ResetPassword, row.locale, Some(&row.id), &row.email, context).await?;
    tx.commit().await.context("committing the revert")?;
    state.mail.wake();
    tracing::info!(user_id = %row.id, "email change reverted; every session ended, password locked");
    Ok(())
}
