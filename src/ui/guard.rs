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
    /// work in any browser (`/revert-email-change`, `/secure-account`).
    Open,
}

/// The access rule of a path.
pub fn access(path: &str) -> Access {
    match path.trim_end_matches('/') {
        "/login" | "/login/email-code" | "/register" | "/reset-password-request" | "/reset-password" => {
            Access::GuestOnly
        }
        "/unconfirmed" => Access::Unconfirmed,
        "/confirm-email-change" => Access::LoginOnly,
        "/revert-email-change" | "/secure-account" | "/login/email" => Access::Open,
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

/// Where to go after logging in: only a plain path on this site, so a crafted `?redirect=` can't
/// send someone elsewhere. Anything else is home.
pub fn safe_redirect(target: Option<String>) -> String {
    match target {
        Some(t) if is_plain_local_path(&t) && stays_on_this_origin(&t) => t,
        _ => "/".into(),
    }
}

/// Whether `target` is a plain absolute path (with maybe a query and a fragment), refusing
/// everything a URL parser could read as another host: browsers drop tabs and newlines anywhere
/// and trim spaces and controls at the ends (`/\t/evil.example` becomes `//evil.example`), and read
/// a backslash as a slash. A path has no use for any of these, nor for encoded slashes, so they
/// are refused outright rather than cleaned up.
fn is_plain_local_path(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && !path.contains("%2f")
        && !path.contains("%5c")
}

/// In the browser, its own URL parser has the last word: the target, read against this page's
/// origin, must stay on it (the router leaves the site for any other origin).
#[cfg(feature = "hydrate")]
fn stays_on_this_origin(target: &str) -> bool {
    let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) else { return false };
    web_sys::Url::new_with_base(target, &origin).is_ok_and(|url| url.origin() == origin)
}

#[cfg(not(feature = "hydrate"))]
fn stays_on_this_origin(_target: &str) -> bool {
    true
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
        for local in ["/", "/settings?x=1", "/settings/account?tab=x#top", "/unconfirmed#token=a.b.c", "/a%20b"] {
            assert_eq!(safe_redirect(Some(local.into())), local);
        }
        // A query or a fragment may carry encoded slashes: only the path decides where we go.
        assert_eq!(
            safe_redirect(Some("/unconfirmed?redirect=%2Fsettings".into())),
            "/unconfirmed?redirect=%2Fsettings"
        );
        assert_eq!(safe_redirect(None), "/");
    }

    #[test]
    fn a_redirect_that_a_url_parser_could_read_as_another_host_goes_home() {
        let hostile = [
            ("an absolute URL", "https://evil.example"),
            ("a scheme-relative URL", "//evil.example"),
            ("a tab", "/\t/evil.example"),
            ("a carriage return", "/\r/evil.example"),
            ("a line feed", "/\n/evil.example"),
            ("a tab before the slashes", "\t//evil.example"),
            ("a space before the slashes", " //evil.example"),
            ("a NUL", "/\0/evil.example"),
            ("a line separator", "/\u{2028}/evil.example"),
            ("a backslash", "/\\evil.example"),
            ("two backslashes", "\\\\evil.example"),
            ("a backslash later on", "/a/\\..\\..\\evil.example"),
            ("encoded slashes", "/%2F/evil.example"),
            ("encoded slashes in lower case", "/%2f%2fevil.example"),
            ("an encoded backslash", "/%5Cevil.example"),
            ("javascript:", "javascript:alert(1)"),
            ("JavaScript: in capitals", "JavaScript:alert(1)"),
            ("a data: URL", "data:text/html,<script>alert(1)</script>"),
            ("a bare host", "evil.example"),
            ("nothing", ""),
        ];
        for (what, target) in hostile {
            assert_eq!(safe_redirect(Some(target.into())), "/", "{what}: {target:?}");
        }
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
    fn the_revert_and_secure_account_links_open_for_anyone_whatever_their_session() {
        for auth in [AuthState::Unknown, AuthState::Anonymous, user(false), user(true)] {
            assert_eq!(decide("/revert-email-change", "/revert-email-change#token=t", None, &auth), Decision::Allow);
            assert_eq!(decide("/secure-account", "/secure-account#token=t", None, &auth), Decision::Allow);
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query_value("/unconfirmed?token=a.b#c"), "/unconfirmed%3Ftoken%3Da.b%23c");
    }
}
