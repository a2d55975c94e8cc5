//! Correcting the address of an account that is still unconfirmed: someone who mistyped their
//! address at registration fixes it from `/unconfirmed`, with their password, instead of waiting
//! for the purge with their username held.
//!
//! Unlike a confirmed account's change (`email_change`), the address switches at once: the old one
//! was never proven, so there is nothing to keep it for and nobody to send a revert link to. The
//! new address gets a fresh confirmation (link and code); every link and code mailed before dies
//! (a new address version, and the code replaced).
//!
//! The answer is the same whether or not the new address is free, as registration's is. What
//! remains is the signal registration has too: a taken address doesn't become the account's, which
//! the prober sees on their own account. It costs them an account, its password, and the same
//! per-address allowance registration spends (3 an hour), and the owner of the address is told.

use super::{
    change_request::{self, RequestChangeError, notify_owner},
    confirmation::{self, ConfirmTo},
    security,
};
use crate::{
    domain::SecurityEventKind,
    server::{
        clock::now,
        db::{
            address_holds,
            users::{self, AddressMove, InsertUserError},
        },
        email::{self, MailKind},
        identity::CurrentUser,
        limits::{self, Allowance, Refused},
        state::AppState,
    },
};
use anyhow::Context;

/// Moves the unconfirmed `user` to `raw_email` and mails it a confirmation.
///
/// # Errors
/// As a confirmed account's request: `InvalidEmail`, `Unchanged`, `WrongPassword`,
/// `PasswordThrottled`; `Throttled` after five changes of the account's address in an hour, or
/// three attempts at the new address (registrations included); `Overtaken` when the account was
/// confirmed or changed while this was checked.
pub async fn correct(
    state: &AppState,
    user: &CurrentUser,
    password: &str,
    raw_email: &str,
) -> Result<(), RequestChangeError> {
    let new = change_request::checked(state, user, password, raw_email).await?;
    let new_key = new.key();
    let spent = state
        .limits
        .spend_in_turn(&[
            (Allowance::Subject(&limits::EMAIL_CHANGE_PER_ACCOUNT, &user.row.id), ()),
            (Allowance::Subject(&limits::REGISTRATIONS_PER_EMAIL, &new_key), ()),
        ])
        .await?;
    if let Err(((), Refused { retry_after })) = spent {
        return Err(RequestChangeError::Throttled { retry_after });
    }

    let row = &user.row;
    let mut tx = state.pool.begin().await.context("starting an address correction")?;
    let to = AddressMove {
        id: &row.id,
        email_version: row.email_version,
        password_hash: &row.password_hash,
        email: new.as_ref(),
        email_key: &new_key,
    };
    let corrected = match users::correct_unconfirmed_email(&mut *tx, &to).await {
        Ok(Some(corrected)) => corrected,
        Ok(None) => return Err(RequestChangeError::Overtaken),
        Err(InsertUserError::EmailTaken) => {
            drop(tx);
            notify_owner(state, &new).await?;
            tracing::info!(user_id = %row.id, "address correction to a taken address: nothing changed");
            return Ok(());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("correcting the address").into()),
    };
    // Given up by another account for its revert link's week: taken, and said no more loudly.
    if address_holds::held_for_another(&mut *tx, &new_key, &row.id, now()).await.context("checking holds")? {
        drop(tx);
        tracing::info!(user_id = %row.id, "address correction to a held address: nothing changed");
        return Ok(());
    }
    security::record(&mut *tx, &row.id, SecurityEventKind::EmailChangeConfirmed, &user.device).await?;
    let context = confirmation::mail_context(&mut *tx, state, &ConfirmTo::account(&corrected), None).await?;
    let (locale, id) = (corrected.locale, Some(corrected.id.as_str()));
    email::queue_requested(&mut *tx, MailKind::Confirm, locale, id, &corrected.email, context).await?;
    tx.commit().await.context("committing an address correction")?;
    state.mail.wake();
    tracing::info!(user_id = %row.id, "unconfirmed address corrected; confirmation queued");
    Ok(())
}
