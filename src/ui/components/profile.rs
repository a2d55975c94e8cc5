//! The logged-in account's profile, as the pages that show its address read it (`me`), and the
//! banner that says mail to that address bounced.

use crate::{
    domain::UserProfile,
    i18n::fill,
    ui::{effect::effect, locale::Lang},
};
use leptos::prelude::*;

/// Tries after the first: a moment of network trouble shouldn't leave the page without the
/// address it is about.
#[cfg(feature = "hydrate")]
const RETRIES: u32 = 3;

/// The account's profile, fetched once the page runs in the browser (`None` until it arrives).
#[derive(Clone, Copy)]
pub struct Profile {
    value: RwSignal<Option<UserProfile>>,
    /// Bumped to fetch again: after a change, or to retry a failed fetch.
    round: RwSignal<u32>,
    /// Failed fetches in a row.
    failures: RwSignal<u32>,
}

impl Profile {
    pub fn load() -> Self {
        let profile = Self { value: RwSignal::new(None), round: RwSignal::new(0), failures: RwSignal::new(0) };
        effect(move || {
            profile.round.track();
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(profile.fetch());
        });
        profile
    }

    #[cfg(feature = "hydrate")]
    async fn fetch(self) {
        match crate::api::account::me().await {
            Ok(me) => {
                let _ = self.value.try_set(Some(me));
                let _ = self.failures.try_set(0);
            }
            // Logged out: the guard takes the reader to the login page.
            Err(crate::error::AppError::Unauthorized) => {}
            Err(_) => {
                let Some(failures) = self.failures.try_update(|f| {
                    *f += 1;
                    *f
                }) else {
                    return;
                };
                if failures <= RETRIES {
                    let wait = std::time::Duration::from_millis(500 << failures);
                    set_timeout(
                        move || {
                            let _ = self.round.try_update(|r| *r += 1);
                        },
                        wait,
                    );
                }
            }
        }
    }

    /// Fetches it anew, after a change of the address.
    pub fn reload(self) {
        self.failures.set(0);
        self.round.update(|r| *r += 1);
    }

    /// Whether the account has a password; taken as yes until the profile has come, so the page
    /// drawn by the server (which has no session) and the first draw in the browser agree.
    pub fn has_password(self) -> bool {
        self.value.with(|p| p.as_ref().is_none_or(|p| p.has_password))
    }

    pub fn email(self) -> Option<String> {
        self.value.with(|p| p.as_ref().map(|p| p.email.clone()))
    }
}

/// "Our email to … bounced", with the receiving server's words, while mail to the account's
/// address is suppressed; nothing otherwise.
#[component]
pub fn BounceBanner(profile: Profile) -> impl IntoView {
    let lang = Lang::expect();
    move || {
        profile.value.with(|p| {
            let p = p.as_ref().filter(|p| p.email_undeliverable)?;
            let text = lang.text();
            let reason = p.undeliverable_reason.as_deref().map(|reason| {
                view! { <p class="muted">{fill(text.mail_bounced_reason, &[("reason", reason)])}</p> }
            });
            Some(view! {
                <div class="notice notice-error" role="alert" data-testid="mail-bounced">
                    <p>{fill(text.mail_bounced, &[("email", &p.email)])}</p>
                    {reason}
                </div>
            })
        })
    }
}
