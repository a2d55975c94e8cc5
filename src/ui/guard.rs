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
    /// Anyone, whatever their session: a page an emailed link opens that needs no login and must
    /// work in any browser (`/revert-email-change`).
    Open,
}

/// The access rule of a path.
pub fn access(path: &str) -> Access {
    match path.trim_end_matches('/') {
        "/login" | "/register" | "/reset-password-request" | "/reset-password" => Access::GuestOnly,
        "/unconfirmed" => Access::Unconfirmed,
        "/confirm-email-change" => Access::LoginOnly,
        "/revert-email-change" => Access::Open,
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
/// for the way back (`?redirect=`), and `redirect` is the page's own `?redirect=` value. The rules
/// of the seed's `router.beforeEach`, in its order.
///
/// The guard also makes the moves that follow a change of session: after logging in (on a guest
/// page) or confirming (on /unconfirmed) it goes on to `redirect`. One place navigates, so a page
/// and the guard never race each other to different places.
pub fn decide(path: &str, full_path: &str, redirect: Option<&str>, auth: &AuthState) -> Decision {
    let access = access(path);
    let back = || encode_query_value(full_path);
    let onward = || safe_redirect(redirect.map(str::to_owned));
    match auth {
        _ if access == Access::Open => Decision::Allow,
        AuthState::Unknown if access == Access::Public => Decision::Allow,
        AuthState::Unknown => Decision::Wait,
        AuthState::Anonymous => match access {
            Access::LoginOnly | Access::Unconfirmed => Decision::Redirect(format!("/login?redirect={}", back())),
            Access::Public | Access::GuestOnly | Access::Open => Decision::Allow,
        },
        // An unconfirmed account sees /unconfirmed and nothing else, whatever it asks for.
        AuthState::LoggedIn(info) if !info.confirmed => match access {
            Access::Unconfirmed => Decision::Allow,
            // Just logged in (on the way to `?redirect=`, or home): to /unconfirmed, keeping that
            // destination. An emailed link's `/unconfirmed#token=…` goes straight through.
            Access::GuestOnly => {
                let target = onward();
                if access_of_target(&target) == Access::Unconfirmed {
                    Decision::Redirect(target)
                } else {
                    Decision::Redirect(format!("/unconfirmed?redirect={}", encode_query_value(&target)))
                }
            }
            _ => Decision::Redirect(format!("/unconfirmed?redirect={}", back())),
        },
        AuthState::LoggedIn(_) => match access {
            Access::Unconfirmed | Access::GuestOnly => {
                let target = onward();
                if access_of_target(&target) == Access::Unconfirmed || access_of_target(&target) == Access::GuestOnly {
                    Decision::Redirect("/".into())
                } else {
                    Decision::Redirect(target)
                }
            }
            Access::Public | Access::LoginOnly | Access::Open => Decision::Allow,
        },
    }
}

/// The access rule of a local URL (path, maybe with query and fragment).
fn access_of_target(target: &str) -> Access {
    access(target.split(['?', '#']).next().unwrap_or("/"))
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
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
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
            sid: "s".into(),
            generation: 0,
        })
    }

    #[test]
    fn public_pages_are_drawn_at_once_for_visitors_and_confirmed_users() {
        for auth in [AuthState::Unknown, AuthState::Anonymous, user(true)] {
            assert_eq!(decide("/", "/", None, &auth), Decision::Allow);
            assert_eq!(decide("/no/such/page", "/no/such/page", None, &auth), Decision::Allow);
        }
    }

    #[test]
    fn guest_pages_send_logged_in_users_home() {
        for page in ["/login", "/register/", "/reset-password-request", "/reset-password"] {
            assert_eq!(decide(page, page, None, &user(true)), Decision::Redirect("/".into()), "{page}");
            assert_eq!(decide(page, page, None, &AuthState::Anonymous), Decision::Allow, "{page}");
            assert_eq!(decide(page, page, None, &AuthState::Unknown), Decision::Wait, "{page}");
        }
    }

    #[test]
    fn an_unconfirmed_user_is_held_on_unconfirmed_whatever_the_url() {
        for page in ["/", "/settings/account", "/no/such/page"] {
            let full = format!("{page}?x=1");
            assert_eq!(
                decide(page, &full, None, &user(false)),
                Decision::Redirect(format!("/unconfirmed?redirect={}", encode_query_value(&full))),
                "{page}"
            );
        }
        // Guest pages have nothing to come back to: home after confirming.
        for page in ["/login", "/register", "/reset-password-request", "/reset-password"] {
            assert_eq!(decide(page, page, None, &user(false)), Decision::Redirect("/unconfirmed?redirect=/".into()));
        }
        assert_eq!(decide("/unconfirmed", "/unconfirmed#token=t", None, &user(false)), Decision::Allow);
    }

    #[test]
    fn login_only_pages_send_visitors_to_login_and_back() {
        assert_eq!(
            decide("/unconfirmed", "/unconfirmed#token=a.b.c", None, &AuthState::Anonymous),
            Decision::Redirect("/login?redirect=/unconfirmed%23token%3Da.b.c".into())
        );
        assert_eq!(
            decide("/settings/account", "/settings/account", None, &AuthState::Anonymous),
            Decision::Redirect("/login?redirect=/settings/account".into())
        );
        assert_eq!(decide("/settings/account", "/settings/account", None, &user(true)), Decision::Allow);
    }

    #[test]
    fn logging_in_goes_on_to_the_page_asked_for() {
        let link = "/unconfirmed#token=a.b.c";
        assert_eq!(decide("/login", "/login?redirect=x", Some(link), &user(false)), Decision::Redirect(link.into()));
        assert_eq!(
            decide("/login", "/login?redirect=x", Some("/settings/account"), &user(false)),
            Decision::Redirect("/unconfirmed?redirect=/settings/account".into())
        );
        assert_eq!(
            decide("/login", "/login?redirect=x", Some("/settings/account"), &user(true)),
            Decision::Redirect("/settings/account".into())
        );
        assert_eq!(decide("/login", "/login?redirect=x", Some(link), &user(true)), Decision::Redirect("/".into()));
        assert_eq!(
            decide("/login", "/login?redirect=x", Some("https://evil.example"), &user(true)),
            Decision::Redirect("/".into())
        );
    }

    #[test]
    fn confirming_goes_on_to_the_page_first_asked_for() {
        assert_eq!(
            decide("/unconfirmed", "/unconfirmed?redirect=/x", Some("/x"), &user(true)),
            Decision::Redirect("/x".into())
        );
    }

    #[test]
    fn a_confirmed_user_has_nothing_to_do_on_unconfirmed() {
        assert_eq!(decide("/unconfirmed", "/unconfirmed", None, &user(true)), Decision::Redirect("/".into()));
    }

    #[test]
    fn redirects_after_login_stay_on_this_site() {
        assert_eq!(safe_redirect(Some("/settings?x=1".into())), "/settings?x=1");
        for evil in ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"] {
            assert_eq!(safe_redirect(Some(evil.into())), "/");
        }
        assert_eq!(safe_redirect(None), "/");
    }

    #[test]
    fn the_email_change_link_needs_a_login_and_keeps_its_token_for_after_it() {
        let path = "/confirm-email-change#token=a.b.c";
        assert_eq!(
            decide("/confirm-email-change", path, None, &AuthState::Anonymous),
            Decision::Redirect("/login?redirect=/confirm-email-change%23token%3Da.b.c".into())
        );
        assert_eq!(decide("/confirm-email-change", path, None, &user(true)), Decision::Allow);
        assert_eq!(decide("/confirm-email-change", path, None, &AuthState::Unknown), Decision::Wait);
    }

    #[test]
    fn the_revert_link_opens_for_anyone_whatever_their_session() {
        for auth in [AuthState::Unknown, AuthState::Anonymous, user(false), user(true)] {
            assert_eq!(decide("/revert-email-change", "/revert-email-change#token=t", None, &auth), Decision::Allow);
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query_value("/unconfirmed?token=a.b#c"), "/unconfirmed%3Ftoken%3Da.b%23c");
    }
}
