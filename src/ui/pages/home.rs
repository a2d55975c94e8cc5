//! `/`: greets the logged-in user with their account, or invites a visitor in.

use crate::{
    domain::UserProfile,
    error::AppError,
    i18n::fill,
    ui::{
        components::When,
        effect::effect,
        locale::{Lang, tr},
        session::{AuthState, Session},
    },
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

#[component]
pub fn HomePage() -> impl IntoView {
    let session = Session::expect();
    view! {
        {move || match session.state() {
            AuthState::Unknown => view! { <section class="card"><p class="muted">{tr(|t| t.loading)}</p></section> }.into_any(),
            AuthState::Anonymous => view! {
                <section class="card hero">
                    <h1>{tr(|t| t.home_welcome)}</h1>
                    <p>{tr(|t| t.home_pitch)}</p>
                    <p class="actions">
                        <A href="/register" attr:class="button primary">{tr(|t| t.login_create_account)}</A>
                        <A href="/login" attr:class="button">{tr(|t| t.nav_login)}</A>
                    </p>
                </section>
            }.into_any(),
            AuthState::LoggedIn(info) => view! { <Welcome name=info.name/> }.into_any(),
        }}
    }
}

#[component]
fn Welcome(name: String) -> impl IntoView {
    let session = Session::expect();
    let lang = Lang::expect();
    let navigate = use_navigate();
    // Fetched in the browser only: the token is in localStorage, which the server can't read.
    // A task and a signal rather than a `LocalResource` read under `<Suspense>`: the profile is
    // fetched once and never refetched, and those two pulled async machinery that nothing else
    // uses into the bundle (21 KB, 8.5 KB compressed).
    let profile = RwSignal::new(None::<Result<UserProfile, AppError>>);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let answer = crate::api::account::me().await;
        // Logged out meanwhile: the page and its signal are gone, and the answer with them.
        let _ = profile.try_set(Some(answer));
    });
    effect(move || {
        if let Some(Err(AppError::Unauthorized)) = profile.get() {
            // The server no longer accepts this session (expired, or logged out elsewhere).
            session.log_out();
            navigate("/login?redirect=/", Default::default());
        }
    });
    view! {
        <section class="card">
            <h1>{move || fill(lang.text().home_hello, &[("name", &name)])}</h1>
            <When when=move || profile.with(Option::is_some) fallback=|| view! { <p class="muted">{tr(|t| t.home_loading_account)}</p> }>
                {move || profile.get().map(|result| match result {
                    Ok(p) => view! {
                        <dl class="profile">
                            <dt>{tr(|t| t.field_username)}</dt><dd data-testid="profile-username">{p.username}</dd>
                            <dt>{tr(|t| t.field_email)}</dt><dd>{p.email}</dd>
                            <dt>{tr(|t| t.profile_member_since)}</dt><dd>{p.created_at}</dd>
                        </dl>
                    }.into_any(),
                    Err(e) => view! { <p class="notice notice-error">{move || e.message(lang.text())}</p> }.into_any(),
                })}
            </When>
        </section>
    }
}
