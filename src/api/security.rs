//! The account's security log.

use crate::{api::client::AuthClient, domain::SecurityEvent, error::AppError};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{current_user, state},
    server::services::security,
};

/// The account's security events of the last 90 days, newest first.
#[server(prefix = "/api/fn", endpoint = "security-events", client = AuthClient)]
pub async fn security_events() -> Result<Vec<SecurityEvent>, AppError> {
    let user = current_user().await?;
    Ok(security::recent(&state(), &user).await?)
}
