//! Statements on the `users` table, by concern.

mod activity;
mod credentials;
mod lifecycle;
mod row;

pub use activity::{LAST_SEEN_GRANULARITY_SECS, bump_session_version, lock, set_locale, touch_last_seen};
pub use credentials::{
    AddressMove, change_email, change_password, confirm, confirm_by_email, correct_unconfirmed_email, revert_email,
};
pub use lifecycle::{claim_reminder, delete, delete_unconfirmed_before, unreminded_unconfirmed};
pub(in crate::server::db) use row::{COLUMNS, from_row};
pub use row::{InsertUserError, NewUser, UserRow, find_by_id, find_by_login, insert, username_taken};
