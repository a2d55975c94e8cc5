//! What went wrong with an action, said so the person can go on: the message in their language,
//! "try again" when the server could not be reached, and a countdown when they must wait.

use crate::{
    error::AppError,
    i18n::{Text, fill},
    ui::{
        effect::effect,
        locale::{Lang, tr},
    },
};
use leptos::prelude::*;

/// Shows an action's error above its form. Field errors are left to the fields.
/// - `form`: the id of the form that "Try again" resubmits when the server was out of reach;
/// - `wait`: the page's [`countdown`]; a throttled answer sets it, and the notice goes away when
///   it reaches zero (the page also keeps its button disabled until then);
/// - `unauthorized`: what a 401 means on this page, when it is not "log in again".
#[component]
pub fn Problem(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] form: Option<&'static str>,
    #[prop(optional)] wait: Option<RwSignal<u64>>,
    #[prop(optional)] unauthorized: Option<Text>,
) -> impl IntoView {
    let lang = Lang::expect();
    if let Some(wait) = wait {
        effect(move || {
            if let Some(AppError::TooManyRequests { retry_after, .. }) = error.get() {
                wait.set(retry_after);
            }
        });
    }
    let shown = move || match error.get() {
        None | Some(AppError::Validation(_)) => None,
        Some(AppError::TooManyRequests { .. }) if wait.is_some_and(|w| w.get() == 0) => None,
        Some(e) => Some(e),
    };
    view! {
        {move || shown().map(|e| {
            let offline = matches!(e, AppError::Transport(_));
            let message = {
                let e = e.clone();
                move || match (&e, unauthorized) {
                    (AppError::Unauthorized, Some(text)) => text(lang.text()).to_owned(),
                    (e, _) => e.message(lang.text()),
                }
            };
            let throttled = matches!(e, AppError::TooManyRequests { .. });
            view! {
                <div class="notice notice-error" role="alert">
                    <p>{message}</p>
                    {(throttled && wait.is_some()).then(|| {
                        let wait = wait.unwrap_or_else(|| RwSignal::new(0));
                        view! {
                            <p class="countdown" aria-live="off">
                                {move || fill(lang.text().retry_in, &[("time", &clock(wait.get()))])}
                            </p>
                        }
                    })}
                    {(offline && form.is_some()).then(|| view! {
                        <button type="submit" class="button small" form=form.unwrap_or_default()>{tr(|t| t.try_again)}</button>
                    })}
                </div>
            }
        })}
    }
}

/// Seconds that count down by one each second while positive (in the browser; on the server
/// nothing waits).
pub fn countdown() -> RwSignal<u64> {
    let wait = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if wait.get_untracked() > 0 {
                wait.update(|w| *w -= 1);
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    wait
}

/// `m:ss`, the way a countdown reads in both languages.
pub fn clock(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clock_reads_minutes_and_seconds() {
        assert_eq!(super::clock(0), "0:00");
        assert_eq!(super::clock(59), "0:59");
        assert_eq!(super::clock(900), "15:00");
        assert_eq!(super::clock(3601), "60:01");
    }
}
