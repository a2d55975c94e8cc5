//! The application shell, the router with its guard, and the navigation bar.

use crate::i18n::Locale;
use crate::ui::{
    components::When,
    effect::effect,
    guard::{Access, Decision, access, decide, encode_query_value},
    hydration,
    locale::{Lang, tr},
    pages::{
        AccountRoute, ConfirmEmailChangeRoute, EmailCodeRoute, EmailLinkRoute, HomeRoute, LoginPage, NotFound,
        RegisterPage, ResetRequestRoute, ResetRoute, RevertEmailChangeRoute, SecureAccountRoute, SecurityRoute,
        UnconfirmedRoute,
    },
    session::{AuthState, Session},
};
use leptos::prelude::*;
use leptos_router::{
    Lazy, NavigateOptions,
    components::{A, FlatRoutes, Route, Router},
    hooks::{use_location, use_navigate, use_query_map},
    path,
};

/// The HTML document the server renders around the app. Server-only: the browser hydrates `App`
/// inside it, and the stylesheet's hashed name is read from the build's hash file.
///
/// The title is set here rather than in `App`: it never changes, so the browser can keep the one
/// the server wrote, and leptos_meta's browser half would cost the bundle 11 KB (3 KB compressed)
/// for nothing. `App` is the same on both sides, as hydration needs.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use crate::i18n::Locale;
    use leptos_meta::{MetaTags, Title, provide_meta_context};
    provide_meta_context();
    let stylesheet = crate::server::http::assets::stylesheet_href(&options);
    // The browser reads this back to start in the same language (see `ui::locale`).
    let lang = crate::i18n::request::current().tag();
    // The page's policy names the nonce leptos put on this page's inline scripts (a fresh one
    // per answer), so the header is written here, where the nonce is known.
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let nonce = leptos::nonce::use_nonce();
        let policy = crate::server::http::headers::content_security_policy(nonce.as_deref(), None);
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="stylesheet" id="leptos" href=stylesheet/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
                <Title text="Madblog"/>
            </head>
            <body>
                <App/>
                // After the app, not before: the browser hydrates the body from its first child.
                // Both languages, each marked, since without the app nothing can say which one
                // the reader chose.
                <noscript>
                    <div class="noscript" role="alert">
                        <p lang=Locale::En.tag()>{Locale::En.text().noscript}</p>
                        <p lang=Locale::ZhCn.tag()>{Locale::ZhCn.text().noscript}</p>
                    </div>
                </noscript>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    let session = Session::provide();
    let lang = Lang::provide();
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser; this one waits until the whole page is hydrated (see
    // `ui::hydration`): the first moment localStorage is readable without making the hydrated page
    // differ from the server's.
    effect(move || {
        if hydration::done() {
            untrack(|| {
                session.load();
                session.follow_other_tabs();
                lang.restore();
                hydrated.set(true);
            });
        }
    });

    view! {
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                <NavBar/>
                <main class="container" id="content" tabindex="-1">
                    <Guard>
                        // No route nests, so the flat router does: same matching, and a page is
                        // kept while only its query or fragment changes, as with <Routes>. The
                        // nested router's machinery was 43 KB of the bundle (12 KB compressed).
                        // Every page but the two a first visit lands on comes as a chunk of its
                        // own (see `ui::pages::lazy`).
                        <FlatRoutes fallback=NotFound>
                            <Route path=path!("/") view={Lazy::<HomeRoute>::new()}/>
                            <Route path=path!("/login") view=LoginPage/>
                            <Route path=path!("/login/email-code") view={Lazy::<EmailCodeRoute>::new()}/>
                            <Route path=path!("/login/email") view={Lazy::<EmailLinkRoute>::new()}/>
                            <Route path=path!("/register") view=RegisterPage/>
                            <Route path=path!("/unconfirmed") view={Lazy::<UnconfirmedRoute>::new()}/>
                            <Route path=path!("/reset-password-request") view={Lazy::<ResetRequestRoute>::new()}/>
                            <Route path=path!("/reset-password") view={Lazy::<ResetRoute>::new()}/>
                            <Route path=path!("/settings/account") view={Lazy::<AccountRoute>::new()}/>
                            <Route path=path!("/settings/security") view={Lazy::<SecurityRoute>::new()}/>
                            <Route path=path!("/confirm-email-change") view={Lazy::<ConfirmEmailChangeRoute>::new()}/>
                            <Route path=path!("/revert-email-change") view={Lazy::<RevertEmailChangeRoute>::new()}/>
                            <Route path=path!("/secure-account") view={Lazy::<SecureAccountRoute>::new()}/>
                        </FlatRoutes>
                    </Guard>
                </main>
                <footer class="footer container">{tr(|t| t.app_name)}</footer>
            </div>
        </Router>
    }
}

