//! Sessions: opening one (after a login, `services::login`) and the tokens it is known by, and
//! authenticating requests (token → session → account), with the rotation of tokens by
//! generation. The account's own view of its sessions is in `services::devices`.

use crate::{
    domain::{SecurityEventKind, UserId},
    error::AppError,
    i18n::Msg,
    server::{
        auth::tokens::{Purpose, SessionClaims},
        clock::now,
        db::{
            sessions::{self, SessionRow},
            users::{self, UserRow},
        },
        identity::{AuthError, CurrentUser, Device},
        services::security,
        state::AppState,
    },
};
use anyhow::Context;

impl From<AuthError> for AppError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated => AppError::Unauthorized,
            AuthError::Unconfirmed => AppError::Forbidden(Msg::ConfirmFirst),
            AuthError::Unexpected(e) => super::internal_error("authentication", &e),
        }
    }
}

/// Opens a session row for `user` on `device` and returns its token. An account keeps at most
/// [`sessions::MAX_PER_ACCOUNT`] sessions: the least recently used beyond them end. The account's
/// `last_seen` moves in the same transaction: one commit a sign-in instead of two, since on SQLite
/// every commit takes the one write lock that the sign-ins around it wait for.
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
        generation: 0,
        generation_used_at: now,
    };
    let mut tx = state.pool.begin().await.context("starting the session")?;
    sessions::insert(&mut *tx, &session).await.context("opening the session")?;
    let trimmed =
        sessions::trim(&mut *tx, &user.id, sessions::MAX_PER_ACCOUNT).await.context("ending the oldest sessions")?;
    security::record(&mut *tx, &user.id, SecurityEventKind::Login, device).await?;
    users::touch_last_seen(&mut *tx, &user.id, now).await.context("recording the sign-in")?;
    tx.commit().await.context("committing the session")?;
    if trimmed > 0 {
        tracing::info!(user_id = %user.id, trimmed, "session limit reached: the least recently used ended");
    }
    Ok(issue_session(state, user, &session, 0))
}

/// A token of `generation` for `session` of `user`, with the account's current session version
/// and confirmation state. Its `exp` is the session's absolute end: no token outlives the session.
fn issue_session(state: &AppState, user: &UserRow, session: &SessionRow, generation: i64) -> String {
    let claims = SessionClaims {
        sub: user.id.clone(),
        sid: session.id.clone(),
        name: user.username.clone(),
        confirmed: user.confirmed,
        ver: user.session_version,
        generation: Some(generation),
        typ: Purpose::Session.typ().to_owned(),
        iat: now(),
        exp: session.created_at + state.settings.session.max.as_secs() as i64,
    };
    state.tokens.sign(Purpose::Session, &claims)
}

/// A token for `user`'s session with `row`'s current claims (after confirming, or changing the
/// password, the same session goes on), of the generation this request's renewal carries, so the
/// answer's two tokens never disagree on it.
pub fn reissue(state: &AppState, user: &CurrentUser, row: &UserRow) -> String {
    issue_session(state, row, &user.session, user.generation)
}

/// What the generation of a presented token says about it, given its session's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generation {
    /// The generation in use.
    Current,
    /// The one after it, issued by a rotation and now used for the first time: it becomes current.
    Next,
    /// The one before the current, within the grace after the current was first used: another tab
    /// or a request in flight that hasn't seen the rotation yet.
    PreviousInGrace,
    /// An older generation, or the previous one after its grace: someone else holds (and used) a
    /// newer token of this session, so one of the two copied it.
    Reused,
    /// Further ahead than any rotation issues: not a token of ours in good order.
    Unknown,
}

impl Generation {
    fn judge(presented: i64, session: &SessionRow, now: i64, grace_secs: i64) -> Self {
        let current = session.generation;
        if presented < 0 {
            Self::Unknown
        } else if presented == current {
            Self::Current
        } else if presented == current + 1 {
            Self::Next
        } else if presented == current - 1 && now - session.generation_used_at <= grace_secs {
            Self::PreviousInGrace
        } else if presented < current {
            Self::Reused
        } else {
            Self::Unknown
        }
    }
}

