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
                let name = describe(t, &event, tag);
                view! {
                    <li class="event" data-kind=event.kind.name() data-count=event.count>
                        <div>
                            <p class="event-name">{name}</p>
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

/// What a row of the log says in the reader's language: its event's name, or for failed logins
/// folded into one row, how many there were, from where, and when the last one was.
fn describe(t: &Catalogue, event: &SecurityEvent, tag: &str) -> String {
    if event.kind == SecurityEventKind::LoginFailed && event.count > 1 {
        let count = event.count.to_string();
        let last = local_time(&event.last_at, tag);
        fill(t.event_login_failed_many, &[("count", &count), ("address", &event.ip), ("time", &last)])
    } else {
        label(t, event.kind).to_owned()
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
        SecurityEventKind::AccountSecured => t.event_account_secured,
        SecurityEventKind::PasswordSet => t.event_password_set,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use crate::{
        domain::{SecurityEvent, SecurityEventKind},
        i18n::Locale,
    };

    fn failed(count: i64) -> SecurityEvent {
        SecurityEvent {
            kind: SecurityEventKind::LoginFailed,
            at: "2026-12-07T10:05:00Z".into(),
            ip: "203.0.113.7".into(),
            user_agent: "curl".into(),
            count,
            last_at: "2026-12-07T10:55:00Z".into(),
        }
    }

    #[test]
    fn folded_failed_logins_say_how_many_from_where_and_when_the_last_was() {
        let (en, zh) = (Locale::En.text(), Locale::ZhCn.text());
        // Outside the browser the time stays as sent; the browser words it in the reader's zone.
        assert_eq!(
            describe(en, &failed(12), "en"),
            "12 failed sign-ins from 203.0.113.7, last at 2026-12-07T10:55:00Z"
        );
        assert_eq!(
            describe(zh, &failed(12), "zh-CN"),
            "来自 203.0.113.7 的 12 次登录失败，最近一次于 2026-12-07T10:55:00Z"
        );
        assert_eq!(describe(en, &failed(1), "en"), en.event_login_failed, "a single failure keeps its wording");
    }
}
