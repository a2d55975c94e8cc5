//! Mail templates: one folder per mail under `templates/`, each with `subject.txt`, `body.txt` and
//! `body.html`, embedded in the binary (no runtime file lookups) and rendered with minijinja
//! (HTML-escaped in the `.html` body).

use anyhow::Context;
use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use std::sync::LazyLock;

/// Every mail the app sends; the name is the template folder and the outbox `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Confirm,
    AlreadyRegistered,
    ResetPassword,
    PasswordChanged,
}

impl MailKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::AlreadyRegistered => "already_registered",
            Self::ResetPassword => "reset_password",
            Self::PasswordChanged => "password_changed",
        }
    }
}

macro_rules! embed {
    ($env:ident, $($name:literal),+) => {
        $(
            $env.add_template(concat!($name, "/subject.txt"), include_str!(concat!("templates/", $name, "/subject.txt")))
                .expect("template parses");
            $env.add_template(concat!($name, "/body.txt"), include_str!(concat!("templates/", $name, "/body.txt")))
                .expect("template parses");
            $env.add_template(concat!($name, "/body.html"), include_str!(concat!("templates/", $name, "/body.html")))
                .expect("template parses");
        )+
    };
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // minijinja's HTML escaping also turns `/` into `&#x2f;`, which is valid but leaves links
    // unreadable in a mail's source (and in some clients' "copy link"); escape the five
    // characters that matter and nothing else.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
            out.write_str(&escape_html(&value.to_string()))?;
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    embed!(env, "confirm", "already_registered", "reset_password", "password_changed");
    env
});

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A mail ready for the outbox.
#[derive(Debug, Clone)]
pub struct RenderedMail {
    pub kind: MailKind,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders `kind` with `context` (the template's variables).
///
/// # Errors
/// If a template refers to a variable the context lacks, or fails to render.
pub fn render(kind: MailKind, context: impl Serialize) -> anyhow::Result<RenderedMail> {
    let ctx = minijinja::Value::from_serialize(&context);
    let part = |file: &str| -> anyhow::Result<String> {
        let name = format!("{}/{file}", kind.name());
        TEMPLATES.get_template(&name)?.render(&ctx).with_context(|| format!("rendering {name}"))
    };
    Ok(RenderedMail {
        kind,
        // A subject is one line; the file's trailing newline is not part of it.
        subject: part("subject.txt")?.trim().to_owned(),
        text: part("body.txt")?,
        html: part("body.html")?,
    })
}

/// "24 hours", "1 hour", "30 minutes": how long a link works, for the mail's wording.
pub fn human_duration(secs: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
    };
    if secs >= 3600 && secs.is_multiple_of(3600) {
        plural(secs / 3600, "hour")
    } else if secs >= 60 {
        plural(secs.div_ceil(60), "minute")
    } else {
        plural(secs, "second")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_confirmation_mail_reads_like_the_seed() {
        let mail = render(
            MailKind::Confirm,
            json!({"username": "ann", "link": "https://x.org/unconfirmed#token=abc", "valid_for": "24 hours"}),
        )
        .unwrap();
        assert_eq!(mail.subject, "[Madblog] Confirm Your Account");
        assert!(mail.text.starts_with("Dear ann,\n\nWelcome to Madblog!"));
        assert!(mail.text.contains("https://x.org/unconfirmed#token=abc"));
        assert!(mail.html.contains(r#"<a href="https://x.org/unconfirmed#token=abc">click here</a>"#));
    }

    #[test]
    fn html_bodies_escape_what_users_typed() {
        let mail =
            render(MailKind::Confirm, json!({"username": "<script>", "link": "l", "valid_for": "1 hour"})).unwrap();
        assert!(mail.html.contains("&lt;script&gt;") && !mail.html.contains("<script>"));
        let quoted =
            render(MailKind::Confirm, json!({"username": "u", "link": "http://x/\"><b>", "valid_for": "1 hour"}))
                .unwrap();
        assert!(quoted.html.contains(r#"href="http://x/&quot;&gt;&lt;b&gt;""#), "{}", quoted.html);
    }

    #[test]
    fn every_template_renders() {
        for kind in [MailKind::Confirm, MailKind::AlreadyRegistered, MailKind::ResetPassword, MailKind::PasswordChanged]
        {
            let mail =
                render(kind, json!({"username": "u", "link": "l", "valid_for": "1 hour", "how": "reset"})).unwrap();
            assert!(!mail.subject.is_empty() && !mail.text.is_empty() && !mail.html.is_empty());
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(86_400), "24 hours");
        assert_eq!(human_duration(3600), "1 hour");
        assert_eq!(human_duration(1800), "30 minutes");
        assert_eq!(human_duration(90), "2 minutes");
        assert_eq!(human_duration(1), "1 second");
    }
}
