//! Whose problem an undelivered mail is: the step of the SMTP conversation a refusal answered and
//! its codes decide between trying again, blaming the address (a bounce) and blaming us, and
//! whether the relay failed (so the fallback relay may take the mail at once).

use lettre::transport::smtp::Error as SmtpError;
use std::{io, time::Duration};

/// The step of an SMTP conversation a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Everything before the mail: the greeting, EHLO, STARTTLS, AUTH.
    Session,
    MailFrom,
    RcptTo,
    /// DATA, or the message's end.
    Data,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Session => "the session",
            Self::MailFrom => "MAIL FROM",
            Self::RcptTo => "RCPT TO",
            Self::Data => "DATA",
        })
    }
}

/// Whose problem an undelivered mail is, which decides what happens to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A 4xx, a timeout, a lost connection, a relay that can't be reached or logged in to: try
    /// again later (backoff).
    Temporary,
    /// The receiving server says the mailbox doesn't exist (a 5xx to RCPT: 5.1.x, 5.2.1, or a bare
    /// 550): no retry will change that, and further mail to the address only hurts our reputation.
    Mailbox,
    /// Any other 5xx: the server refuses *us* (a policy, a blocklist, relaying denied) or the
    /// message, not the address. No retry helps either, but the address is not to blame.
    Refused,
}

/// Why a mail did not go. Its `Display` is one line: addresses, SMTP replies and I/O errors,
/// never credentials or message content.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("could not connect to {0}: {1}")]
    Connect(String, io::Error),
    #[error("TLS handshake with {0} failed: {1}")]
    Tls(String, io::Error),
    #[error("at {0}: {1}")]
    Smtp(Stage, SmtpError),
    #[error("the SMTP server did not finish within {0:?}")]
    TimedOut(Duration),
    /// The mail needs an extension the server doesn't offer, so it was not even asked.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl SendError {
    /// Whose problem this failure is (see [`Fault`]).
    pub fn fault(&self) -> Fault {
        match self {
            Self::Connect(..) | Self::Tls(..) | Self::TimedOut(_) => Fault::Temporary,
            Self::Unsupported(_) => Fault::Refused,
            Self::Smtp(stage, error) => {
                let code = error.status().map(u16::from);
                let reply = std::error::Error::source(error).map(ToString::to_string).unwrap_or_default();
                fault_of(*stage, code, &reply)
            }
        }
    }

    /// Whether the relay failed the conversation itself, so another relay may take this very
    /// attempt (see [`fails_the_relay`]). Not for a missing extension: the relay works, this mail
    /// needs more of it.
    pub fn fails_the_relay(&self) -> bool {
        match self {
            // A timeout may come after the message was sent: the fallback then sends it again,
            // which the outbox accepts anyway (at least once, never lost).
            Self::Connect(..) | Self::Tls(..) | Self::TimedOut(_) => true,
            Self::Unsupported(_) => false,
            Self::Smtp(stage, error) => fails_the_relay(*stage, error.status().map(u16::from)),
        }
    }
}

/// Whether a failure at `stage` with reply `code` (none: the connection broke, or the reply was
/// unreadable) is the relay's rather than the mail's. Before the first recipient the relay speaks
/// for itself: a 421 or 554 greeting, a failed STARTTLS or login, a refused MAIL FROM (our
/// sender, our account) say nothing about this mail. A reply to RCPT or DATA is about this
/// recipient or this message (greylisting, an unknown user, content), and another relay would
/// only hear the same: it is the mail's outcome. A connection that breaks without a reply is the
/// relay's at any stage.
pub fn fails_the_relay(stage: Stage, code: Option<u16>) -> bool {
    matches!(stage, Stage::Session | Stage::MailFrom) || code.is_none()
}

