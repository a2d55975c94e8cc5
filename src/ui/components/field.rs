//! A labelled input with its error message underneath.

use leptos::prelude::*;

/// A form field. `error` is shown under the input and linked to it for screen readers.
#[component]
pub fn TextField(
    /// The field's name and id.
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let described = error_id.clone();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=name>{label}</label>
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                bind:value=value
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=error_id data-field=name role="alert">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}
