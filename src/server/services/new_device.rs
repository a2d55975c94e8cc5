//! The new-device mail: every sign-in, by any method, tells [`seen`] which device it came from, and
//! one this account hasn't used in 90 days gets the account a mail saying what happened, where
//! (the client's network block, never a place) and when, with a "this wasn't me" link to
//! `/secure-account` (finished by `services::secure_account`).

use crate::server::{
    auth::{
        keys::{self, DerivedKey},
        tokens::{Purpose, ResetClaims},
    },
    clock::{now, utc_minute},
    db::{known_devices, users::UserRow},
    email::{self, Budget, MailKind},
    identity::Device,
    network::ClientNetwork,
    state::AppState,
};
use anyhow::Context;
use serde_json::json;

/// How long a device stays known without a sign-in from it (the 90 days).
pub const KNOWN_FOR_SECS: i64 = 90 * 86_400;

/// At most one mail about a device a day, however often it signs in anew.
const MAIL_GAP_SECS: i64 = 86_400;

/// How long the "this wasn't me" link works: a week, as the address change's revert link does. A
/// mail read late (a weekend, a holiday) must still be able to shut a thief out, and the link can
/// only lock, never open: it dies with any change of the password, and using it asks for the
/// address typed, so a scanner that opens it changes nothing.
pub const SECURE_TTL_SECS: i64 = 7 * 86_400;

/// Notes a sign-in of `user` from `device`, and mails the account if the device is new to it.
/// Called once the sign-in has succeeded, by every way of signing in.
///
/// No mail for the account's first sign-in: an account with no device remembered has never signed
/// in (since it registered, or since this feature came), so its device is remembered silently.
/// Recording the registering device instead would not do: registering needs no browser of the
/// account's (a script, a phone), and the first sign-in's device would then mail about itself.
///
/// Never fails the sign-in: a sign-in that happened is not undone because its notice could not be
/// written. The failure is logged.
pub async fn seen(state: &AppState, user: &UserRow, device: &Device) {
    if let Err(e) = note(state, user, device).await {
        super::log_unexpected("noting the device of a sign-in", &e);
    }
}

async fn note(state: &AppState, user: &UserRow, device: &Device) -> anyhow::Result<()> {
    let now = now();
    let block = ClientNetwork::of(device.ip).block();
    let key = device_key(state, &user.id, &device.user_agent, &block);
    let pool = &state.pool;
    // The usual sign-in: a device used lately, one statement.
    if known_devices::refresh(pool, &user.id, &key, now, now - KNOWN_FOR_SECS).await.context("refreshing a device")? {
        return Ok(());
    }
    if known_devices::remember_first(pool, &user.id, &key, now).await.context("remembering the first device")? {
        tracing::info!(user_id = %user.id, "first sign-in: its device remembered, no mail");
        return Ok(());
    }
    let mut tx = pool.begin().await.context("starting a new-device mail")?;
    // The claim, the forgetting and the mail commit together, or none does.
    if !known_devices::claim_mail(&mut *tx, &user.id, &key, now, now - MAIL_GAP_SECS)
        .await
        .context("claiming a new-device mail")?
    {
        // Another sign-in from this device, at this moment, mails about it.
        return Ok(());
    }
    // Devices unseen for 90 days can't spare a mail any more; the one just written keeps the
    // account from looking as if it had never signed in.
    known_devices::forget_unseen(&mut *tx, &user.id, now - KNOWN_FOR_SECS).await.context("forgetting old devices")?;
    // An unconfirmed account's address is not proven to be the signer's: whoever knows the
    // password could otherwise mail a stranger once per made-up user agent. So there the notice
    // budget (one an hour) holds. A confirmed account's mail goes to its owner, and only a sign-in
    // with the account's credentials causes it: a thief who signs in just after the owner's own
    // new device must still be reported, so no hourly budget there.
    if !user.confirmed && email::budget_wait(&mut tx, Budget::Notice, MailKind::NewDevice, &user.id).await? > 0 {
        tx.commit().await.context("committing a device without its mail")?;
        tracing::info!(user_id = %user.id, "new device on an unconfirmed account: notice already sent this hour");
        return Ok(());
    }
    let context = mail_context(state, user, device, &block, now);
    email::queue(&mut *tx, MailKind::NewDevice, user.locale, Some(&user.id), &user.email, context).await?;
    tx.commit().await.context("committing a new-device mail")?;
    state.mail.wake();
    tracing::info!(user_id = %user.id, "sign-in from a new device: the account was mailed");
    Ok(())
}

/// The key a device is remembered by: a keyed hash of the account, the short user agent and the
/// network block (hex). Neither the address nor the block is stored, so the table tells nobody
/// where anyone was, even someone who reads the database without the secret; and the account is
/// in the hash, so one device's keys can't link the accounts it uses.
fn device_key(state: &AppState, user_id: &str, user_agent: &str, block: &str) -> String {
    let key = DerivedKey::derive(state.settings.secret_key.expose().as_bytes(), keys::KNOWN_DEVICE);
    key.hex_mac_of(&[user_id, user_agent, block])
}

/// What the mail says: the device in the account's language, the network block, the time in UTC,
/// and the link to secure the account, bound to the password of the moment and the address the
/// mail goes to (see `secure_account::secure`).
fn mail_context(state: &AppState, user: &UserRow, device: &Device, block: &str, now: i64) -> serde_json::Value {
    let claims = ResetClaims {
        sub: user.id.clone(),
        email: user.email.clone(),
        pwd: state.tokens.password_fingerprint(&user.password_hash),
        typ: Purpose::SecureAccount.typ().to_owned(),
        iat: now,
        exp: now + SECURE_TTL_SECS,
    };
    let token = state.tokens.sign(Purpose::SecureAccount, &claims);
    json!({
        "username": user.username,
        "device": user.locale.text().device_name(&device.user_agent),
        "network": block,
        "time": utc_minute(now),
        // From APP_URL only, token in the fragment: see `confirmation::link`.
        "link": format!("{}/secure-account#token={token}", state.settings.app_url),
        "valid_for": SECURE_TTL_SECS,
    })
}
