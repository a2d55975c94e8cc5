//! A labelled input with its hint and its error message underneath; a password field also gets a
//! button that shows and hides what was typed.

use crate::{
    i18n::{Msg, Text},
    ui::locale::{Lang, tr},
};
use leptos::prelude::*;

/// A form field. `error` is shown under the input, announced when it appears, and linked to the
/// input for screen readers.
#[component]
pub fn TextField(
    /// The field's name and id.
    name: &'static str,
    label: Text,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<Msg>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<Text>,
    /// The keyboard a phone shows (`numeric` for codes).
    #[prop(optional)]
    inputmode: Option<&'static str>,
) -> impl IntoView {
    let lang = Lang::expect();
    let error_id = format!("{name}-error");
    let hint_id = format!("{name}-hint");
    let described = if hint.is_some() { format!("{hint_id} {error_id}") } else { error_id.clone() };
    let password = kind == "password";
    let shown = RwSignal::new(false);
    let input_type = move || if password && shown.get() { "text" } else { kind };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=name>{tr(label)}</label>
            <div class="input-row">
                <input
                    id=name
                    name=name
                    type=input_type
                    autocomplete=autocomplete
                    inputmode=inputmode
                    bind:value=value
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby=described
                />
                {password.then(|| view! {
                    <button
                        type="button"
                        class="reveal"
                        aria-controls=name
                        aria-pressed=move || shown.get().to_string()
                        aria-label=move || { let t = lang.text(); if shown.get() { t.hide_password_label } else { t.show_password_label } }
                        on:click=move |_| shown.update(|s| *s = !*s)
                    >
                        {move || { let t = lang.text(); if shown.get() { t.hide_password } else { t.show_password } }}
                    </button>
                })}
            </div>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{tr(h)}</p> })}
            <p class="field-error" id=error_id data-field=name role="alert">
                {move || error.get().map(|m| m.text(lang.text())).unwrap_or_default()}
            </p>
        </div>
    }
}
