//! Reading what comes back about a mail: a delivery status notification (RFC 3464, "bounce") or a
//! complaint (RFC 5965, ARF), as a mail server's pipe hands it over. Only reading: what the report
//! says and which addresses in it may carry one of our tagged return paths. Acting on it is
//! `email::feedback`. Any input, however broken, gives an answer or `None`, never a panic (fuzzed:
//! `fuzz/fuzz_targets/report.rs`).

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// What a report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A delivery failed for good (`Action: failed`, a 5.x.x status).
    Failed {
        /// `5.1.1`
        status: String,
        /// The receiving server's words (`Diagnostic-Code`), else the status.
        reason: String,
        /// `Final-Recipient`, as the report gives it.
        recipient: Option<String>,
    },
    /// Delayed, delivered, relayed, or a 4.x.x: nothing to act on.
    NotFinal,
    /// A complaint (`Feedback-Type: abuse`, or any ARF report): the person marked the mail as spam.
    Complaint { feedback_type: String },
}

/// A report and the addresses that may carry one of our tagged return paths, most trusted first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub said: Said,
    pub candidates: Vec<String>,
}

/// Reads one message. `None` when it is not a report: no `multipart/report`, or none of its parts
/// says anything a report says.
pub fn parse(raw: &[u8]) -> Option<Report> {
    let message = MessageParser::default().parse(raw)?;
    let mut candidates = Vec::new();
    // The report goes to the envelope sender of the mail it is about, our tagged address: the
    // delivering server says so in these headers (the To of a bounce is usually it as well).
    for name in ["Delivered-To", "X-Original-To", "To", "Return-Path"] {
        if let Some(value) = message.header_raw(name) {
            candidates.extend(addresses_in(value));
        }
    }
    let mut said = None;
    for part in &message.parts {
        let Some(kind) = part.content_type() else { continue };
        let subtype = kind.subtype().unwrap_or_default().to_ascii_lowercase();
        match (kind.ctype().to_ascii_lowercase().as_str(), subtype.as_str(), &part.body) {
            ("message", "delivery-status" | "global-delivery-status", _) => {
                said = said.or_else(|| delivery_status(&String::from_utf8_lossy(part.contents())));
            }
            ("message", "feedback-report", _) => {
                let fields = fields(&String::from_utf8_lossy(part.contents()));
                if let Some(value) = field(&fields, "original-mail-from") {
                    candidates.extend(addresses_in(value));
                }
                let feedback_type = field(&fields, "feedback-type").unwrap_or("abuse").to_ascii_lowercase();
                said = Some(Said::Complaint { feedback_type });
            }
            // The mail it is about, whole or its headers only: its Return-Path, where the
            // receiving server recorded one, is the tag too.
            (_, _, PartType::Message(original)) => {
                if let Some(value) = original.header_raw("Return-Path") {
                    candidates.extend(addresses_in(value));
                }
            }
            ("text", "rfc822-headers" | "global-headers", _) => {
                let headers = fields(&String::from_utf8_lossy(part.contents()));
                if let Some(value) = field(&headers, "return-path") {
                    candidates.extend(addresses_in(value));
                }
            }
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert(c.clone()));
    Some(Report { said: said?, candidates })
}

/// The per-recipient verdict of a `message/delivery-status` body: the first recipient whose
/// delivery failed for good, else `NotFinal`.
fn delivery_status(body: &str) -> Option<Said> {
    // A blank line ends the per-message fields and each recipient's block.
    let normalized = body.replace("\r\n", "\n");
    let mut any_recipient = false;
    for block in normalized.split("\n\n").skip(1) {
        let fields = fields(block);
        let Some(action) = field(&fields, "action") else { continue };
        any_recipient = true;
        let status = field(&fields, "status").unwrap_or_default().trim();
        let status = status.split_whitespace().next().unwrap_or_default().to_owned();
        if action.trim().eq_ignore_ascii_case("failed") && status.starts_with("5.") {
            let reason = field(&fields, "diagnostic-code")
                .map(|d| d.split_once(';').map_or(d, |(_, text)| text).trim().to_owned())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| status.clone());
            let recipient = field(&fields, "final-recipient")
                .or_else(|| field(&fields, "original-recipient"))
                .and_then(|r| addresses_in(r).into_iter().next());
            return Some(Said::Failed { status, reason: one_line(&reason), recipient });
        }
    }
    any_recipient.then_some(Said::NotFinal)
}

