//! Sign-in by email: asking for a code, finishing with it (or by polling for another device's
//! approval) in the browser that asked, and the other device's question and approval.

use crate::{
    api::client::AuthClient,
    domain::{EmailLoginStarted, FlowQuestion, FlowState},
    error::AppError,
    i18n::Msg,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{client_ip, device, state},
    server::services::{email_approval, email_login},
};

/// Starts a sign-in by email; the same answer whether or not the address has an account.
#[server(prefix = "/api/fn", endpoint = "email-login", client = AuthClient)]
pub async fn ask_email_login(email: String) -> Result<EmailLoginStarted, AppError> {
    Ok(email_login::ask(&state(), &device(), &email).await?)
}

/// Finishes a sign-in by email with the mailed code, in the browser that holds the flow's secret;
/// returns the session token.
#[server(prefix = "/api/fn", endpoint = "email-login-verify", client = AuthClient)]
pub async fn verify_email_login(flow: String, code: String) -> Result<String, AppError> {
    Ok(email_login::verify(&state(), &device(), &flow, &code).await?)
}

/// Where the sign-in stands: pending, approved (with its session, this once), or done.
#[server(prefix = "/api/fn", endpoint = "email-login-poll", client = AuthClient)]
pub async fn poll_email_login(flow: String) -> Result<FlowState, AppError> {
    Ok(email_login::poll(&state(), &device(), &flow).await?)
}

/// The question the approving page asks about the sign-in with this handle.
#[server(prefix = "/api/fn", endpoint = "email-login-describe", client = AuthClient)]
pub async fn describe_email_login(handle: String) -> Result<FlowQuestion, AppError> {
    Ok(email_approval::describe(&state(), client_ip(), &handle).await?)
}

/// Approves the sign-in with this handle, with the mailed code and the number the asking page
/// shows. No session comes back: it goes to the browser that asked.
#[server(prefix = "/api/fn", endpoint = "email-login-approve", client = AuthClient)]
pub async fn approve_email_login(handle: String, code: String, number: String) -> Result<Msg, AppError> {
    email_approval::approve(&state(), client_ip(), &handle, &code, &number).await?;
    Ok(Msg::EmailLoginApproved)
}
