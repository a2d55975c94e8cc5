//! Logging in (credentials → a session row and its token) and authenticating requests (token →
//! session → account). The account's own view of its sessions is in `services::devices`.

use crate::{
    domain::{SecurityEventKind, UserId, UserProfile},
    error::AppError,
    i18n::Msg,
    server::{
        auth::tokens::{Purpose, SessionClaims, now},
        db::{
            sessions::{self, SessionRow},
            users::{self, UserRow},
        },
        limits::{
            Allowance, LOGIN_HASHES_PER_NAME, LOGIN_PER_NAME, LOGIN_PER_NETWORK, Refused, password_hashes_per_network,
        },
        network::ClientNetwork,
        services::{devices::Device, security},
        state::AppState,
    },
};
use anyhow::Context;

/// The account behind a verified session token, as the database has it now, and the session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub row: UserRow,
    pub session: SessionRow,
    /// Where this request came from (not where the session began): what the security log records.
    pub device: Device,
    /// A fresh token for this session, when the one presented was past half its life: the
    /// answer carries it (`X-Session-Token`), so a session in use never meets its token's expiry.
    pub renewed: Option<String>,
}

impl CurrentUser {
    pub fn confirmed(&self) -> bool {
        self.row.confirmed
    }

    /// This account, if it is confirmed. The lock behind every endpoint but confirm, resend, `me`,
    /// language and logout-all; the browser's guard is only comfort.
    ///
    /// # Errors
    /// `Unconfirmed` otherwise.
    pub fn require_confirmed(self) -> Result<Self, AuthError> {
        if self.confirmed() { Ok(self) } else { Err(AuthError::Unconfirmed) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login or wrong password: one error, so the answer doesn't tell which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failures, or password hashes, for this login name or from this network;
    /// `retry_after` in seconds, `message` says which.
    #[error("too many logins")]
    Throttled { retry_after: u64, message: Msg },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token, or a token that is malformed, forged, expired, of another purpose, for a deleted
    /// account or for an old session version.
    #[error("not authenticated")]
    Unauthenticated,
    /// A valid session of an account that hasn't confirmed its address yet.
    #[error("account not confirmed")]
    Unconfirmed,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<LoginError> for AppError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::InvalidCredentials => AppError::Unauthorized,
            LoginError::Throttled { retry_after, message } => AppError::TooManyRequests { message, retry_after },
            LoginError::Unexpected(e) => super::internal_error("login", &e),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated => AppError::Unauthorized,
            AuthError::Unconfirmed => AppError::Forbidden(Msg::ConfirmFirst),
            AuthError::Unexpected(e) => super::internal_error("authentication", &e),
        }
    }
}

/// Checks a username-or-email and password and returns a fresh session token.
///
/// `device` is the caller's address (for the limits per client network) and user agent; the new
/// session row remembers both.
///
/// # Errors
/// `InvalidCredentials` for an unknown login or a wrong password (same answer, same time);
/// `Throttled` after too many failures for the name or the network (even with the right
/// password, or the limit would be no limit), or too many hashes (right passwords too);
/// `Unexpected` for database or hashing failures.
pub async fn login(state: &AppState, device: &Device, login: &str, password: &str) -> Result<String, LoginError> {
    // Keys are lower-cased in the database: "Alice", "ALICE@Example.org" both find their account.
    let key = login.trim().to_lowercase();
    let network = ClientNetwork::of(device.ip);
    let hashes = password_hashes_per_network(state.settings.password_hashes_per_ip);
    let limits = &state.limits;
    // Every attempt is counted before the password is checked, so concurrent guesses on any number
    // of servers can't outrun the limits; a success gives back its failure, never its hash. The
    // network comes first: a client spraying many names is stopped before each name gets a row.
    let spent = limits
        .spend_in_turn(&[
            (Allowance::Network(&LOGIN_PER_NETWORK, network), Msg::LoginThrottled),
            (Allowance::Network(&hashes, network), Msg::PasswordAttemptsThrottledNetwork),
            (Allowance::Subject(&LOGIN_PER_NAME, &key), Msg::LoginThrottled),
            (Allowance::Subject(&LOGIN_HASHES_PER_NAME, &key), Msg::PasswordAttemptsThrottled),
        ])
        .await?;
    if let Err((message, Refused { retry_after })) = spent {
        tracing::warn!("login refused: too many attempts for this name or network");
        return Err(LoginError::Throttled { retry_after, message });
    }
    // No name or address holds a control character: such a login finds nobody (and is not sent
    // to the database, where PostgreSQL would refuse a NUL), but costs the same dummy check.
    let user = if key.is_empty() || key.chars().any(char::is_control) {
        None
    } else {
        users::find_by_login(&state.pool, &key).await.context("looking up the login")?
    };
    let matches = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
        .context("verifying the password")?;
    let Some(user) = user else { return Err(LoginError::InvalidCredentials) };
    if !matches {
        record_failed_login(state, user.id, device.clone());
        return Err(LoginError::InvalidCredentials);
    }
    limits.clear(&LOGIN_PER_NAME, &key).await?;
    limits.give_back_network(&LOGIN_PER_NETWORK, network).await?;
    users::touch_last_seen(&state.pool, &user.id, now()).await.context("recording the login")?;
    let token = start_session(state, &user, device).await?;
    tracing::info!(user_id = %user.id, "logged in");
    Ok(token)
}

