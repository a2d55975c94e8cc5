//! Securing the account from the new-device mail's "this wasn't me" link: every session ends, the
//! password is locked, and the address gets a reset link and code. For when someone else signed in
//! with the account's password.

use crate::{
    domain::{EmailAddress, SecurityEventKind, TypedAddress},
    error::AppError,
    i18n::Msg,
    server::{
        auth::{
            password::lock_marker,
            tokens::{Purpose, ResetClaims},
        },
        db::{
            known_devices, sessions,
            users::{self, UserRow},
        },
        email::{self, MailKind},
        identity::Device,
        services::{reset, security},
        state::AppState,
    },
};
use anyhow::Context;

#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// Expired, forged, of another purpose, already used, or made before the password or the
    /// address changed.
    #[error("invalid secure-account link")]
    InvalidLink,
    /// The address wasn't typed (the proof that a person, not a mail scanner, is asking).
    #[error("address missing")]
    EmailMissing,
    /// What was typed is not an address.
    #[error("address malformed")]
    EmailInvalid(Msg),
    /// An address, but not the one the link was mailed to.
    #[error("not the account's address")]
    EmailWrong,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<SecureError> for AppError {
    fn from(err: SecureError) -> Self {
        match err {
            SecureError::InvalidLink => AppError::BadRequest(Msg::SecureLinkInvalid),
            SecureError::EmailMissing => AppError::field("email", Msg::SecureEmailMissing),
            SecureError::EmailInvalid(message) => AppError::field("email", message),
            SecureError::EmailWrong => AppError::field("email", Msg::RevertEmailWrong),
            SecureError::Unexpected(e) => super::internal_error("securing the account", &e),
        }
    }
}

/// Secures the account a new-device mail was about: every session ends (the thief's with the
/// rest), the password is locked (replaced by a marker no password matches, so the password the
/// thief knows opens nothing), the devices the account knew are forgotten (the thief's was one:
/// it would never be mailed about again), and the address gets a reset link and code. Whoever
/// signed in is shut out, whatever they know, unless they also read the owner's mail.
///
/// The person must type the address the link was mailed to (`typed_email`): mail scanners open
/// links and some press the buttons they find, and one would otherwise lock every account whose
/// mail it reads.
///
/// Single use with no token table: the link carries a fingerprint of the password hash, and the
/// lock changes the hash. The swap is a compare-and-swap on the hash the link was checked against,
/// so of two uses at once exactly one locks. Nothing here costs a password hash.
///
/// # Errors
/// `InvalidLink` for anything but a live secure-account link for the account's password and
/// address; `EmailMissing`, `EmailInvalid`, `EmailWrong` for the typed address. None of them
/// changes anything.
pub async fn secure(state: &AppState, device: &Device, token: &str, typed_email: &str) -> Result<(), SecureError> {
    let claims: ResetClaims =
        state.tokens.verify(Purpose::SecureAccount, token).map_err(|_| SecureError::InvalidLink)?;
    let mailed_to = EmailAddress::parse(&claims.email).map_err(|_| SecureError::InvalidLink)?;
    mailed_to.check_typed(typed_email).map_err(|typed| match typed {
        TypedAddress::Missing => SecureError::EmailMissing,
        TypedAddress::Invalid(message) => SecureError::EmailInvalid(message),
        TypedAddress::Wrong => SecureError::EmailWrong,
    })?;
    let user = users::find_by_id(&state.pool, &claims.sub)
        .await
        .context("loading the account")?
        .ok_or(SecureError::InvalidLink)?;
    // A password changed since (by the owner, or by this link) or an address moved (its own
    // revert link is the way back then) kills the link.
    if state.tokens.password_fingerprint(&user.password_hash) != claims.pwd || user.email != claims.email {
        return Err(SecureError::InvalidLink);
    }
    let checked_hash = user.password_hash.clone();
    let locked = UserRow { password_hash: lock_marker(), ..user };
    let mut tx = state.pool.begin().await.context("starting to secure the account")?;
    // The write that decides comes first (it takes SQLite's write lock): the hash the link was
    // checked against, swapped in one statement, which also makes every session token stale.
    if !users::change_password(&mut *tx, &locked.id, &checked_hash, &locked.password_hash)
        .await
        .context("locking the password")?
    {
        return Err(SecureError::InvalidLink);
    }
    sessions::delete_all_but(&mut *tx, &locked.id, None).await.context("ending every session")?;
    known_devices::forget_all(&mut *tx, &locked.id).await.context("forgetting the known devices")?;
    security::record(&mut *tx, &locked.id, SecurityEventKind::AccountSecured, device).await?;
    // The reset link is bound to the lock, so it works; the code replaces any earlier one.
    let context = reset::reset_mail_context(&mut *tx, state, &locked).await?;
    email::queue_requested(&mut *tx, MailKind::ResetPassword, locked.locale, Some(&locked.id), &locked.email, context)
        .await?;
    tx.commit().await.context("committing the secured account")?;
    state.mail.wake();
    tracing::info!(user_id = %locked.id, "account secured: every session ended, password locked");
    Ok(())
}