/// `Name: value` fields, with folded lines unfolded; names lower-cased.
fn fields(block: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Every `local@domain` in a header value or a field (`rfc822; a@b`, `"Name" <a@b>`, `<a@b>`).
fn addresses_in(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')'))
        .filter(|word| word.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@')))
        .map(|word| word.trim_matches(['.', '\'']).to_ascii_lowercase())
        .collect()
}

/// At most 300 characters on one line: what a report says goes in the outbox and a banner.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/fuzz/corpus/report/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn postfix_user_unknown() {
        let report = parse(&corpus("postfix-user-unknown.eml")).unwrap();
        assert_eq!(
            report.said,
            Said::Failed {
                status: "5.1.1".into(),
                reason: "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in local recipient \
                         table"
                    .into(),
                recipient: Some("nobody@example.net".into()),
            }
        );
        assert_eq!(
            report.candidates[0],
            "bounce+0b6f8a5258f44d5ea7c26a1f0e0e9d01.4c1d0e2b8a33f0c59e7d1a62@madblog.test"
        );
    }

    #[test]
    fn every_sample_reads_as_what_it_is() {
        let cases: &[(&str, &str)] = &[
            ("postfix-user-unknown.eml", "5.1.1"),
            ("exim-unrouteable.eml", "5.1.1"),
            ("sendmail-user-unknown.eml", "5.1.1"),
            ("gmail-does-not-exist.eml", "5.1.1"),
            ("outlook-recipient-not-found.eml", "5.1.10"),
            // Relayed through our own Postfix, which gives a bare 550 the status 5.0.0.
            ("qq-mailbox-not-found.eml", "5.0.0"),
            ("163-user-not-found.eml", "5.0.0"),
            ("postfix-policy-blocked.eml", "5.7.1"),
        ];
        for (name, status) in cases {
            let report = parse(&corpus(name)).unwrap_or_else(|| panic!("{name} is a report"));
            match report.said {
                Said::Failed { status: got, .. } => assert_eq!(&got, status, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
            assert!(!report.candidates.is_empty(), "{name} names an address it came to");
        }
        assert_eq!(parse(&corpus("postfix-delayed.eml")).unwrap().said, Said::NotFinal);
        let complaint = parse(&corpus("arf-abuse.eml")).unwrap();
        assert_eq!(complaint.said, Said::Complaint { feedback_type: "abuse".into() });
        assert!(
            complaint.candidates.iter().any(|c| c.starts_with("bounce+")),
            "the original's Return-Path: {:?}",
            complaint.candidates
        );
    }

    #[test]
    fn malformed_mime_that_tripped_the_mime_parser_reads_without_a_panic() {
        let path = format!("{}/fuzz/regressions/report/mail-parser-debug-assert.eml", env!("CARGO_MANIFEST_DIR"));
        // A debug build panicked here before `profile.dev.package.mail-parser` (Cargo.toml).
        let report = parse(&std::fs::read(path).unwrap());
        assert!(report.as_ref().is_none_or(|r| matches!(r.said, Said::Complaint { .. })), "{report:?}");
    }

    #[test]
    fn a_plain_mail_is_no_report() {
        assert_eq!(parse(b"From: a@b.c\r\nTo: d@e.f\r\nSubject: hi\r\n\r\nhello\r\n"), None);
        assert_eq!(parse(b""), None);
    }

    #[test]
    fn reads_addresses_however_they_are_written() {
        assert_eq!(addresses_in("rfc822; Nobody@Example.net"), ["nobody@example.net"]);
        assert_eq!(addresses_in("\"Bounce\" <b+x.y@m.t>, c@d.e"), ["b+x.y@m.t", "c@d.e"]);
        assert!(addresses_in("no address here; @ nor a@").is_empty());
    }
}
