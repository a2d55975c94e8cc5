//! Proving who someone is: password hashing and the signed tokens of every purpose.

pub mod password;
pub mod tokens;
