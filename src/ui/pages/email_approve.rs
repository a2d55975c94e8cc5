//! `/login/email#f=<handle>&code=<code>`: the page a mailed sign-in link opens. The handle and code
//! are taken out of the address bar at once. Where this browser asked for that flow (it keeps the
//! flow's secret), it signs in with the code. Anywhere else (a phone, a mail scanner) it asks
//! whether to approve the sign-in of the browser that asked, and takes the number that browser
//! shows, typed: the approving device gets no session.

use super::{
    devices::{agent, local_time},
    email_login::{forget_flow, stored_flow},
};
use crate::{
    api::email_login::{ApproveEmailLogin, DescribeEmailLogin, VerifyEmailLogin},
    domain::{FlowQuestion, Number, email_login::link_fragment},
    error::AppError,
    i18n::{Msg, fill},
    ui::{
        components::{Notice, Problem, SubmitButton, TextField, When, outcome},
        effect::effect,
        focus, hydration,
        locale::{Lang, tr},
        session::Session,
    },
};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_location, use_navigate},
};

#[component]
pub fn EmailLinkPage() -> impl IntoView {
    let session = Session::expect();
    let location = use_location();
    let navigate = use_navigate();
    let link = RwSignal::new(None::<(String, String)>);
    let verify = ServerAction::<VerifyEmailLogin>::new();
    let describe = ServerAction::<DescribeEmailLogin>::new();

    // Off the address bar and out of the history first; then, once this browser's storage can be
    // read, sign in here (the flow is this browser's) or ask about the other one.
    effect({
        let navigate = navigate.clone();
        move || {
            if !hydration::done() {
                return;
            }
            if let Some((handle, code)) = link_fragment(&location.hash.get()) {
                navigate("/login/email", NavigateOptions { replace: true, ..Default::default() });
                link.set(Some((handle.clone(), code.clone())));
                match untrack(stored_flow).filter(|stored| stored.handle == handle) {
                    Some(stored) => {
                        verify.dispatch(VerifyEmailLogin { flow: stored.flow, code });
                    }
                    None => {
                        describe.dispatch(DescribeEmailLogin { handle });
                    }
                }
            }
        }
    });
    effect(move || {
        if let Some(Ok(token)) = verify.value().get() {
            forget_flow();
            session.log_in(&token);
            navigate("/", NavigateOptions { replace: true, ..Default::default() });
        }
    });
    let failure = Signal::derive(move || {
        verify.value().get().and_then(Result::err).or_else(|| describe.value().get().and_then(Result::err))
    });
    let ended = move || matches!(failure.get(), Some(AppError::BadRequest(Msg::EmailLoginEnded)));
    let busy = move || verify.pending().get() || describe.pending().get();
    let question = move || describe.value().get().and_then(Result::ok);

    view! {
        <section class="card narrow">
            <When when=move || question().is_none() fallback=move || view! {
                <Approve question=Signal::derive(move || question().unwrap_or_default()) link/>
            }>
                <h1>{tr(|t| t.email_login_title)}</h1>
                <When when=busy>
                    <div class="notice notice-info" role="status">{tr(|t| t.email_login_signing_in)}</div>
                </When>
                <When when=move || !busy() && failure.get().is_none() && link.with(Option::is_none)>
                    <p>{tr(|t| t.email_login_explain)}</p>
                </When>
                <Problem error=Signal::derive(move || failure.get().filter(|_| !ended()))/>
                <When when=ended>
                    <div class="notice notice-error" role="alert">{tr(|t| t.email_login_ended)}</div>
                </When>
                <p class="aside"><A href="/login/email-code">{tr(|t| t.login_by_email)}</A></p>
            </When>
        </section>
    }
}

/// "Signing in on <device, network, time>?", and the number to type.
#[component]
fn Approve(question: Signal<FlowQuestion>, link: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let lang = Lang::expect();
    let number = RwSignal::new(String::new());
    let number_error = RwSignal::new(None::<Msg>);
    let approve = ServerAction::<ApproveEmailLogin>::new();
    let (approved, failure) = outcome(approve.value());
    let failure = Signal::derive(move || failure.get().filter(|e| e.field_message("number").is_none()));
    let field_error = Signal::derive(move || {
        number_error
            .get()
            .or_else(|| approve.value().get().and_then(|r| r.err()).and_then(|e| e.field_message("number")))
    });
    let asked = move || {
        let (t, q) = (lang.text(), question.get());
        let time = local_time(&q.asked_at, lang.get().tag());
        fill(t.email_login_question, &[("device", &agent(t, &q.device)), ("network", &q.network), ("time", &time)])
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = number.get_untracked();
        match (Number::parse(&typed), link.get_untracked()) {
            (Ok(parsed), Some((handle, code))) => {
                number_error.set(None);
                approve.dispatch(ApproveEmailLogin { handle, code, number: parsed.as_ref().to_owned() });
            }
            (Err(msg), _) => {
                number_error.set(Some(msg));
                focus::first_invalid("approve-form");
            }
            _ => {}
        }
    };
    let open = move || question.get().by_number && approved.get().is_none();
    view! {
        <h1>{tr(|t| t.email_login_approve_title)}</h1>
        <p class="lead">{asked}</p>
        <Notice kind="success" message=approved/>
        <Problem error=failure form="approve-form"/>
        <When when=open fallback=move || view! {
            <When when=move || approved.get().is_none()><p>{tr(|t| t.email_login_no_approval)}</p></When>
        }>
            <p>{tr(|t| t.email_login_approve_explain)}</p>
            <form id="approve-form" on:submit=on_submit novalidate>
                <TextField name="number" label=|t| t.field_number value=number error=field_error inputmode="numeric"
                    hint=|t| t.hint_number/>
                <SubmitButton label=|t| t.email_login_approve_submit busy_label=|t| t.sending pending=approve.pending()/>
            </form>
        </When>
    }
}
