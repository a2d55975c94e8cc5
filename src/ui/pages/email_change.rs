//! Changing the address: the form on `/settings/account`, and the pages the two emailed links
//! open: `/confirm-email-change#token=…` (logged in: moves the account to the new address) and
//! `/revert-email-change#token=…` (no login: puts the old address back, after a click, since it
//! ends every session).

use crate::{
    api::email_change::{ConfirmEmailChange, RequestEmailChange, RevertEmailChange},
    domain::EmailAddress,
    i18n::{Msg, fill},
    ui::{
        components::{Notice, Problem, SubmitButton, TextField, When, countdown, outcome},
        effect::effect,
        focus, link_token,
        locale::{Lang, tr},
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_location, use_navigate, use_query_map},
};

/// The "Change your email address" part of `/settings/account`.
#[component]
pub fn ChangeEmailForm() -> impl IntoView {
    let lang = Lang::expect();
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email_error = RwSignal::new(None::<Msg>);
    let password_error = RwSignal::new(None::<Msg>);
    let current = RwSignal::new(None::<String>);
    let action = ServerAction::<RequestEmailChange>::new();
    let wait = countdown();
    effect(move || {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if let Ok(me) = crate::api::account::me().await {
                let _ = current.try_set(Some(me.email));
            }
        });
    });
    effect(move || match action.value().get() {
        Some(Ok(_)) => {
            new_email.set(String::new());
            password.set(String::new());
        }
        // Field errors from the server go next to their fields, as the browser's own do.
        Some(Err(e)) => {
            email_error.set(e.field_message("new_email"));
            password_error.set(e.field_message("password"));
        }
        None => {}
    });
    let (done, failure) = outcome(action.value());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (email, pass) = (new_email.get_untracked(), password.get_untracked());
        let e_err = EmailAddress::parse(&email).err().map(|e| e.msg());
        let p_err = pass.is_empty().then_some(Msg::EnterPassword);
        email_error.set(e_err);
        password_error.set(p_err);
        if e_err.is_none() && p_err.is_none() {
            action.dispatch(RequestEmailChange { password: pass, new_email: email });
        } else {
            focus::first_invalid("email-form");
        }
    };
    view! {
        <h2>{tr(|t| t.account_change_email)}</h2>
        {move || current.get().map(|email| view! {
            <p class="muted" data-testid="current-email">{fill(lang.text().account_current_email, &[("email", &email)])}</p>
        })}
        <Notice kind="success" message=done/>
        <Problem error=failure form="email-form" wait/>
        <form id="email-form" on:submit=on_submit novalidate>
            <TextField name="new_email" label=|t| t.field_new_email kind="email" value=new_email error=email_error
                autocomplete="email" hint=|t| t.hint_new_email/>
            <TextField name="email_password" label=|t| t.field_password_for_email kind="password" value=password
                error=password_error autocomplete="current-password"/>
            <SubmitButton label=|t| t.email_change_submit busy_label=|t| t.sending pending=action.pending()
                blocked=Signal::derive(move || wait.get() > 0)/>
        </form>
    }
}

/// The token of the link the page was opened with, taken out of the address bar at once (history
/// keeps URLs) and kept in memory.
fn take_link_token(path: &'static str) -> RwSignal<Option<String>> {
    let location = use_location();
    let query = use_query_map();
    let navigate = use_navigate();
    let token = RwSignal::new(None::<String>);
    effect(move || {
        if let Some(t) = link_token::from_url(&location.hash.get(), query.with(|q| q.get("token"))) {
            token.set(Some(t));
            navigate(path, NavigateOptions { replace: true, ..Default::default() });
        }
    });
    token
}

/// `/confirm-email-change#token=…`: confirms as soon as the token is read (the guard has made
/// sure someone is logged in; the server checks it is the right account).
#[component]
pub fn ConfirmEmailChangePage() -> impl IntoView {
    let token = take_link_token("/confirm-email-change");
    let action = ServerAction::<ConfirmEmailChange>::new();
    effect(move || {
        if let Some(t) = token.get() {
            action.dispatch(ConfirmEmailChange { token: t });
        }
    });
    let (done, failure) = outcome(action.value());
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.confirm_change_title)}</h1>
            <When when=move || action.pending().get()>
                <p role="status"><span class="spinner" aria-hidden="true"></span>{tr(|t| t.confirm_change_busy)}</p>
            </When>
            <When when=move || token.get().is_none()>
                <p>{tr(|t| t.confirm_change_needs_link)}</p>
            </When>
            <Notice kind="success" message=done/>
            <Problem error=failure/>
            <p><A href="/settings/account">{tr(|t| t.to_settings)}</A></p>
        </section>
    }
}

/// `/revert-email-change#token=…`: puts the old address back when asked to. A click, not the page
/// load, does it: it ends every session, and mail scanners open links.
#[component]
pub fn RevertEmailChangePage() -> impl IntoView {
    let session = Session::expect();
    let token = take_link_token("/revert-email-change");
    let action = ServerAction::<RevertEmailChange>::new();
    // Every session has ended, this browser's included: forget its token now.
    effect(move || {
        if let Some(Ok(_)) = action.value().get() {
            session.log_out();
        }
    });
    let (done, failure) = outcome(action.value());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(t) = token.get_untracked() {
            action.dispatch(RevertEmailChange { token: t });
        }
    };
    let finished = move || done.with(Option::is_some);
    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.revert_title)}</h1>
            <Notice kind="success" message=done/>
            <Problem error=failure/>
            <When
                when=move || token.get().is_some() && !finished()
                fallback=move || view! {
                    <When when=move || !finished()>
                        <p>{tr(|t| t.revert_needs_link)}</p>
                    </When>
                }
            >
                <p>{tr(|t| t.revert_explain)}</p>
                <form id="revert-form" on:submit=on_submit>
                    <SubmitButton label=|t| t.revert_submit busy_label=|t| t.saving pending=action.pending()/>
                </form>
            </When>
        </section>
    }
}
