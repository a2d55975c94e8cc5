//! Identifiers and the public view of an account, as both ends see them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An account's id: a random UUID made by the server, so ids reveal neither how many accounts
/// exist nor in what order they were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub uuid::Uuid);

impl UserId {
    /// # Errors
    /// When `raw` is not a UUID.
    pub fn parse(raw: &str) -> Result<Self, uuid::Error> {
        uuid::Uuid::parse_str(raw).map(Self)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One logged-in device, as `GET /api/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSession {
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub last_seen: String,
    pub ip: String,
    pub user_agent: String,
    /// Whether this is the session the list was asked for with.
    pub current: bool,
}

/// What `GET /api/users/me` and the `me` server function return about the logged-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub confirmed: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub last_seen: String,
    /// The language of the account's mail, as a BCP 47 tag (`en`, `zh-CN`).
    pub language: String,
    /// Mail to `email` bounced: the receiving server says the mailbox doesn't exist, so no more
    /// mail goes there until the address is changed (or an operator lifts the suppression).
    #[serde(default)]
    pub email_undeliverable: bool,
    /// The receiving server's words, when `email_undeliverable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undeliverable_reason: Option<String>,
    /// Whether the account has a password. Without one (its password was dropped or locked) it
    /// signs in by email, and sets a password with a mailed code before the forms that ask for it.
    #[serde(default = "yes")]
    pub has_password: bool,
}

fn yes() -> bool {
    true
}

/// What `GET /api/users/<id>` shows a member about another: no address, nothing private.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicProfile {
    pub id: String,
    pub username: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub last_seen: String,
}
