//! `/unconfirmed`: where an unconfirmed account waits. It confirms with the token of an emailed
//! link (`#token=…`, or `?token=…` from older links) or the mail's code, offers another mail, and
//! says where the mail went, with a way to correct a mistyped address.

use super::address_fix::CorrectAddress;
use crate::{
    api::confirmation::{Confirm, ConfirmCode, ResendConfirmation},
    domain::Code,
    error::AppError,
    i18n::{Msg, fill},
    ui::{
        components::{Notice, Problem, SubmitButton, TextField, When, countdown},
        effect::effect,
        focus,
        guard::encode_query_value,
        link_token,
        locale::{Lang, tr},
        session::{AuthState, Session},
    },
};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_query_map},
};

#[component]
pub fn UnconfirmedPage() -> impl IntoView {
    let session = Session::expect();
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let confirm = ServerAction::<Confirm>::new();
    let resend = ServerAction::<ResendConfirmation>::new();
    let lang = Lang::expect();
    // Seconds until another mail may be asked for, counted down in the browser.
    let wait = countdown();

    // Take the token out of the address bar first (history keeps URLs), then use it.
    effect({
        move || {
            if let Some(token) = link_token::from_url(&location.hash.get(), query.with(|q| q.get("token"))) {
                let redirect = query.with_untracked(|q| q.get("redirect"));
                let clean = match redirect {
                    Some(r) => format!("/unconfirmed?redirect={}", encode_query_value(&r)),
                    None => "/unconfirmed".to_owned(),
                };
                navigate(&clean, NavigateOptions { replace: true, ..Default::default() });
                confirm.dispatch(Confirm { token });
            }
        }
    });

    // Confirmed: the guard sees the new session and moves on to `?redirect=` (or home).
    effect(move || {
        if let Some(Ok(token)) = confirm.value().get() {
            session.log_in(&token);
        }
    });

    effect(move || match resend.value().get() {
        Some(Ok(_)) => wait.set(60),
        Some(Err(AppError::TooManyRequests { retry_after, .. })) => wait.set(retry_after),
        _ => {}
    });

    let name = move || match session.state() {
        AuthState::LoggedIn(info) => info.name,
        _ => String::new(),
    };
    // A dead link is the common case (expired, or replaced by a newer mail): say so, and put the
    // way forward, the resend button, under the reader's focus.
    let link_dead = move || matches!(confirm.value().get(), Some(Err(AppError::BadRequest(Msg::ConfirmLinkInvalid))));
    effect(move || {
        if link_dead() {
            focus::element("resend");
        }
    });
    let confirm_error = Signal::derive(move || match confirm.value().get() {
        Some(Err(AppError::BadRequest(Msg::ConfirmLinkInvalid))) => None,
        Some(Err(e)) => Some(e),
        _ => None,
    });
    let resend_result = move || match resend.value().get() {
        Some(Ok(message)) => Some(message.text(lang.text()).to_owned()),
        _ => None,
    };
    // A throttled resend needs no notice: the button itself counts down.
    let resend_error = Signal::derive(move || match resend.value().get() {
        Some(Err(AppError::TooManyRequests { .. })) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e),
    });
    let button_label = move || {
        let t = lang.text();
        match (resend.pending().get(), wait.get()) {
            (true, _) => t.sending.to_owned(),
            (false, 0) if link_dead() => t.unconfirmed_resend_new.to_owned(),
            (false, 0) => t.unconfirmed_resend.to_owned(),
            (false, secs) => fill(t.unconfirmed_resend_wait, &[("seconds", &secs.to_string())]),
        }
    };

    view! {
        <section class="card narrow">
            <h1>{move || fill(lang.text().unconfirmed_hello, &[("name", &name())])}</h1>
            <When when=move || confirm.pending().get()>
                <div class="notice notice-info" role="status">{tr(|t| t.unconfirmed_confirming)}</div>
            </When>
            <When when=link_dead>
                <div class="notice notice-error" role="alert">{tr(|t| t.unconfirmed_expired)}</div>
            </When>
            <Problem error=confirm_error unauthorized=|t| t.unconfirmed_session_ended/>
            <p class="lead">{tr(|t| t.unconfirmed_lead)}</p>
            <p>{tr(|t| t.unconfirmed_explain)}</p>
            <CorrectAddress wait/>
            <p class="muted">{tr(|t| t.unconfirmed_spam)}</p>
            <Notice kind="success" message=Signal::derive(resend_result)/>
            <Problem error=resend_error/>
            <button
                class="primary"
                data-testid="resend"
                id="resend"
                disabled=move || { resend.pending().get() || wait.get() != 0 }
                on:click=move |_| { resend.dispatch(ResendConfirmation {}); }
            >
                {button_label}
            </button>
            <hr/>
            <ConfirmByCode/>
        </section>
    }
}

/// The code from the mail, typed on a device that never saw the link.
#[component]
fn ConfirmByCode() -> impl IntoView {
    let session = Session::expect();
    let code = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<ConfirmCode>::new();
    // Confirmed: the guard sees the new session and moves on, as after the link.
    effect(move || {
        if let Some(Ok(token)) = action.value().get() {
            session.log_in(&token);
        }
    });
    let code_error = Signal::derive(move || {
        local_error.get().or_else(|| match action.value().get() {
            Some(Err(e)) => e.field_message("code"),
            _ => None,
        })
    });
    let failure = Signal::derive(move || match action.value().get() {
        Some(Err(e)) if e.field_message("code").is_none() => Some(e),
        _ => None,
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Code::parse(&code.get_untracked()) {
            Ok(parsed) => {
                local_error.set(None);
                action.dispatch(ConfirmCode { code: parsed.as_ref().to_owned() });
            }
            Err(msg) => {
                local_error.set(Some(msg));
                focus::first_invalid("code-form");
            }
        }
    };
    view! {
        <p>{tr(|t| t.unconfirmed_code_lead)}</p>
        <Problem error=failure form="code-form"/>
        <form id="code-form" on:submit=on_submit novalidate>
            <TextField name="code" label=|t| t.field_code value=code error=code_error autocomplete="one-time-code"
                inputmode="numeric" hint=|t| t.hint_code/>
            <SubmitButton label=|t| t.unconfirmed_code_submit busy_label=|t| t.sending pending=action.pending()/>
        </form>
    }
}
