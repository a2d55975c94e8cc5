//! The router guard: which pages a visitor may see, decided from the path and the session on every
//! navigation (the seed's `router.beforeEach`). Comfort only: the server re-checks every call.

use super::session::AuthState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone with no session or a confirmed one (home, 404).
    Public,
    /// Only without a session (login, register, password reset): a logged-in visitor goes home.
    GuestOnly,
    /// Only with a confirmed session: others go to `/login?redirect=…`.
    LoginOnly,
    /// `/unconfirmed`: only with a session that still needs confirming.
    Unconfirmed,
}

/// The access rule of a path.
pub fn access(path: &str) -> Access {
    match path.trim_end_matches('/') {
        "/login" | "/register" | "/reset-password-request" | "/reset-password" => Access::GuestOnly,
        "/unconfirmed" => Access::Unconfirmed,
        p if p == "/settings" || p.starts_with("/settings/") => Access::LoginOnly,
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

/// Decides what to do with a navigation to `path`; `full_path` adds the query and fragment, kept
/// for the way back (`?redirect=`). The rules of the seed's `router.beforeEach`, in its order.
pub fn decide(path: &str, full_path: &str, auth: &AuthState) -> Decision {
    let access = access(path);
    let back = || encode_query_value(full_path);
    match auth {
        AuthState::Unknown if access == Access::Public => Decision::Allow,
        AuthState::Unknown => Decision::Wait,
        AuthState::Anonymous => match access {
            Access::LoginOnly | Access::Unconfirmed => {
                Decision::Redirect(format!("/login?redirect={}", back()))
            }
            Access::Public | Access::GuestOnly => Decision::Allow,
        },
        // An unconfirmed account sees /unconfirmed and nothing else, whatever it asks for.
        AuthState::LoggedIn(info) if !info.confirmed => match access {
            Access::Unconfirmed => Decision::Allow,
            _ => Decision::Redirect(format!("/unconfirmed?redirect={}", back())),
        },
        AuthState::LoggedIn(_) => match access {
            Access::Unconfirmed | Access::GuestOnly => Decision::Redirect("/".into()),
            Access::Public | Access::LoginOnly => Decision::Allow,
        },
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
    fn public_pages_are_drawn_at_once_for_visitors_and_confirmed_users() {
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
        for page in [
            "/login",
            "/register/",
            "/reset-password-request",
            "/reset-password",
        ] {
            assert_eq!(
                decide(page, page, &user(true)),
                Decision::Redirect("/".into()),
                "{page}"
            );
            assert_eq!(
                decide(page, page, &AuthState::Anonymous),
                Decision::Allow,
                "{page}"
            );
            assert_eq!(
                decide(page, page, &AuthState::Unknown),
                Decision::Wait,
                "{page}"
            );
        }
    }

    #[test]
    fn an_unconfirmed_user_is_held_on_unconfirmed_whatever_the_url() {
        for page in [
            "/",
            "/login",
            "/register",
            "/settings/account",
            "/no/such/page",
            "/reset-password",
        ] {
            let full = format!("{page}?x=1");
            assert_eq!(
                decide(page, &full, &user(false)),
                Decision::Redirect(format!(
                    "/unconfirmed?redirect={}",
                    encode_query_value(&full)
                )),
                "{page}"
            );
        }
        assert_eq!(
            decide("/unconfirmed", "/unconfirmed#token=t", &user(false)),
            Decision::Allow
        );
    }

    #[test]
    fn login_only_pages_send_visitors_to_login_and_back() {
        assert_eq!(
            decide(
                "/unconfirmed",
                "/unconfirmed#token=a.b.c",
                &AuthState::Anonymous
            ),
            Decision::Redirect("/login?redirect=/unconfirmed%23token%3Da.b.c".into())
        );
        assert_eq!(
            decide(
                "/settings/account",
                "/settings/account",
                &AuthState::Anonymous
            ),
            Decision::Redirect("/login?redirect=/settings/account".into())
        );
        assert_eq!(
            decide("/settings/account", "/settings/account", &user(true)),
            Decision::Allow
        );
    }

    #[test]
    fn a_confirmed_user_has_nothing_to_do_on_unconfirmed() {
        assert_eq!(
            decide("/unconfirmed", "/unconfirmed", &user(true)),
            Decision::Redirect("/".into())
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
