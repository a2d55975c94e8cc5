//! Pure account types shared by the browser and the server: the one place where the rules for a
//! username, an email address and a password live (parse, don't validate).

mod code;
mod email_address;
pub mod email_login;
mod password;
#[cfg(test)]
mod proptests;
mod security;
pub mod session;
mod user;
mod username;

pub use code::Code;
pub use email_address::{EmailAddress, EmailAddressError, TypedAddress};
pub use email_login::{EmailLoginStarted, FlowQuestion, FlowState, Number};
pub use password::{Password, PasswordError};
pub use security::{SecurityEvent, SecurityEventKind};
pub use user::{DeviceSession, PublicProfile, UserId, UserProfile};
pub use username::{Username, UsernameError};
