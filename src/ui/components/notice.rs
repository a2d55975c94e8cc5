//! A message box for a form's outcome.

use super::when::When;
use crate::{error::AppError, i18n::Msg, ui::locale::Lang};
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

/// What a form whose answer is a message shows: the message once it succeeded (for a [`Notice`]),
/// the error otherwise (for a `Problem`).
pub fn outcome<V>(value: V) -> (Signal<Option<String>>, Signal<Option<AppError>>)
where
    V: Get<Value = Option<Result<Msg, AppError>>> + Copy + Send + Sync + 'static,
{
    let lang = Lang::expect();
    let done = Signal::derive(move || match value.get() {
        Some(Ok(message)) => Some(message.text(lang.text()).to_owned()),
        _ => None,
    });
    (done, Signal::derive(move || value.get().and_then(Result::err)))
}