/// Checks every navigation against the session (see `ui::guard`) and draws the page only when it
/// is allowed, so a page meant for someone else never shows, not even for one frame.
#[component]
fn Guard(children: ChildrenFn) -> impl IntoView {
    let session = Session::expect();
    let location = use_location();
    let query = use_query_map();
    let navigate = use_navigate();
    let decision = Memo::new(move |_| {
        let path = location.pathname.get();
        let search = location.search.get();
        #[allow(unused_mut)]
        let mut full = if search.is_empty() { path.clone() } else { format!("{path}?{search}") };
        // The fragment carries emailed tokens (`/unconfirmed#token=…`) and must survive the detour
        // through /login. Servers never see it, so it is only read in the browser.
        #[cfg(feature = "hydrate")]
        full.push_str(&location.hash.get());
        let redirect = query.with(|q| q.get("redirect"));
        decide(&path, &full, redirect.as_deref(), &session.state())
    });
    effect({
        let navigate = navigate.clone();
        move || {
            if let Decision::Redirect(to) = decision.get() {
                navigate(&to, NavigateOptions { replace: true, ..Default::default() });
            }
        }
    });
    // A session that ended elsewhere: to the login page and back, from any page that shows the
    // account (a guest page or an emailed link's page has nothing to lose).
    effect(move || {
        if session.ended() {
            let path = location.pathname.get_untracked();
            if matches!(access(&path), Access::Public | Access::LoginOnly) {
                let search = location.search.get_untracked();
                let back = if search.is_empty() { path } else { format!("{path}?{search}") };
                navigate(&format!("/login?redirect={}", encode_query_value(&back)), NavigateOptions::default());
            }
        }
    });
    view! {
        <When
            when=move || decision.get() == Decision::Allow
            fallback=|| view! { <section class="card"><p class="muted">{tr(|t| t.loading)}</p></section> }
        >
            {children()}
        </When>
    }
}

#[component]
fn NavBar() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let log_out = move |_| session.end(navigate.clone());
    view! {
        <header class="navbar">
            <a class="skip-link" href="#content">{tr(|t| t.skip_to_content)}</a>
            <nav class="container nav-inner">
                <A href="/" attr:class="brand">{tr(|t| t.app_name)}</A>
                <div class="nav-links">
                    {move || match session.state() {
                        AuthState::Unknown => ().into_any(),
                        AuthState::Anonymous => view! {
                            <A href="/login">{tr(|t| t.nav_login)}</A>
                            <A href="/register" attr:class="button primary small">{tr(|t| t.nav_register)}</A>
                        }.into_any(),
                        AuthState::LoggedIn(info) => view! {
                            <When when=move || info.confirmed>
                                <A href="/settings/account">{tr(|t| t.nav_account)}</A>
                            </When>
                            <span class="whoami" data-testid="whoami">{info.name.clone()}</span>
                            <button class="link" on:click=log_out.clone()>{tr(|t| t.nav_logout)}</button>
                        }.into_any(),
                    }}
                    <LanguageSwitcher/>
                </div>
            </nav>
        </header>
    }
}

/// The languages, each named in itself (and marked so a screen reader says it right). Logged in,
/// a choice is also the account's: its mails follow it.
#[component]
fn LanguageSwitcher() -> impl IntoView {
    let lang = Lang::expect();
    let session = Session::expect();
    let on_change = move |ev: leptos::ev::Event| {
        if let Some(locale) = Locale::from_tag(&event_target_value(&ev)) {
            lang.choose(locale);
            // Fire and forget: the page has switched already; if the session has ended, the
            // account keeps its language until the next choice.
            #[cfg(feature = "hydrate")]
            if matches!(session.state(), AuthState::LoggedIn(_)) {
                leptos::task::spawn_local(async move {
                    let _ = crate::api::account::set_language(locale.tag().to_owned()).await;
                });
            }
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = session;
    view! {
        <label class="language">
            <span class="sr-only">{tr(|t| t.language_switcher_label)}</span>
            <select data-testid="language" on:change=on_change prop:value=move || lang.get().tag()>
                {Locale::ALL.map(|locale| view! {
                    <option value=locale.tag() lang=locale.tag() selected=move || lang.get() == locale>
                        {locale.text().language_name}
                    </option>
                })}
            </select>
        </label>
    }
}
