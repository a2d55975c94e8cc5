//! Mail: templates, the outbox worker that delivers them, and the transports (SMTP, or the
//! development mailbox).

pub mod dev_mailbox;
pub mod templates;
pub mod transport;
pub mod worker;

pub use templates::{MailKind, RenderedMail};

use crate::server::{auth::tokens::now, db::outbox};
use serde::Serialize;

/// Renders a mail and queues it in the outbox, inside the caller's transaction (or on the pool).
/// Wake the worker once that transaction has committed.
///
/// # Errors
/// If rendering fails or the row can't be written.
pub async fn queue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: MailKind,
    user_id: Option<&str>,
    recipient: &str,
    context: impl Serialize,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mail = templates::render(kind, context)?;
    let id = uuid::Uuid::new_v4().to_string();
    outbox::insert(
        executor,
        &outbox::NewMail {
            id: &id,
            kind: kind.name(),
            user_id,
            recipient,
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: &mail.html,
            now: now(),
        },
    )
    .await
    .with_context(|| format!("queueing a {} mail", kind.name()))
}
