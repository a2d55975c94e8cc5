//! One module per page; the pages a first visit doesn't need are routes of `lazy`, each a chunk of
//! the bundle of its own.

mod account;
mod address_fix;
mod address_form;
mod devices;
mod email_approve;
mod email_change;
mod email_login;
mod home;
mod lazy;
mod login;
mod not_found;
mod register;
mod reset;
mod reset_request;
mod secure_account;
mod security;
mod set_password;
mod unconfirmed;

pub use lazy::{
    AccountRoute, ConfirmEmailChangeRoute, EmailCodeRoute, EmailLinkRoute, HomeRoute, ResetRequestRoute, ResetRoute,
    RevertEmailChangeRoute, SecureAccountRoute, SecurityRoute, UnconfirmedRoute,
};
pub use login::LoginPage;
pub use not_found::NotFound;
pub use register::RegisterPage;
