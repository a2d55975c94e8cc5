//! One module per page.

mod home;
mod login;
mod not_found;
mod register;
mod unconfirmed;

pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use register::RegisterPage;
pub use unconfirmed::UnconfirmedPage;
