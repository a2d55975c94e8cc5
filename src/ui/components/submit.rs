//! A submit button that shows progress and can't be pressed twice.

use super::when::When;
use crate::{i18n::Text, ui::locale::tr};
use leptos::prelude::*;

/// `blocked` keeps it disabled without the spinner: while a throttled action's countdown runs.
#[component]
pub fn SubmitButton(
    label: Text,
    busy_label: Text,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] blocked: Option<Signal<bool>>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="primary"
            disabled=move || pending.get() || blocked.is_some_and(|b| b.get())
            aria-busy=move || pending.get().to_string()
        >
            <When when=move || pending.get() fallback=tr(label)>
                <span class="spinner" aria-hidden="true"></span>
                {tr(busy_label)}
            </When>
        </button>
    }
}
