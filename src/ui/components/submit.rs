//! A submit button that shows progress and can't be pressed twice.

use super::When;
use leptos::prelude::*;

#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            <When when=move || pending.get() fallback=move || label>
                <span class="spinner" aria-hidden="true"></span>
                {busy_label}
            </When>
        </button>
    }
}
