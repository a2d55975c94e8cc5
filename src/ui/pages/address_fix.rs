//! The part of `/unconfirmed` that says where the confirmation went, so a mistyped address is
//! seen, and corrects it: the account moves to the new address at once (the old one was never
//! proven) and the confirmation goes there.

use super::address_form::AddressForm;
use crate::{
    i18n::fill,
    ui::{
        components::{BounceBanner, Notice, Problem, Profile, SubmitButton, When, outcome},
        focus,
        locale::{Lang, tr},
    },
};
use leptos::prelude::*;

/// `wait` is the page's resend countdown: a correction sends a confirmation, so the next resend
/// waits as after any other.
#[component]
pub fn CorrectAddress(wait: RwSignal<u64>) -> impl IntoView {
    let lang = Lang::expect();
    let profile = Profile::load();
    let open = RwSignal::new(false);
    let form = AddressForm::new(move || {
        open.set(false);
        profile.reload();
        wait.set(60);
    });
    let action = form.action;
    let (done, failure) = outcome(action.value());
    let show_form = move |_| {
        open.set(true);
        focus::element("new_email");
    };
    view! {
        <BounceBanner profile/>
        {move || profile.email().map(|email| view! {
            <p data-testid="sent-to">{fill(lang.text().unconfirmed_sent_to, &[("email", &email)])}</p>
        })}
        <Notice kind="success" message=done/>
        <When when=move || !open.get()>
            <button class="link" data-testid="wrong-address" on:click=show_form>
                {tr(|t| t.unconfirmed_wrong_address)}
            </button>
        </When>
        <When when=open>
            <h2>{tr(|t| t.unconfirmed_fix_title)}</h2>
            <Problem error=failure form="fix-form"/>
            <form id="fix-form" on:submit=form.submit("fix-form") novalidate>
                {form.fields(|t| t.hint_corrected_email)}
                <SubmitButton label=|t| t.unconfirmed_fix_submit busy_label=|t| t.sending
                    pending=action.pending()/>
            </form>
        </When>
    }
}