/// Resolves an `Authorization` header value (`Bearer <jwt>`) to the current account.
///
/// The session row is the authority: a well-signed token is accepted for as long as its session
/// lives (used within `SESSION_IDLE_DAYS`, begun within `SESSION_MAX_DAYS`, not ended by a
/// logout, a revocation, a password change or reset, or "log out everywhere"), however old the
/// token. Tokens rotate: past half of `SESSION_TTL_SECONDS` the answer carries the next
/// generation. A token older than the generation in use (beyond a short grace for the previous
/// one) means two parties hold this session's tokens: the session ends and the security log says
/// so.
///
/// # Errors
/// `Unauthenticated` for anything but a valid token of a live session of an existing account.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    device: Device,
) -> Result<CurrentUser, AuthError> {
    let token = authorization.and_then(bearer_token).ok_or(AuthError::Unauthenticated)?;
    let claims = state.tokens.verify_session(token).map_err(|_| AuthError::Unauthenticated)?;
    let id = UserId::parse(&claims.sub).map_err(|_| AuthError::Unauthenticated)?;
    // A session that was ended (logged out, revoked from another device) has no row any more.
    let (mut session, row) = sessions::find_with_user(&state.pool, &claims.sid)
        .await
        .context("loading the session")?
        .ok_or(AuthError::Unauthenticated)?;
    // A password change or "log out everywhere" bumped the version: this token is history.
    if row.id != claims.sub || row.session_version != claims.ver {
        return Err(AuthError::Unauthenticated);
    }
    if session.user_id != row.id {
        return Err(AuthError::Unauthenticated);
    }
    // A session lives while it is used, and not forever: an idle or too old one ends here (its
    // row goes, so it can never be renewed).
    let now = now();
    let settings = &state.settings;
    if now - session.last_seen > settings.session.idle.as_secs() as i64
        || now - session.created_at > settings.session.max.as_secs() as i64
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
    // Tokens from before rotation carry no generation: they are the first of their session.
    let presented = claims.generation.unwrap_or(0);
    let due = now - claims.iat >= settings.session.ttl.as_secs() as i64 / 2;
    let grace = settings.session.reuse_grace.as_secs() as i64;
    let (generation, renewed) = match Generation::judge(presented, &session, now, grace) {
        Generation::Current => {
            let next = session.generation + 1;
            (if due { next } else { session.generation }, due.then(|| issue_session(state, &row, &session, next)))
        }
        Generation::Next => {
            sessions::advance_generation(&state.pool, &session.id, presented, now)
                .await
                .context("recording the session's new token")?;
            session.generation = presented;
            session.generation_used_at = now;
            (presented, None)
        }
        Generation::PreviousInGrace => {
            (session.generation, Some(issue_session(state, &row, &session, session.generation)))
        }
        Generation::Reused => {
            end_reused_session(state, &row, &session, &device).await?;
            return Err(AuthError::Unauthenticated);
        }
        Generation::Unknown => return Err(AuthError::Unauthenticated),
    };
    Ok(CurrentUser { id, row, session, device, generation, renewed })
}

/// Ends a session whose tokens two parties hold, and says so in its account's security log. Which
/// of the two is the owner can't be told; both are sent to log in again, where only the owner has
/// the password.
async fn end_reused_session(
    state: &AppState,
    user: &UserRow,
    session: &SessionRow,
    device: &Device,
) -> Result<(), AuthError> {
    let mut tx = state.pool.begin().await.context("starting to end a reused session")?;
    // Two requests with stale copies at once: the first ends the session, the second finds it gone.
    if sessions::delete(&mut *tx, &user.id, &session.id).await.context("ending a reused session")? {
        security::record(&mut *tx, &user.id, SecurityEventKind::TokenReuse, device).await?;
    }
    tx.commit().await.context("committing the end of a reused session")?;
    tracing::warn!(user_id = %user.id, "a session token was used after a newer one: the session is ended");
    Ok(())
}

fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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

    fn at_generation(generation: i64, used_at: i64) -> SessionRow {
        SessionRow {
            id: "s".into(),
            user_id: "u".into(),
            created_at: 0,
            last_seen: 0,
            ip: String::new(),
            user_agent: String::new(),
            generation,
            generation_used_at: used_at,
        }
    }

    #[test]
    fn a_token_is_judged_by_its_generation_against_the_sessions() {
        let session = at_generation(5, 1_000);
        let judge = |presented, now| Generation::judge(presented, &session, now, 30);
        assert_eq!(judge(5, 99_999), Generation::Current, "the current one, however long after");
        assert_eq!(judge(6, 1_001), Generation::Next);
        assert_eq!(judge(4, 1_030), Generation::PreviousInGrace, "within 30 s of the current one's first use");
        assert_eq!(judge(4, 1_031), Generation::Reused, "past the grace");
        assert_eq!(judge(3, 1_001), Generation::Reused, "two back, even at once");
        assert_eq!(judge(0, 1_001), Generation::Reused);
        assert_eq!(judge(7, 1_001), Generation::Unknown, "no rotation issues two ahead");
    }

    #[test]
    fn no_generation_comes_before_the_first() {
        let session = at_generation(0, 1_000);
        assert_eq!(Generation::judge(-1, &session, 1_001, 30), Generation::Unknown);
    }
}
