//! One module per page.

mod account;
mod devices;
mod email_change;
mod home;
mod login;
mod not_found;
mod register;
mod reset;
mod reset_request;
mod security;
mod unconfirmed;

pub use account::AccountPage;
pub use email_change::{ConfirmEmailChangePage, RevertEmailChangePage};
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use register::RegisterPage;
pub use reset::ResetPage;
pub use reset_request::ResetRequestPage;
pub use security::SecurityPage;
pub use unconfirmed::UnconfirmedPage;