/// Whose problem a refusal is, from the stage, the reply code and the reply's text
/// (which starts with the enhanced status code, RFC 3463, when the server gives one).
///
/// A 5xx while the session is opened (a refused login, a 554 greeting) is about our relay, not
/// this mail: it is retried like a 4xx, so that mail flows again once the operator fixes the
/// relay, instead of every mail in the queue failing for good at its first attempt.
pub fn fault_of(stage: Stage, code: Option<u16>, reply: &str) -> Fault {
    let Some(code) = code.filter(|c| (500..600).contains(c)) else { return Fault::Temporary };
    if stage == Stage::Session {
        return Fault::Temporary;
    }
    let enhanced = enhanced_status(reply);
    let bad_mailbox = match enhanced {
        Some((5, 1, _)) | Some((5, 2, 1)) => true,
        None => code == 550,
        Some(_) => false,
    };
    if stage == Stage::RcptTo && bad_mailbox { Fault::Mailbox } else { Fault::Refused }
}

/// The enhanced status code (`5.1.1`) a reply's text starts with, if any.
fn enhanced_status(reply: &str) -> Option<(u8, u16, u16)> {
    let first = reply.split_whitespace().next()?;
    let mut parts = first.split('.');
    let class = parts.next()?.parse().ok().filter(|c| matches!(c, 2 | 4 | 5))?;
    let subject = parts.next()?.parse().ok()?;
    let detail = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((class, subject, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_by_stage_and_status() {
        use Fault::{Mailbox, Refused, Temporary};
        let cases = [
            (Stage::RcptTo, Some(550), "5.1.1 user unknown", Mailbox),
            (Stage::RcptTo, Some(553), "5.1.3 bad destination mailbox address syntax", Mailbox),
            (Stage::RcptTo, Some(550), "5.2.1 mailbox disabled", Mailbox),
            (Stage::RcptTo, Some(550), "No such user here", Mailbox),
            (Stage::RcptTo, Some(554), "5.7.1 Relay access denied", Refused),
            (Stage::RcptTo, Some(550), "5.7.1 Service unavailable; client host blocked", Refused),
            (Stage::RcptTo, Some(552), "5.2.2 mailbox full", Refused),
            (Stage::RcptTo, Some(554), "rejected", Refused),
            (Stage::MailFrom, Some(550), "5.1.1 sender unknown", Refused),
            (Stage::MailFrom, Some(553), "sender not allowed", Refused),
            (Stage::Data, Some(554), "5.6.0 message content rejected", Refused),
            (Stage::RcptTo, Some(450), "4.2.0 greylisted", Temporary),
            (Stage::RcptTo, Some(421), "4.7.0 too many connections", Temporary),
            (Stage::Session, Some(535), "5.7.8 authentication credentials invalid", Temporary),
            (Stage::Session, Some(554), "no SMTP service here", Temporary),
            (Stage::RcptTo, None, "", Temporary),
        ];
        for (stage, code, reply, fault) in cases {
            assert_eq!(fault_of(stage, code, reply), fault, "{stage:?} {code:?} {reply}");
        }
    }

    #[test]
    fn only_failures_before_the_first_recipient_or_without_a_reply_are_the_relays() {
        let cases = [
            (Stage::Session, Some(421), true),
            (Stage::Session, Some(535), true),
            (Stage::Session, None, true),
            (Stage::MailFrom, Some(550), true),
            (Stage::MailFrom, Some(451), true),
            (Stage::RcptTo, Some(451), false),
            (Stage::RcptTo, Some(550), false),
            (Stage::RcptTo, Some(421), false),
            (Stage::RcptTo, None, true),
            (Stage::Data, Some(554), false),
            (Stage::Data, Some(452), false),
            (Stage::Data, None, true),
        ];
        for (stage, code, relay) in cases {
            assert_eq!(fails_the_relay(stage, code), relay, "{stage:?} {code:?}");
        }
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(SendError::Connect("127.0.0.1:25".into(), refused).fails_the_relay());
        assert!(SendError::TimedOut(Duration::from_secs(30)).fails_the_relay());
        assert!(!SendError::Unsupported("no SMTPUTF8").fails_the_relay());
    }

    #[test]
    fn reads_enhanced_status_codes() {
        assert_eq!(enhanced_status("5.1.1 user unknown"), Some((5, 1, 1)));
        assert_eq!(enhanced_status("4.7.0"), Some((4, 7, 0)));
        for no in ["", "user unknown", "5.1 x", "5.1.1.1 x", "3.1.1 x", "5.x.1 x"] {
            assert_eq!(enhanced_status(no), None, "{no:?}");
        }
    }
}
