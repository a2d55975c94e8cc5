//! Mail templates: one folder per mail under `templates/`, each with `subject.txt`, `body.txt` and
//! `body.html`, inside one layout per format (`layout.txt`, `layout.html`: greeting, sign-off,
//! the no-reply note), embedded in the binary (no runtime file lookups) and rendered with
//! minijinja (HTML-escaped in the `.html` files).
//!
//! The files hold the layout only; every sentence comes from the recipient's language's
//! [`MailCatalogue`], as `t` (`{{ t.confirm_welcome }}`). A sentence with `{placeholders}` goes
//! through the `fill` filter (`{{ t.mail_greeting | fill(username=username) }}`), which escapes
//! the values in HTML, so what a user typed can't become markup in either language. Links stand
//! in paragraphs of their own, never inside a sentence, so each language orders its words freely.

use crate::i18n::{Locale, MailCatalogue, fill};
use anyhow::Context;
use minijinja::{AutoEscape, Environment, Error, State, Value, value::Kwargs};
use serde::Serialize;
use std::{collections::BTreeMap, sync::LazyLock};

/// Every mail the app sends; the name is the template folder and the outbox `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Confirm,
    AlreadyRegistered,
    ResetPassword,
    PasswordChanged,
    /// To a new address: the link that moves the account to it.
    EmailChange,
    /// To an address that has an account, when another account asked to move to it.
    EmailTaken,
    /// To the old address after a change: the revert link.
    EmailChanged,
    /// To an account still unconfirmed after some days: a fresh link and code, and the deadline.
    ConfirmReminder,
    /// To the address of an account just deleted.
    Goodbye,
    /// To an account signed in to from a device it hasn't used lately: the "this wasn't me" link.
    NewDevice,
    /// To an address someone asked to sign in with: the flow's code and link (never its secret).
    EmailLogin,
    /// To an account without a password whose session asked to set one: the code for it.
    SetPasswordCode,
}

impl MailKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::AlreadyRegistered => "already_registered",
            Self::ResetPassword => "reset_password",
            Self::PasswordChanged => "password_changed",
            Self::EmailChange => "email_change",
            Self::EmailTaken => "email_taken",
            Self::EmailChanged => "email_changed",
            Self::ConfirmReminder => "confirm_reminder",
            Self::Goodbye => "goodbye",
            Self::NewDevice => "new_device",
            Self::EmailLogin => "email_login",
            Self::SetPasswordCode => "set_password_code",
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
    env.add_template("layout.txt", include_str!("templates/layout.txt")).expect("template parses");
    env.add_template("layout.html", include_str!("templates/layout.html")).expect("template parses");
    // The confirmation link and code, shared by the confirmation mail and its reminder.
    env.add_template("confirm_link.txt", include_str!("templates/confirm_link.txt")).expect("template parses");
    env.add_template("confirm_link.html", include_str!("templates/confirm_link.html")).expect("template parses");
    embed!(
        env,
        "confirm",
        "already_registered",
        "reset_password",
        "password_changed",
        "email_change",
        "email_taken",
        "email_changed",
        "confirm_reminder",
        "goodbye",
        "new_device",
        "email_login",
        "set_password_code"
    );
    env.add_filter("fill", fill_filter);
    env.add_filter("duration", duration_filter);
    env
});

/// `{{ t.some_sentence | fill(name=value, …) }}`: the catalogue's [`fill`], escaping in HTML both
/// the sentence and the values (unless a value is already marked safe), so the result can be
/// written as is.
fn fill_filter(state: &State, template: &str, values: Kwargs) -> Result<Value, Error> {
    let html = state.auto_escape() == AutoEscape::Html;
    let mut filled = Vec::new();
    for name in values.args() {
        let value: Value = values.get(name)?;
        let text = value.to_string();
        filled.push((name, if html && !value.is_safe() { escape_html(&text) } else { text }));
    }
    values.assert_all_used()?;
    let pairs: Vec<(&str, &str)> = filled.iter().map(|(name, value)| (*name, value.as_str())).collect();
    Ok(if html {
        Value::from_safe_string(fill(&escape_html(template), &pairs))
    } else {
        Value::from(fill(template, &pairs))
    })
}

/// `{{ seconds | duration }}`: how long something lasts, in the mail's language (`lang`).
fn duration_filter(state: &State, secs: u64) -> String {
    let locale = state.lookup("lang").and_then(|tag| tag.as_str().and_then(Locale::from_tag)).unwrap_or_default();
    human_duration(secs, locale)
}

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

