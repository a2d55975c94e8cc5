//! The pages a first visit to `/login` or `/register` never needs, each as a route whose code is a
//! chunk of the bundle of its own, fetched the first time the page is opened (`cargo leptos build
//! --split`).
//!
//! What a visitor to `/register` or `/login` downloads is the rest: the bundle's budget (see the
//! README) is measured on that. The server renders these pages as it renders any other; in the
//! browser, hydration waits for the page's chunk (`leptos::mount::hydrate_lazy`).
//! The app reads the session only once hydration is done (`ui::hydration`), so a page drawn by the
//! server still matches when its chunk arrives.

use super::{
    account::AccountPage,
    email_approve::EmailLinkPage,
    email_change::{ConfirmEmailChangePage, RevertEmailChangePage},
    email_login::EmailCodePage,
    home::HomePage,
    reset::ResetPage,
    reset_request::ResetRequestPage,
    secure_account::SecureAccountPage,
    security::SecurityPage,
    unconfirmed::UnconfirmedPage,
};
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// A route that draws `$page`, its code split off into a chunk.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/`: the welcome, or the member's profile.
    HomeRoute => HomePage
);
lazy_page!(
    /// `/unconfirmed`: what an account that still needs confirming sees, and the link's page.
    UnconfirmedRoute => UnconfirmedPage
);
lazy_page!(
    /// `/reset-password-request`: asking for a reset link.
    ResetRequestRoute => ResetRequestPage
);
lazy_page!(
    /// `/reset-password`: the reset link's page.
    ResetRoute => ResetPage
);
lazy_page!(
    /// `/settings/account`, with the devices, the address change and deleting the account.
    AccountRoute => AccountPage
);
lazy_page!(
    /// `/settings/security`: the security log.
    SecurityRoute => SecurityPage
);
lazy_page!(
    /// `/confirm-email-change`, opened from the link mailed to the new address.
    ConfirmEmailChangeRoute => ConfirmEmailChangePage
);
lazy_page!(
    /// `/revert-email-change`, opened from the link mailed to the old address.
    RevertEmailChangeRoute => RevertEmailChangePage
);
lazy_page!(
    /// `/secure-account`, opened from the new-device mail's "this wasn't me" link.
    SecureAccountRoute => SecureAccountPage
);
lazy_page!(
    /// `/login/email-code`: asking for a sign-in code, and signing in with it (or by another
    /// device's approval).
    EmailCodeRoute => EmailCodePage
);
lazy_page!(
    /// `/login/email`, opened from a mailed sign-in link: signs in where the flow was asked for,
    /// asks for the number anywhere else.
    EmailLinkRoute => EmailLinkPage
);
