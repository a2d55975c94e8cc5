//! Sign-in by email, the asking browser's side: asking for a code (a flow whose secret only this
//! browser holds, and a mail with a code and a link), finishing with the code, and polling for an
//! approval from another device (`services::email_approval`). The mail grants nothing by itself:
//! the session goes only to the holder of the flow's secret, which is never mailed.

use crate::{
    domain::{Code, EmailAddress, EmailLoginStarted, FlowState},
    error::AppError,
    i18n::Msg,
    server::{
        clock::now,
        db::{
            email_logins::{self, By, FlowRow, NewFlow},
            users::{self, UserRow},
        },
        email::{self, MailKind},
        identity::Device,
        limits::{Allowance, Limit, NetworkLimit, Refused},
        network::ClientNetwork,
        services::{confirmation, session::start_session},
        state::AppState,
    },
};
use anyhow::Context;
use rand::{Rng, RngCore};
use serde_json::json;
use std::time::Duration;

/// How long a flow lives: its code, its link, its approval and its handing out of the session.
pub const FLOW_TTL_SECS: i64 = 15 * 60;
/// Wrong codes a flow survives: the fifth ends it (the verify and approve paths together).
pub const MAX_TRIES: i64 = 5;

/// Sign-in mails asked for per address, whether or not it has an account (so a refusal says
/// nothing): 5 at once, then one every 12 minutes. Each one mails the address.
pub const ASKS_PER_ADDRESS: Limit = Limit { name: "email-login-email", max: 5, window: Duration::from_secs(3600) };

/// Sign-in mails asked for per client network, as many as reset mails (`RESET_REQUESTS_PER_IP`
/// per 15 minutes): both mail addresses a stranger may type.
pub fn asks_per_network(max: u32) -> NetworkLimit {
    NetworkLimit::new("email-login-address", "email-login-site", max, Duration::from_secs(15 * 60))
}

