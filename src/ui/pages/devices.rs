//! The "Your devices" part of `/settings/account`: every session of the account, this one marked,
//! each with a way to log it out, and "log out everywhere else".

use crate::{
    api::devices::{EndOtherSessions, EndSession},
    domain::DeviceSession,
    error::AppError,
    i18n::{Catalogue, fill},
    ui::{
        components::{Notice, Problem},
        effect::effect,
        locale::{Lang, tr},
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn DeviceList() -> impl IntoView {
    let lang = Lang::expect();
    let session = Session::expect();
    let navigate = use_navigate();
    let list = RwSignal::new(None::<Result<Vec<DeviceSession>, AppError>>);
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    // Loaded in the browser (the token is there), and again after each change.
    let reload = move || {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let answer = crate::api::devices::sessions().await;
            let _ = list.try_set(Some(answer));
        });
    };
    effect(move || {
        end_one.version().get();
        end_others.version().get();
        reload();
    });

    let failure = Signal::derive(move || {
        list.get()
            .and_then(Result::err)
            .or_else(|| end_one.value().get().and_then(Result::err))
            .or_else(|| end_others.value().get().and_then(Result::err))
    });
    let ended = move || match end_others.value().get() {
        Some(Ok(count)) => Some(fill(lang.text().devices_ended, &[("count", &count.to_string())])),
        _ => None,
    };
    let rows = move || {
        let t = lang.text();
        list.get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|device| {
                let summary =
                    fill(t.device_summary, &[("agent", &agent(t, &device.user_agent)), ("address", &device.ip)]);
                let seen = fill(t.device_last_active, &[("time", &local_time(&device.last_seen, lang.get().tag()))]);
                let id = device.id.clone();
                let navigate = navigate.clone();
                let log_out = move |_| {
                    if device.current {
                        session.end(navigate.clone());
                    } else {
                        end_one.dispatch(EndSession { id: id.clone() });
                    }
                };
                view! {
                    <li class="device" data-current=device.current.to_string()>
                        <div>
                            <p class="device-name">{summary}</p>
                            <p class="muted">{seen}</p>
                        </div>
                        {device.current.then(|| view! { <span class="badge">{tr(|t| t.device_current)}</span> })}
                        <button class="button small" on:click=log_out>{tr(|t| t.device_log_out)}</button>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <h2>{tr(|t| t.devices_title)}</h2>
        <p class="muted">{tr(|t| t.devices_explain)}</p>
        <Problem error=failure/>
        <Notice kind="success" message=Signal::derive(ended)/>
        <ul class="devices" data-testid="devices">{rows}</ul>
        <button class="button" on:click=move |_| { end_others.dispatch(EndOtherSessions {}); } disabled=move || end_others.pending().get()>
            {tr(|t| t.devices_log_out_others)}
        </button>
    }
}

/// A device as the server describes it ("Firefox on Linux", "curl", "unknown"), in the reader's
/// language: the server stores one language-neutral form, and the words around it are the page's.
pub(super) fn agent(t: &Catalogue, described: &str) -> String {
    t.device_name(described)
}

/// An RFC 3339 instant in the reader's language and time zone ("2026/11/30 15:29:00").
pub(super) fn local_time(rfc3339: &str, _tag: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
        if !date.get_time().is_nan() {
            return String::from(date.to_locale_string(_tag, &wasm_bindgen::JsValue::UNDEFINED));
        }
    }
    rfc3339.to_owned()
}

#[cfg(test)]
mod tests {
    use super::agent;
    use crate::i18n::Locale;

    #[test]
    fn devices_are_worded_in_the_readers_language() {
        let (en, zh) = (Locale::En.text(), Locale::ZhCn.text());
        assert_eq!(agent(en, "Firefox on Linux"), "Firefox on Linux");
        assert_eq!(agent(zh, "Firefox on Linux"), "Linux 上的 Firefox");
        assert_eq!(agent(zh, "curl"), "curl");
        assert_eq!(agent(zh, "unknown"), "未知设备");
    }
}
