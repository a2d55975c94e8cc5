//! Proving who someone is: password hashing and the signed tokens of every purpose.

pub mod keys;
pub mod password;
pub mod tokens;