#[derive(Debug, thiserror::Error)]
pub enum EmailLoginError {
    /// A malformed field (address, code, number): nothing was spent.
    #[error("invalid field")]
    Invalid(&'static str, Msg),
    #[error("too many sign-in requests")]
    Throttled { retry_after: u64 },
    /// A wrong code; a try was spent.
    #[error("wrong code")]
    WrongCode,
    /// No live flow: unknown, expired, finished, or out of tries.
    #[error("the sign-in has ended")]
    Ended,
    /// A wrong number: this flow can no longer be approved from another device.
    #[error("wrong number")]
    WrongNumber,
    /// Three wrong numbers for the address within a day: approval by number is off for a day.
    #[error("approval by number is off for this address")]
    ApprovalOff,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<EmailLoginError> for AppError {
    fn from(err: EmailLoginError) -> Self {
        match err {
            EmailLoginError::Invalid(field, message) => AppError::field(field, message),
            EmailLoginError::Throttled { retry_after } => {
                AppError::TooManyRequests { message: Msg::EmailLoginThrottled, retry_after }
            }
            EmailLoginError::WrongCode => AppError::field("code", Msg::CodeWrong),
            EmailLoginError::Ended => AppError::BadRequest(Msg::EmailLoginEnded),
            EmailLoginError::WrongNumber => AppError::field("number", Msg::EmailLoginNumberWrong),
            EmailLoginError::ApprovalOff => AppError::BadRequest(Msg::EmailLoginApprovalOff),
            EmailLoginError::Unexpected(e) => super::internal_error("sign-in by email", &e),
        }
    }
}

/// Starts a flow for the address typed, and mails it a code and a link if it has an account.
///
/// The answer is the same for every address, in shape and in time: the same limits are spent, the
/// same secrets made and hashed, the same row written; the account is looked up, and its mail
/// queued, after the answer, in a task of its own (as for a reset request). Only a malformed
/// address (400) or too many asks for the address or from the network (429) are refused.
///
/// # Errors
/// `Invalid`, `Throttled`; `Unexpected` on a database failure.
pub async fn ask(state: &AppState, device: &Device, raw_email: &str) -> Result<EmailLoginStarted, EmailLoginError> {
    let email = EmailAddress::parse(raw_email).map_err(|e| EmailLoginError::Invalid("email", e.msg()))?;
    let key = email.key();
    let network = asks_per_network(state.settings.limits.reset_requests_per_ip);
    let spent = state
        .limits
        .spend_in_turn(&[
            (Allowance::Network(&network, ClientNetwork::of(device.ip)), ()),
            (Allowance::Subject(&ASKS_PER_ADDRESS, &key), ()),
        ])
        .await?;
    if let Err(((), Refused { retry_after })) = spent {
        return Err(EmailLoginError::Throttled { retry_after });
    }
    let (flow, handle) = (random_id(32), random_id(16));
    let (number, code) = {
        let mut rng = rand::thread_rng();
        (format!("{:04}", rng.gen_range(0..10_000u32)), format!("{:08}", rng.gen_range(0..100_000_000u32)))
    };
    let now = now();
    email_logins::insert(
        &state.pool,
        &NewFlow {
            handle: &handle,
            flow_hash: &flow_hash(state, &flow),
            code_hash: &code_hash(state, &handle, &key, &code),
            number_hash: &number_hash(state, &handle, &number),
            email_hash: &email_hash(state, &key),
            ip: &device.ip.to_string(),
            user_agent: &device.user_agent,
            created_at: now,
            expires_at: now + FLOW_TTL_SECS,
        },
    )
    .await
    .context("writing a sign-in flow")?;
    let background = state.clone();
    let (mailed_handle, device) = (handle.clone(), device.clone());
    // Tracked, so a clean stop waits for it: the answer already promised the mail.
    state.background.spawn(async move {
        if let Err(e) = queue_mail(&background, &key, &mailed_handle, &code, &device).await {
            super::log_unexpected("queueing a sign-in mail", &e);
        }
    });
    Ok(EmailLoginStarted { flow, handle, number })
}

async fn queue_mail(state: &AppState, key: &str, handle: &str, code: &str, device: &Device) -> anyhow::Result<()> {
    let Some(user) = users::find_by_login(&state.pool, key).await.context("looking up the address")? else {
        tracing::info!("sign-in by email asked for an address without an account: no mail");
        return Ok(());
    };
    let context = json!({
        "username": user.username,
        // From APP_URL only; the handle and code in the fragment, which no server ever sees. Never
        // the flow's secret: whoever opens this link gets no session by it.
        "link": format!("{}/login/email#f={handle}&code={code}", state.settings.app_url),
        "code": Code::display(code),
        "device": device.user_agent,
        // Its /24 or /48: enough to recognise ("my office"), not a whole address.
        "network": ClientNetwork::of(device.ip).block(),
        "valid_for": FLOW_TTL_SECS,
    });
    let mut tx = state.pool.begin().await.context("starting a sign-in mail")?;
    email_logins::set_user(&mut *tx, handle, &user.id).await.context("naming the flow's account")?;
    // In the account's language, whatever the language of the browser that asked.
    email::queue_requested(&mut *tx, MailKind::EmailLogin, user.locale, Some(&user.id), &user.email, context).await?;
    tx.commit().await.context("committing a sign-in mail")?;
    state.mail.wake();
    tracing::info!(user_id = %user.id, "sign-in mail queued");
    Ok(())
}

/// Finishes a flow in the browser that asked, with the mailed code (typed, or read from the link
/// opened there): a session, as a login gives. The flow ends with it.
///
/// # Errors
/// `Invalid` for a malformed code (no try spent); `WrongCode` (a try spent); `Ended` when no live
/// flow has this secret (expired, finished, out of tries); `Unexpected`.
pub async fn verify(state: &AppState, device: &Device, flow: &str, typed: &str) -> Result<String, EmailLoginError> {
    let code = Code::parse(typed).map_err(|m| EmailLoginError::Invalid("code", m))?;
    let hash = flow_hash(state, flow);
    let now = now();
    let row = email_logins::take_try(&state.pool, By::Flow(&hash), MAX_TRIES, now)
        .await
        .context("taking a try at a sign-in code")?
        .ok_or(EmailLoginError::Ended)?;
    let user = flow_user(state, &row).await?;
    let address = user.as_ref().map(|u| u.email.to_lowercase()).unwrap_or_default();
    if !state.tokens.code_matches(&row.handle, PURPOSE, &address, code.as_ref(), &row.code_hash) {
        return Err(if row.tries >= MAX_TRIES { EmailLoginError::Ended } else { EmailLoginError::WrongCode });
    }
    // A right code for a flow with no account can't be: its code was never mailed.
    let user = user.ok_or(EmailLoginError::Ended)?;
    let finished = email_logins::advance(&state.pool, By::Flow(&hash), &["pending", "approved"], "done", now)
        .await
        .context("finishing a sign-in flow")?;
    if !finished {
        // Another tab got there first: its session is this browser's.
        return Err(EmailLoginError::Ended);
    }
    signed_in(state, &user, device).await
}

/// Where the flow with this secret stands, for the asking page's poll: pending; approved (its
/// session, handed out this once); or done (by another tab of this browser).
///
/// # Errors
/// `Ended` when no live flow has this secret; `Unexpected`.
pub async fn poll(state: &AppState, device: &Device, flow: &str) -> Result<FlowState, EmailLoginError> {
    let hash = flow_hash(state, flow);
    let now = now();
    let row = email_logins::by_flow(&state.pool, &hash).await.context("reading a sign-in flow")?;
    let Some(row) = row.filter(|row| row.expires_at > now || row.state == "done") else {
        return Err(EmailLoginError::Ended);
    };
    match row.state.as_str() {
        "pending" => Ok(FlowState::Pending { by_number: row.by_number }),
        "done" => Ok(FlowState::Done),
        "approved" => {
            // One statement hands the session out: two tabs polling at once get it once.
            if !email_logins::advance(&state.pool, By::Flow(&hash), &["approved"], "done", now)
                .await
                .context("handing out an approved sign-in")?
            {
                return Ok(FlowState::Done);
            }
            let user = flow_user(state, &row).await?.ok_or(EmailLoginError::Ended)?;
            Ok(FlowState::SignedIn { token: signed_in(state, &user, device).await? })
        }
        _ => Err(EmailLoginError::Ended),
    }
}

/// The session for a finished flow, on the asking browser's device.
async fn signed_in(state: &AppState, user: &UserRow, device: &Device) -> Result<String, EmailLoginError> {
    // Signing in by email proves the address: an unconfirmed account is confirmed by it.
    let user =
        &if user.confirmed { user.clone() } else { confirmation::confirm_by_sign_in(state, user, device).await? };
    let token = start_session(state, user, device).await?;
    // Every way of signing in tells the new-device mail where it came from.
    super::new_device::seen(state, user, device).await;
    tracing::info!(user_id = %user.id, "signed in by email");
    Ok(token)
}

/// The account a flow's mail went to, if it still exists.
pub(super) async fn flow_user(state: &AppState, row: &FlowRow) -> anyhow::Result<Option<UserRow>> {
    match &row.user_id {
        Some(id) => users::find_by_id(&state.pool, id).await.context("loading the flow's account"),
        None => Ok(None),
    }
}

/// The purpose the flow's code is bound to (with its handle and address) in its keyed hash.
pub(super) const PURPOSE: &str = "email-login";

// The keyed hashes of a flow's secrets: the typed codes' key (`TokenKeys::code_hash`), each use
// with a purpose of its own, so none can stand for another, nor for a confirmation or reset code.
fn flow_hash(state: &AppState, flow: &str) -> String {
    state.tokens.code_hash("", "email-login-flow", "", flow)
}

fn code_hash(state: &AppState, handle: &str, email_key: &str, code: &str) -> String {
    state.tokens.code_hash(handle, PURPOSE, email_key, code)
}

fn number_hash(state: &AppState, handle: &str, number: &str) -> String {
    state.tokens.code_hash(handle, NUMBER, "", number)
}

/// Whether `number` is the one the flow's page shows, compared in constant time.
pub(super) fn number_matches(state: &AppState, handle: &str, number: &str, stored: &str) -> bool {
    state.tokens.code_matches(handle, NUMBER, "", number, stored)
}

const NUMBER: &str = "email-login-number";

fn email_hash(state: &AppState, email_key: &str) -> String {
    state.tokens.code_hash("", "email-login-address", email_key, "")
}

/// `bytes` random bytes, base64url: a flow's secret (32, 256 bits) or its handle (16).
fn random_id(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_url_safe() {
        let flow = random_id(32);
        assert_eq!(flow.len(), 43);
        assert!(flow.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(flow, random_id(32));
        assert_eq!(random_id(16).len(), 22);
    }
}
