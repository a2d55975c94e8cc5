//! A message box for a form's outcome.

use super::When;
use leptos::prelude::*;

#[component]
pub fn Notice(
    /// `success`, `error` or `info`.
    kind: &'static str,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <When when=move || message.get().is_some()>
            <div class=format!("notice notice-{kind}") role=if kind == "error" { "alert" } else { "status" }>
                {move || message.get().unwrap_or_default()}
            </div>
        </When>
    }
}