/// Renders `kind` in `locale` with `context` (the template's variables; `t`, the strings of the
/// language, and `lang`, its tag, are added).
///
/// # Errors
/// If a template refers to a variable the context lacks, or fails to render.
pub fn render(kind: MailKind, locale: Locale, context: impl Serialize) -> anyhow::Result<RenderedMail> {
    let ctx =
        minijinja::context! { t => strings(locale.mail()), lang => locale.tag(), ..Value::from_serialize(&context) };
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

fn strings(catalogue: &'static MailCatalogue) -> Value {
    Value::from(catalogue.entries().into_iter().collect::<BTreeMap<_, _>>())
}

/// "24 hours", "1 hour", "30 minutes" ("24 小时"…): how long a link works, for the mail's wording.
pub fn human_duration(secs: u64, locale: Locale) -> String {
    let t = locale.mail();
    let amount = |n: u64, one: &str, many: &str| {
        if n == 1 { one.to_owned() } else { fill(many, &[("n", &n.to_string())]) }
    };
    // Whole days from two days up: a day is still "24 hours", as the seed wrote it.
    if secs >= 2 * 86_400 && secs.is_multiple_of(86_400) {
        amount(secs / 86_400, t.duration_days, t.duration_days)
    } else if secs >= 3600 && secs.is_multiple_of(3600) {
        amount(secs / 3600, t.duration_hour, t.duration_hours)
    } else if secs >= 60 {
        amount(secs.div_ceil(60), t.duration_minute, t.duration_minutes)
    } else {
        amount(secs, t.duration_second, t.duration_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALL: [MailKind; 11] = [
        MailKind::Confirm,
        MailKind::AlreadyRegistered,
        MailKind::ResetPassword,
        MailKind::PasswordChanged,
        MailKind::EmailChange,
        MailKind::EmailTaken,
        MailKind::EmailChanged,
        MailKind::ConfirmReminder,
        MailKind::Goodbye,
        MailKind::NewDevice,
        MailKind::EmailLogin,
    ];

    fn context(username: &str, link: &str) -> serde_json::Value {
        json!({
            "username": username, "link": link, "valid_for": 86_400, "how": "reset", "new_email": "new@example.org",
            "purge_in": 4 * 86_400, "device": "Firefox on Linux", "network": "203.0.113.0/24",
            "time": "2026-12-09 08:15 UTC",
        })
    }

    #[test]
    fn the_confirmation_mail_reads_like_the_seed() {
        let link = "https://x.org/unconfirmed#token=abc";
        let mail = render(MailKind::Confirm, Locale::En, context("ann", link)).unwrap();
        assert_eq!(mail.subject, "[Madblog] Confirm Your Account");
        assert!(mail.text.starts_with("Dear ann,\n\nWelcome to Madblog!"), "{}", mail.text);
        assert!(mail.text.contains(&format!("following link:\n\n{link}\n\nThe link works for 24 hours.")));
        assert!(mail.text.ends_with("Note: replies to this email address are not monitored."), "{}", mail.text);
        assert!(mail.html.contains(r#"<html lang="en">"#));
        assert!(mail.html.contains(&format!(r#"<a href="{link}">Confirm your account</a>"#)), "{}", mail.html);
    }

    #[test]
    fn confirmation_and_reset_mails_carry_their_code_in_both_parts() {
        for kind in [MailKind::Confirm, MailKind::ResetPassword, MailKind::EmailLogin] {
            for locale in Locale::ALL {
                let mut context = context("ann", "https://x.org/l");
                context["code"] = json!("1234 5678");
                let mail = render(kind, locale, context).unwrap();
                assert!(mail.text.contains("\n    1234 5678\n"), "{}", mail.text);
                assert!(mail.html.contains("<b>1234 5678</b>"), "{}", mail.html);
            }
        }
    }

    #[test]
    fn a_chinese_account_gets_its_confirmation_mail_in_chinese() {
        let link = "https://x.org/unconfirmed#token=abc";
        let mail = render(MailKind::Confirm, Locale::ZhCn, context("ann", link)).unwrap();
        assert_eq!(mail.subject, "[Madblog] 确认你的账户");
        assert!(mail.text.starts_with("ann，你好：\n\n欢迎加入 Madblog！"), "{}", mail.text);
        assert!(mail.text.contains(&format!("\n\n{link}\n\n该链接在 24 小时内有效。")), "{}", mail.text);
        assert!(mail.html.contains(r#"<html lang="zh-CN">"#));
        assert!(mail.html.contains(&format!(r#"<p><a href="{link}">确认账户</a></p>"#)), "{}", mail.html);
    }

    #[test]
    fn every_mail_is_whole_in_each_language_with_no_word_of_the_other() {
        for kind in ALL {
            for (locale, other) in [(Locale::En, Locale::ZhCn), (Locale::ZhCn, Locale::En)] {
                let mail = render(kind, locale, context("u", "https://x.org/l")).unwrap();
                let name = format!("{} in {}", kind.name(), locale.tag());
                assert!(!mail.subject.is_empty() && !mail.text.is_empty() && !mail.html.is_empty(), "{name}");
                for part in [&mail.subject, &mail.text, &mail.html] {
                    assert!(!part.contains(['{', '}']), "{name}: a placeholder left unfilled: {part}");
                    let leaked = other.mail().entries().into_iter().find(|(_, words)| {
                        let sentence = words.split('{').next().unwrap_or_default().trim();
                        sentence.chars().count() > 3 && part.contains(sentence)
                    });
                    assert!(leaked.is_none(), "{name}: {leaked:?} in {part}");
                }
                // The notice about a taken address has nothing to follow.
                if kind != MailKind::EmailTaken {
                    assert!(mail.text.contains("https://x.org/l") && mail.html.contains(r#"href="https://x.org/l""#));
                }
                assert!(mail.html.contains(&format!(r#"<html lang="{}">"#, locale.tag())), "{name}");
            }
        }
    }

    #[test]
    fn html_bodies_escape_what_users_typed_in_every_language() {
        for locale in Locale::ALL {
            for kind in [MailKind::Confirm, MailKind::AlreadyRegistered] {
                let mail = render(kind, locale, context("<script>", "l")).unwrap();
                assert!(mail.html.contains("&lt;script&gt;") && !mail.html.contains("<script>"), "{}", mail.html);
                assert!(mail.text.contains("<script>"), "text bodies are not HTML: nothing to escape");
            }
            let quoted = render(MailKind::Confirm, locale, context("u", "http://x/\"><b>")).unwrap();
            assert!(quoted.html.contains(r#"href="http://x/&quot;&gt;&lt;b&gt;""#), "{}", quoted.html);
        }
    }

    #[test]
    fn the_password_notice_says_how_it_was_changed() {
        let changed = json!({"username": "u", "link": "l", "how": "changed"});
        let mail = render(MailKind::PasswordChanged, Locale::En, changed.clone()).unwrap();
        assert!(mail.text.contains("was changed just now"));
        let mail = render(MailKind::PasswordChanged, Locale::ZhCn, changed).unwrap();
        assert!(mail.text.contains("刚刚被修改"));
        let reset = render(MailKind::PasswordChanged, Locale::ZhCn, context("u", "l")).unwrap();
        assert!(reset.text.contains("刚刚被重置"));
    }

    #[test]
    fn the_new_device_mail_says_what_where_and_when_and_escapes_the_device() {
        let mut context = context("ann", "https://x.org/secure-account#token=abc");
        context["device"] = json!("<b>curl</b>");
        context["valid_for"] = json!(7 * 86_400);
        let mail = render(MailKind::NewDevice, Locale::En, context.clone()).unwrap();
        assert_eq!(mail.subject, "[Madblog] New sign-in to your account");
        assert!(mail.text.contains("    Device: <b>curl</b>\n"), "{}", mail.text);
        assert!(mail.text.contains("    Network: an address in 203.0.113.0/24\n"), "{}", mail.text);
        assert!(mail.text.contains("    Time: 2026-12-09 08:15 UTC\n"), "{}", mail.text);
        assert!(mail.text.contains("The link works for 7 days, once."), "{}", mail.text);
        assert!(mail.html.contains("Device: &lt;b&gt;curl&lt;/b&gt;") && !mail.html.contains("<b>curl"));
        assert!(mail.html.contains(r#"<a href="https://x.org/secure-account#token=abc">This wasn&#39;t me"#));
        let mail = render(MailKind::NewDevice, Locale::ZhCn, context).unwrap();
        assert!(mail.text.contains("网络：203.0.113.0/24 中的一个地址"), "{}", mail.text);
    }

    #[test]
    fn durations_read_naturally_in_both_languages() {
        assert_eq!(human_duration(86_400, Locale::En), "24 hours");
        assert_eq!(human_duration(3600, Locale::En), "1 hour");
        assert_eq!(human_duration(1800, Locale::En), "30 minutes");
        assert_eq!(human_duration(90, Locale::En), "2 minutes");
        assert_eq!(human_duration(1, Locale::En), "1 second");
        assert_eq!(human_duration(86_400, Locale::ZhCn), "24 小时");
        assert_eq!(human_duration(3600, Locale::ZhCn), "1 小时");
        assert_eq!(human_duration(90, Locale::ZhCn), "2 分钟");
        assert_eq!(human_duration(5, Locale::ZhCn), "5 秒");
        assert_eq!(human_duration(7 * 86_400, Locale::En), "7 days");
        assert_eq!(human_duration(7 * 86_400, Locale::ZhCn), "7 天");
    }
}
