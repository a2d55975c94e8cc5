//! The security log's events as both ends see them: what happened, when, from where.

use serde::{Deserialize, Serialize};

/// What happened to the account. Stored and sent as its snake-case name (`login_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventKind {
    Login,
    /// A wrong password for this account's name or address (unknown names have no log to go in).
    LoginFailed,
    Logout,
    /// "Log out of all devices": every session ended, this one included.
    LogoutEverywhere,
    PasswordChanged,
    PasswordReset,
    EmailChangeRequested,
    EmailChangeConfirmed,
    EmailChangeReverted,
    /// Sessions ended from the devices list (one, or all but the current one).
    SessionRevoked,
    /// The address was confirmed (by link or by code).
    Confirmed,
    /// A session token was used after a newer one of the same session: two parties held the
    /// session (one copied its token), so it was ended.
    TokenReuse,
    /// "This wasn't me" from a new-device mail: every session ended and the password locked.
    AccountSecured,
    /// A password set, with a mailed code, on an account that had none.
    PasswordSet,
}

impl SecurityEventKind {
    pub const ALL: [Self; 14] = [
        Self::Login,
        Self::LoginFailed,
        Self::Logout,
        Self::LogoutEverywhere,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailChangeRequested,
        Self::EmailChangeConfirmed,
        Self::EmailChangeReverted,
        Self::SessionRevoked,
        Self::Confirmed,
        Self::TokenReuse,
        Self::AccountSecured,
        Self::PasswordSet,
    ];

    /// The name stored in `security_events.kind` and sent on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::LogoutEverywhere => "logout_everywhere",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChangeConfirmed => "email_change_confirmed",
            Self::EmailChangeReverted => "email_change_reverted",
            Self::SessionRevoked => "session_revoked",
            Self::Confirmed => "confirmed",
            Self::TokenReuse => "token_reuse",
            Self::AccountSecured => "account_secured",
            Self::PasswordSet => "password_set",
        }
    }

    /// The kind a stored name stands for; `None` for a name this version doesn't know.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// One row of the security log, as `GET /api/security-events` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub kind: SecurityEventKind,
    /// RFC 3339, UTC; the first of the events the row stands for.
    pub at: String,
    /// The client's address; for a failed login, its network (an IPv6 client's /64).
    pub ip: String,
    pub user_agent: String,
    /// How many events the row stands for: the failed logins from one network within one clock
    /// hour are one row; every other row is one event.
    pub count: i64,
    /// RFC 3339, UTC: the last of them (`at` when `count` is 1).
    pub last_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_and_sent_by_the_same_name() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.name()));
            assert_eq!(SecurityEventKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(SecurityEventKind::from_name("nope"), None);
    }
}
