//! The router guard: which pages a visitor may see, decided from the path and the session on every
//! navigation (the seed's `router.beforeEach`). Comfort only: the server re-checks every call.

use super::session::AuthState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (home, 404).
    Public,
    /// Only without a session (login, register): a logged-in visitor goes home.
    GuestOnly,
    /// Only with a session: others go to `/login?redirect=…`.
    LoginOnly,
}

/// The access rule of a path.
pub fn access(path: &str) -> Access {
    match path.trim_end_matches('/') {
        "/login" | "/register" => Access::GuestOnly,
        _ => Access::Public,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The session isn't known yet (server rendering, before hydration): draw nothing guarded.
    Wait,
    Redirect(String),
}

/// Decides what to do with a navigation to `path` (`full_path` adds the query, kept for the
/// redirect back after login).
pub fn decide(path: &str, full_path: &str, auth: &AuthState) -> Decision {
    match (access(path), auth) {
        (Access::Public, _) => Decision::Allow,
        (_, AuthState::Unknown) => Decision::Wait,
        (Access::GuestOnly, AuthState::LoggedIn(_)) => Decision::Redirect("/".into()),
        (Access::LoginOnly, AuthState::Anonymous) => {
            Decision::Redirect(format!("/login?redirect={}", encode_query_value(full_path)))
        }
        _ => Decision::Allow,
    }
}

/// Where to go after logging in: only a local path, so a crafted `?redirect=https://evil.example`
/// (or `//evil.example`) can't send someone off-site.
pub fn safe_redirect(target: Option<String>) -> String {
    match target {
        Some(t) if t.starts_with('/') && !t.starts_with("//") && !t.starts_with("/\\") => t,
        _ => "/".into(),
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::session::SessionInfo;

    fn user(confirmed: bool) -> AuthState {
        AuthState::LoggedIn(SessionInfo {
            sub: "u".into(),
            name: "ann".into(),
            confirmed,
            exp: i64::MAX,
        })
    }

    #[test]
    fn public_pages_are_drawn_for_everyone_at_once() {
        for auth in [AuthState::Unknown, AuthState::Anonymous, user(true)] {
            assert_eq!(decide("/", "/", &auth), Decision::Allow);
            assert_eq!(
                decide("/no/such/page", "/no/such/page", &auth),
                Decision::Allow
            );
        }
    }

    #[test]
    fn guest_pages_send_logged_in_users_home() {
        assert_eq!(
            decide("/login", "/login", &user(true)),
            Decision::Redirect("/".into())
        );
        assert_eq!(
            decide("/register/", "/register/", &user(true)),
            Decision::Redirect("/".into())
        );
        assert_eq!(
            decide("/login", "/login", &AuthState::Anonymous),
            Decision::Allow
        );
        assert_eq!(
            decide("/login", "/login", &AuthState::Unknown),
            Decision::Wait
        );
    }

    #[test]
    fn redirects_after_login_stay_on_this_site() {
        assert_eq!(safe_redirect(Some("/settings?x=1".into())), "/settings?x=1");
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_redirect(Some(evil.into())), "/");
        }
        assert_eq!(safe_redirect(None), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode_query_value("/unconfirmed?token=a.b#c"),
            "/unconfirmed%3Ftoken%3Da.b%23c"
        );
    }
}
