//! `/settings/security`: the account's security log, newest first, so a person can see a login or
//! a change they did not make.

use super::devices::{agent, local_time};
use crate::{
    domain::{SecurityEvent, SecurityEventKind},
    error::AppError,
    i18n::{Catalogue, fill},
    ui::{
        components::Problem,
        effect::effect,
        locale::{Lang, tr},
    },
};
use leptos::prelude::*;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let lang = Lang::expect();
    let events = RwSignal::new(None::<Result<Vec<SecurityEvent>, AppError>>);
    // Loaded in the browser, where the token is.
    effect(move || {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let answer = crate::api::security::security_events().await;
            let _ = events.try_set(Some(answer));
        });
    });
    let failure = Signal::derive(move || events.get().and_then(Result::err));
    let rows = move || {
        let t = lang.text();
        let tag = lang.get().tag();
        let list = events.get().and_then(Result::ok);
        let empty = list.as_ref().is_some_and(Vec::is_empty);
        let items = list
            .unwrap_or_default()
            .into_iter()
            .map(|event| {
                let place = fill(t.device_summary, &[("agent", &agent(t, &event.user_agent)), ("address", &event.ip)]);
                view! {
                    <li class="event" data-kind=event.kind.name()>
                        <div>
                            <p class="event-name">{label(t, event.kind)}</p>
                            <p class="muted">{place}</p>
                        </div>
                        <time datetime=event.at.clone()>{local_time(&event.at, tag)}</time>
                    </li>
                }
            })
            .collect_view();
        view! {
            {empty.then(|| view! { <p class="muted">{t.security_empty}</p> })}
            <ul class="events" data-testid="security-events">{items}</ul>
        }
    };
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.security_title)}</h1>
            <p class="muted">{tr(|t| t.security_explain)}</p>
            <Problem error=failure/>
            {move || events.get().is_none().then(|| view! { <p class="muted" role="status">{tr(|t| t.loading)}</p> })}
            {rows}
        </section>
    }
}

/// What an event is called in the reader's language.
fn label(t: &Catalogue, kind: SecurityEventKind) -> &'static str {
    match kind {
        SecurityEventKind::Login => t.event_login,
        SecurityEventKind::LoginFailed => t.event_login_failed,
        SecurityEventKind::Logout => t.event_logout,
        SecurityEventKind::LogoutEverywhere => t.event_logout_everywhere,
        SecurityEventKind::PasswordChanged => t.event_password_changed,
        SecurityEventKind::PasswordReset => t.event_password_reset,
        SecurityEventKind::EmailChangeRequested => t.event_email_change_requested,
        SecurityEventKind::EmailChangeConfirmed => t.event_email_change_confirmed,
        SecurityEventKind::EmailChangeReverted => t.event_email_change_reverted,
        SecurityEventKind::SessionRevoked => t.event_session_revoked,
        SecurityEventKind::Confirmed => t.event_confirmed,
        SecurityEventKind::TokenReuse => t.event_token_reuse,
    }
}
