//! `/reset-password#token=…`: the page an emailed reset link opens. The token is taken out of the
//! address bar at once; the new password is typed twice; success leads to /login (no automatic
//! login, so the person proves the new password works). Opened without a link, it takes the
//! mail's code instead, with the address it was sent to.

use crate::{
    api::password::{ResetPassword, ResetPasswordWithCode},
    domain::{
        Code, EmailAddress, Password,
        session::{ResetLinkInfo, decode_unverified},
    },
    error::AppError,
    i18n::Msg,
    ui::{
        components::{Problem, SubmitButton, TextField, When},
        effect::effect,
        focus,
        guard::encode_query_value,
        link_token,
        locale::tr,
    },
};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_location, use_navigate, use_query_map},
};

#[component]
pub fn ResetPage() -> impl IntoView {
    let location = use_location();
    let query = use_query_map();
    let navigate = use_navigate();
    let token = RwSignal::new(None::<String>);
    let password = RwSignal::new(String::new());
    let password2 = RwSignal::new(String::new());
    let password_error = RwSignal::new(None::<Msg>);
    let password2_error = RwSignal::new(None::<Msg>);
    let action = ServerAction::<ResetPassword>::new();

    // Keep the token in memory only: off the address bar and out of the history.
    effect({
        let navigate = navigate.clone();
        move || {
            if let Some(t) = link_token::from_url(&location.hash.get(), query.with(|q| q.get("token"))) {
                token.set(Some(t));
                navigate("/reset-password", NavigateOptions { replace: true, ..Default::default() });
            }
        }
    });
    effect(move || {
        if let Some(Ok(_)) = action.value().get() {
            navigate("/login?reset=1", NavigateOptions { replace: true, ..Default::default() });
        }
    });

    // The policy's length rules were checked above; what the server adds (a common password, a
    // dead link) shows above the form.
    let failure = Signal::derive(move || action.value().get().and_then(Result::err));
    // A dead link's way forward: a new mail, to the address this link was for when it says.
    let new_request = move || {
        let email = token.with(|t| t.as_deref().and_then(decode_unverified::<ResetLinkInfo>)).map(|info| info.email);
        match email {
            Some(email) => format!("/reset-password-request?email={}", encode_query_value(&email)),
            None => "/reset-password-request".to_owned(),
        }
    };
    let link_dead = move || matches!(failure.get(), Some(AppError::BadRequest(Msg::ResetLinkInvalid)));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (p1, p2) = (password.get_untracked(), password2.get_untracked());
        let policy = Password::parse(p1.clone()).err().map(|e| e.msg());
        let mismatch = (policy.is_none() && p1 != p2).then_some(Msg::PasswordsDiffer);
        let valid = policy.is_none() && mismatch.is_none();
        password_error.set(policy);
        password2_error.set(mismatch);
        if !valid {
            focus::first_invalid("reset-form");
        }
        if let (None, None, Some(t)) = (policy, mismatch, token.get_untracked()) {
            action.dispatch(ResetPassword { token: t, password: p1 });
        }
    };

    view! {
        <section class="card narrow">
            <h1>{tr(|t| t.reset_title)}</h1>
            <Problem error=failure form="reset-form"/>
            <When when=link_dead>
                <p><A href=new_request attr:class="button primary">{tr(|t| t.reset_ask_new_link)}</A></p>
            </When>
            <When
                when=move || token.get().is_some()
                fallback=|| view! {
                    <ResetByCode/>
                    <p class="aside"><A href="/reset-password-request">{tr(|t| t.reset_ask_new_link)}</A></p>
                }
            >
                <form id="reset-form" on:submit=on_submit novalidate>
                    <TextField name="password" label=|t| t.field_new_password kind="password" value=password
                        error=password_error
                        autocomplete="new-password" hint=|t| t.hint_password/>
                    <TextField name="password2" label=|t| t.field_new_password_repeat kind="password" value=password2
                        error=password2_error autocomplete="new-password"/>
                    <SubmitButton label=|t| t.reset_submit busy_label=|t| t.saving pending=action.pending()/>
                </form>
                <p class="aside"><A href=new_request>{tr(|t| t.reset_link_expired)}</A></p>
            </When>
        </section>
    }
}

/// The reset by code: the address, the code from the mail, and the new password twice.
#[component]
fn ResetByCode() -> impl IntoView {
    let navigate = use_navigate();
    // Prefilled when the request page sent the reader here (`?email=`).
    let email = RwSignal::new(use_query_map().with_untracked(|q| q.get("email")).unwrap_or_default());
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password2 = RwSignal::new(String::new());
    let local = RwSignal::new(std::collections::BTreeMap::<&'static str, Msg>::new());
    let action = ServerAction::<ResetPasswordWithCode>::new();
    effect(move || {
        if let Some(Ok(_)) = action.value().get() {
            navigate("/login?reset=1", NavigateOptions { replace: true, ..Default::default() });
        }
    });
    // The browser's own check first, then what the server said about the same field.
    let error_of = move |field: &'static str| {
        Signal::derive(move || {
            local.with(|l| l.get(field).copied()).or_else(|| match action.value().get() {
                Some(Err(e)) => e.field_message(field),
                _ => None,
            })
        })
    };
    let failure = Signal::derive(move || match action.value().get() {
        Some(Err(AppError::Validation(_))) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e),
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (e, c, p1, p2) =
            (email.get_untracked(), code.get_untracked(), password.get_untracked(), password2.get_untracked());
        let mut errors = std::collections::BTreeMap::new();
        if let Err(err) = EmailAddress::check(&e) {
            errors.insert("email", err.msg());
        }
        let parsed = Code::parse(&c).map_err(|m| errors.insert("code", m)).ok();
        match Password::parse(p1.clone()) {
            Err(err) => {
                errors.insert("password", err.msg());
            }
            Ok(_) if p1 != p2 => {
                errors.insert("password2", Msg::PasswordsDiffer);
            }
            Ok(_) => {}
        }
        let valid = errors.is_empty();
        local.set(errors);
        match parsed {
            Some(code) if valid => {
                action.dispatch(ResetPasswordWithCode { email: e, code: code.as_ref().to_owned(), password: p1 });
            }
            _ => focus::first_invalid("reset-code-form"),
        }
    };
    view! {
        <p>{tr(|t| t.reset_code_lead)}</p>
        <Problem error=failure form="reset-code-form"/>
        <form id="reset-code-form" on:submit=on_submit novalidate>
            <TextField name="email" label=|t| t.field_email kind="email" value=email error=error_of("email") autocomplete="email"/>
            <TextField name="code" label=|t| t.field_code value=code error=error_of("code") autocomplete="one-time-code"
                inputmode="numeric" hint=|t| t.hint_code/>
            <TextField name="password" label=|t| t.field_new_password kind="password" value=password
                error=error_of("password") autocomplete="new-password" hint=|t| t.hint_password/>
            <TextField name="password2" label=|t| t.field_new_password_repeat kind="password" value=password2
                error=error_of("password2") autocomplete="new-password"/>
            <SubmitButton label=|t| t.reset_code_submit busy_label=|t| t.saving pending=action.pending()/>
        </form>
    }
}
