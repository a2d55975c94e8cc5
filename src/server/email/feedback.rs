//! Acting on what comes back about a mail (a bounce report or a complaint, read by `reports`).
//! Only a report whose tagged return path verifies names a mail: then the mail is marked and its
//! address suppressed. Anything else changes nothing, and is counted and logged. Fed by
//! `madblog mail bounce` (a mail server's pipe) and `POST /hooks/mail-events` (a relay's webhook).

use super::{
    fault::{Fault, Stage, fault_of},
    reports::{self, Said},
    return_path::ReturnPath,
    suppression::{Reason, Suppressions},
    transport::mask_address,
};
use crate::server::{
    config::Settings,
    db::{Pool, outbox},
    metrics,
};

/// What came of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The mailbox doesn't exist: the mail is marked bounced, the address suppressed.
    Bounced,
    /// A permanent failure that is not the address's (a policy refusal): the mail is marked
    /// failed; nothing is suppressed.
    Failed,
    /// A complaint: the address is suppressed for everything but the mail its owner asks for.
    Complaint,
    /// Delayed, delivered, or a temporary failure: nothing to do.
    NotFinal,
    /// No tag of ours verifies in it (forged, or no `MAIL_BOUNCE_ADDRESS`): nothing changes.
    Unverified,
    /// Not a delivery status report nor a feedback report.
    NotAReport,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Self::Bounced => "bounced",
            Self::Failed => "failed",
            Self::Complaint => "complaint",
            Self::NotFinal => "not_final",
            Self::Unverified => "unverified",
            Self::NotAReport => "not_a_report",
        }
    }
}

/// What a report acts with: the suppression list, and the key that tells our tags from forged ones.
pub struct Feedback {
    suppressions: Suppressions,
    return_path: Option<ReturnPath>,
}

impl Feedback {
    /// # Errors
    /// A `MAIL_BOUNCE_ADDRESS` that can't carry a tag.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let secret = settings.secret_key.expose().as_bytes();
        let return_path = settings.mail.bounce_address.as_deref().map(|a| ReturnPath::new(a, secret)).transpose()?;
        Ok(Self { suppressions: Suppressions::new(secret, settings.mail.suppress_for), return_path })
    }

    /// Reads one report and acts on it. `envelope_recipient` is the address the report was
    /// delivered to, when the mail server says (Postfix's `${original_recipient}`): the tag, first
    /// in line.
    ///
    /// # Errors
    /// On a database failure (the caller should have the report delivered again later).
    pub async fn apply(
        &self,
        pool: &Pool,
        raw: &[u8],
        envelope_recipient: Option<&str>,
    ) -> Result<Verdict, sqlx::Error> {
        let verdict = self.act(pool, raw, envelope_recipient).await?;
        metrics::bounce_report(verdict.name());
        Ok(verdict)
    }

    async fn act(&self, pool: &Pool, raw: &[u8], envelope_recipient: Option<&str>) -> Result<Verdict, sqlx::Error> {
        let (suppressions, return_path) = (&self.suppressions, self.return_path.as_ref());
        let Some(report) = reports::parse(raw) else {
            tracing::info!("mail feedback: not a bounce report nor a complaint; ignored");
            return Ok(Verdict::NotAReport);
        };
        if report.said == Said::NotFinal {
            return Ok(Verdict::NotFinal);
        }
        let tagged = return_path.and_then(|paths| {
            envelope_recipient.map(str::to_owned).into_iter().chain(report.candidates).find_map(|c| paths.mail_of(&c))
        });
        let Some(mail_id) = tagged else {
            tracing::warn!("mail feedback: no return path tag of ours verifies in the report; nothing changed");
            return Ok(Verdict::Unverified);
        };
        // Our own record of where the mail went; a report's own Final-Recipient only once the mail has
        // been forgotten (sent mail is kept OUTBOX_KEEP_DAYS): the tag proves it is about our mail.
        let recipient = match outbox::recipient_of(pool, &mail_id).await? {
            Some(recipient) => Some(recipient),
            None => match &report.said {
                Said::Failed { recipient, .. } => recipient.clone(),
                _ => None,
            },
        };
        let Some(recipient) = recipient else {
            tracing::warn!(%mail_id, "mail feedback about a mail no longer in the outbox, naming no address; nothing changed");
            return Ok(Verdict::Unverified);
        };
        let to = mask_address(&recipient);
        match report.said {
            Said::Failed { status, reason, .. } => {
                if names_a_bad_mailbox(&status, &reason) {
                    suppressions.add(pool, &recipient, Reason::Bounce, &reason).await?;
                    outbox::mark_late(pool, &mail_id, outbox::Outcome::Bounced, &reason).await?;
                    tracing::warn!(%mail_id, %to, %status, "bounce report: the mailbox doesn't exist; the address is suppressed");
                    Ok(Verdict::Bounced)
                } else {
                    outbox::mark_late(pool, &mail_id, outbox::Outcome::Failed, &reason).await?;
                    tracing::error!(%mail_id, %to, %status, %reason,
                    "bounce report: a server REFUSED our mail for a reason of ours; nothing suppressed");
                    Ok(Verdict::Failed)
                }
            }
            Said::Complaint { feedback_type } => {
                let why = format!("complaint ({feedback_type})");
                suppressions.add(pool, &recipient, Reason::Complaint, &why).await?;
                tracing::warn!(%mail_id, %to, "complaint: the address gets only the mail it asks for from now on");
                Ok(Verdict::Complaint)
            }
            Said::NotFinal => Ok(Verdict::NotFinal),
        }
    }
}

/// The same rule as at RCPT time (`fault::fault_of`): 5.1.x and 5.2.1 are the mailbox's, and so is
/// a bare 550 (which a relay reports as 5.0.0, with the 550 in the diagnostic).
fn names_a_bad_mailbox(status: &str, reason: &str) -> bool {
    if status.starts_with("5.1.") || status == "5.2.1" {
        return true;
    }
    let code = reason.get(..3).and_then(|c| c.parse::<u16>().ok());
    let text = reason.get(3..).unwrap_or_default().trim_start_matches(['-', ' ']);
    status.starts_with("5.0.") && fault_of(Stage::RcptTo, code, text) == Fault::Mailbox
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_mailbox_is_told_from_a_refusal() {
        assert!(names_a_bad_mailbox("5.1.1", "550 5.1.1 user unknown"));
        assert!(names_a_bad_mailbox("5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound"));
        assert!(names_a_bad_mailbox("5.2.1", "550 5.2.1 mailbox disabled"));
        assert!(names_a_bad_mailbox("5.0.0", "550 Mailbox not found. http://service.mail.qq.com/"));
        assert!(!names_a_bad_mailbox("5.7.1", "554 5.7.1 blocked using zen.spamhaus.org"));
        assert!(!names_a_bad_mailbox("5.0.0", "554 rejected"));
        assert!(!names_a_bad_mailbox("5.0.0", "550 5.7.1 policy"));
        assert!(!names_a_bad_mailbox("5.2.2", "552 5.2.2 mailbox full"));
    }
}
