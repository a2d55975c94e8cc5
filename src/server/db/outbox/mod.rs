//! Statements on the `outbox` table, by who uses them.

mod delivery;
mod operator;
mod queue;

pub use delivery::{
    OutboxMail, Outcome, claim, hold, mark_late, mark_sent, mark_undelivered, recipient_of, release, reschedule,
};
pub use operator::{Listed, Stats, list, purge_sent, requeue_failed, stats};
pub use queue::{NewMail, delete_for_user, insert, recent_for_user};
