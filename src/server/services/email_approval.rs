//! Sign-in by email, the other device's side: the mailed link opened where the flow's secret is not
//! kept (a phone, or a mail scanner) asks whether to approve the sign-in of the browser that asked,
//! and takes the number that browser shows, typed. The approving device gets no session; the
//! asking browser's poll does (`services::email_login::poll`).
//!
//! What a scanner can do here: open the page (a lookup, limited per client network), submit the
//! empty form (nothing happens), or type digits (one chance in ten thousand, after which the flow
//! can't be approved by number any more; three such strikes in a day turn approval by number off
//! for the address for a day). The asking browser can still finish with the code all along.

use super::email_login::{EmailLoginError, MAX_TRIES, PURPOSE, flow_user, number_matches};
use crate::{
    domain::{Code, FlowQuestion, Number},
    server::{
        clock::{now, rfc3339},
        db::email_logins::{self, By, FlowRow},
        limits::{NetworkLimit, Refused},
        network::ClientNetwork,
        state::AppState,
    },
};
use anyhow::Context;
use std::{net::IpAddr, time::Duration};

/// Looks of flows by handle (the page's question, and approvals) per client network: a person
/// needs a few; handles are 128 random bits, so this only stops a loop.
pub const LOOKUPS_PER_NETWORK: NetworkLimit =
    NetworkLimit::new("email-login-lookup-address", "email-login-lookup-site", 30, Duration::from_secs(15 * 60));

/// Wrong numbers for one address within [`DAY`] that turn approval by number off for it.
const STRIKES: usize = 3;
const DAY: i64 = 86_400;

/// What the approving page asks: "Signing in on <device, network, time>?".
///
/// # Errors
/// `Throttled` after too many lookups from the client's network; `Ended` when no pending flow has
/// this handle (expired, finished, or never existed); `Unexpected`.
pub async fn describe(state: &AppState, client: IpAddr, handle: &str) -> Result<FlowQuestion, EmailLoginError> {
    spend_lookup(state, client).await?;
    let now = now();
    let row = live(state, handle, now).await?;
    let off = approval_off(state, &row, now).await?;
    Ok(FlowQuestion {
        device: row.user_agent.clone(),
        network: row.ip.parse().map(|ip| ClientNetwork::of(ip).block()).unwrap_or_default(),
        asked_at: rfc3339(row.created_at),
        by_number: row.by_number && !off,
    })
}

/// Approves the flow with this handle for the browser that asked it, given the mailed code and the
/// number that browser shows. Nothing happens without a number, so a scanner that submits the
/// empty form spends nothing. A wrong number (after a right code) ends the flow's approval by
/// number and counts against the address.
///
/// # Errors
/// `Invalid` for a missing or malformed number or code (nothing spent); `Throttled`; `Ended`;
/// `ApprovalOff` after three wrong numbers for the address within a day; `WrongCode` (a try
/// spent); `WrongNumber`; `Unexpected`.
pub async fn approve(
    state: &AppState,
    client: IpAddr,
    handle: &str,
    typed_code: &str,
    typed_number: &str,
) -> Result<(), EmailLoginError> {
    let number = Number::parse(typed_number).map_err(|m| EmailLoginError::Invalid("number", m))?;
    let code = Code::parse(typed_code).map_err(|m| EmailLoginError::Invalid("code", m))?;
    spend_lookup(state, client).await?;
    let now = now();
    let row = live(state, handle, now).await?;
    if !row.by_number {
        return Err(EmailLoginError::WrongNumber);
    }
    if approval_off(state, &row, now).await? {
        return Err(EmailLoginError::ApprovalOff);
    }
    // The code first: only someone who read the mail can spend the number's one chance, or add a
    // strike against the address.
    let row = email_logins::take_try(&state.pool, By::Handle(handle), MAX_TRIES, now)
        .await
        .context("taking a try at a sign-in code")?
        .ok_or(EmailLoginError::Ended)?;
    let user = flow_user(state, &row).await?;
    let address = user.as_ref().map(|u| u.email.to_lowercase()).unwrap_or_default();
    if !state.tokens.code_matches(&row.handle, PURPOSE, &address, code.as_ref(), &row.code_hash) || user.is_none() {
        return Err(if row.tries >= MAX_TRIES { EmailLoginError::Ended } else { EmailLoginError::WrongCode });
    }
    if !number_matches(state, handle, number.as_ref(), &row.number_hash) {
        email_logins::refuse_number(&state.pool, handle, now).await.context("refusing a wrong number")?;
        tracing::warn!("a wrong number was typed to approve a sign-in by email: its approval by number ended");
        return Err(EmailLoginError::WrongNumber);
    }
    if !email_logins::approve(&state.pool, handle, now).await.context("approving a sign-in")? {
        return Err(EmailLoginError::Ended);
    }
    tracing::info!("a sign-in by email was approved from another device");
    Ok(())
}

async fn spend_lookup(state: &AppState, client: IpAddr) -> Result<(), EmailLoginError> {
    if let Err(Refused { retry_after }) =
        state.limits.spend_network(&LOOKUPS_PER_NETWORK, ClientNetwork::of(client)).await?
    {
        return Err(EmailLoginError::Throttled { retry_after });
    }
    Ok(())
}

/// The pending, unexpired flow with this handle.
async fn live(state: &AppState, handle: &str, now: i64) -> Result<FlowRow, EmailLoginError> {
    let row = email_logins::by_handle(&state.pool, handle).await.context("reading a sign-in flow")?;
    row.filter(|row| row.state == "pending" && row.expires_at > now).ok_or(EmailLoginError::Ended)
}

/// Whether approval by number is off for the flow's address now.
async fn approval_off(state: &AppState, row: &FlowRow, now: i64) -> anyhow::Result<bool> {
    let strikes = email_logins::wrong_numbers_since(&state.pool, &row.email_hash, now - 2 * DAY)
        .await
        .context("counting wrong numbers")?;
    Ok(off_until(&strikes).is_some_and(|until| now < until))
}

/// Until when approval by number is off, given the times of an address's wrong numbers (oldest
/// first): a day after the last of any three within a day.
fn off_until(strikes: &[i64]) -> Option<i64> {
    strikes.windows(STRIKES).filter(|w| w[STRIKES - 1] - w[0] <= DAY).map(|w| w[STRIKES - 1] + DAY).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_wrong_numbers_within_a_day_turn_approval_off_for_a_day_after_the_third() {
        assert_eq!(off_until(&[]), None);
        assert_eq!(off_until(&[100, 200]), None);
        assert_eq!(off_until(&[100, 200, 300]), Some(300 + DAY));
        assert_eq!(off_until(&[0, DAY / 2, DAY]), Some(2 * DAY), "the third on the day's last second");
        assert_eq!(off_until(&[0, DAY / 2, DAY + 1]), None, "three spread over more than a day");
        assert_eq!(off_until(&[0, 10, 20, 5 * DAY]), Some(20 + DAY));
    }
}