/// Opens a session row for `user` on `device` and returns its token.
///
/// # Errors
/// On a database failure.
pub async fn start_session(state: &AppState, user: &UserRow, device: &Device) -> anyhow::Result<String> {
    let now = now();
    let session = SessionRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        created_at: now,
        last_seen: now,
        ip: device.ip.to_string(),
        user_agent: device.user_agent.clone(),
    };
    let mut tx = state.pool.begin().await.context("starting the session")?;
    sessions::insert(&mut *tx, &session).await.context("opening the session")?;
    security::record(&mut *tx, &user.id, SecurityEventKind::Login, device).await?;
    tx.commit().await.context("committing the session")?;
    Ok(issue_session(state, user, &session.id))
}

/// Writes the failed login in the named account's log after the answer has gone, through the
/// batching writer: a write only for names that exist would make the answer to a known name
/// slower than to an unknown one.
fn record_failed_login(state: &AppState, user_id: String, device: Device) {
    let events = state.events.clone();
    state.background.spawn(async move { events.soon(&user_id, SecurityEventKind::LoginFailed, &device).await });
}

/// A token for session `sid` of `user`, with the account's current session version and
/// confirmation state (after confirming, or changing the password, the same session goes on).
pub fn issue_session(state: &AppState, user: &UserRow, sid: &str) -> String {
    let iat = now();
    let claims = SessionClaims {
        sub: user.id.clone(),
        sid: sid.to_owned(),
        name: user.username.clone(),
        confirmed: user.confirmed,
        ver: user.session_version,
        typ: Purpose::Session.typ().to_owned(),
        iat,
        exp: iat + state.settings.session_ttl.as_secs() as i64,
    };
    state.tokens.sign(Purpose::Session, &claims)
}

/// Resolves an `Authorization` header value (`Bearer <jwt>`) to the current account.
///
/// # Errors
/// `Unauthenticated` for anything but a valid, current session token of an existing account.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    device: Device,
) -> Result<CurrentUser, AuthError> {
    let token = authorization.and_then(bearer_token).ok_or(AuthError::Unauthenticated)?;
    let claims: SessionClaims = state.tokens.verify(Purpose::Session, token).map_err(|_| AuthError::Unauthenticated)?;
    let id = UserId::parse(&claims.sub).map_err(|_| AuthError::Unauthenticated)?;
    // A session that was ended (logged out, revoked from another device) has no row any more.
    let (session, row) = sessions::find_with_user(&state.pool, &claims.sid)
        .await
        .context("loading the session")?
        .ok_or(AuthError::Unauthenticated)?;
    // A password change or "log out everywhere" bumped the version: this token is history.
    if row.id != claims.sub || row.session_version != claims.ver {
        return Err(AuthError::Unauthenticated);
    }
    // A session lives while it is used, and not forever: an idle or too old one ends here (its
    // row goes, so it can never be renewed).
    let now = now();
    let settings = &state.settings;
    if now - session.last_seen > settings.session_idle.as_secs() as i64
        || now - session.created_at > settings.session_max.as_secs() as i64
    {
        sessions::delete(&state.pool, &row.id, &session.id).await.context("ending an expired session")?;
        return Err(AuthError::Unauthenticated);
    }
    // The rows in hand say whether last_seen is stale: most requests then issue no write at all
    // (on SQLite even an UPDATE that matches nothing takes the write lock).
    if row.last_seen < now - users::LAST_SEEN_GRANULARITY_SECS {
        users::touch_last_seen(&state.pool, &row.id, now).await.context("recording activity")?;
    }
    if session.last_seen < now - users::LAST_SEEN_GRANULARITY_SECS {
        sessions::touch(&state.pool, &session.id, now).await.context("recording the session's activity")?;
    }
    let renewed = (now - claims.iat >= settings.session_ttl.as_secs() as i64 / 2)
        .then(|| issue_session(state, &row, &session.id));
    Ok(CurrentUser { id, row, session, device, renewed })
}

fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The account as `GET /api/users/me` shows it.
pub fn profile(user: &CurrentUser) -> UserProfile {
    UserProfile {
        id: user.id,
        username: user.row.username.clone(),
        email: user.row.email.clone(),
        confirmed: user.row.confirmed,
        created_at: rfc3339(user.row.created_at),
        last_seen: rfc3339(user.row.last_seen),
        language: user.row.locale.tag().to_owned(),
    }
}

pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_tokens_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn formats_instants_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
