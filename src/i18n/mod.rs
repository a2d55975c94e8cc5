//! The languages Madblog speaks (English and Simplified Chinese): which one a person gets, and the
//! catalogue of what they read, one per language, shared by the browser and the server.
//!
//! A catalogue is a struct with one field per string, so a string missing in either language is a
//! compile error, and a lookup costs nothing at run time. Runtime formats (Fluent, ICU) were
//! weighed and left out: they add a parser and locale data to a browser bundle that has 9 KB to
//! spare under its 200 KB budget.

/// Declares a catalogue struct: one `&'static str` field per string, and `entries()` listing
/// every field by name (what the completeness tests walk and `madblog catalogue` prints), which a
/// macro writes so that it cannot miss one. The pages' and the mails' catalogues share it.
macro_rules! catalogue {
    ($(#[$meta:meta])* $name:ident { $($field:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name {
            $(pub $field: &'static str,)+
        }

        impl $name {
            /// Every string by its field name.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($field), self.$field)),+]
            }
        }
    };
}

mod en;
#[cfg(feature = "ssr")]
mod mail;
#[cfg(feature = "ssr")]
pub mod request;
mod zh_cn;

#[cfg(feature = "ssr")]
pub use mail::MailCatalogue;

use serde::{Deserialize, Serialize};

/// Where an explicit choice of language is kept: the localStorage key in the browser, and the
/// cookie that lets the server draw the first paint in it.
pub const CHOICE_KEY: &str = "madblog-lang";

/// A language a person can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    /// English: the language when nothing else is known.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Locale {
    pub const ALL: [Self; 2] = [Self::En, Self::ZhCn];

    /// The BCP 47 tag, as stored with an account and written in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhCn => "zh-CN",
        }
    }

    /// The strings of this language.
    pub fn text(self) -> &'static Catalogue {
        match self {
            Self::En => &en::CATALOGUE,
            Self::ZhCn => &zh_cn::CATALOGUE,
        }
    }

    /// The language a tag asks for, by its primary subtag: `en-GB` is English; every Chinese tag
    /// (`zh`, `zh-CN`, `zh-Hans-SG`, and also `zh-TW` and `zh-Hant`, whose readers read Simplified
    /// far more easily than English) is Simplified Chinese. `None` for anything else.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else if primary.eq_ignore_ascii_case("zh") {
            Some(Self::ZhCn)
        } else {
            None
        }
    }

    /// The best of our languages for an `Accept-Language` header: the highest `q` among the
    /// ranges we speak, the earlier range on a tie. `None` when it names none of them (the caller
    /// then falls back to English); a malformed range is skipped, never an error.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut best: Option<(u16, Self)> = None;
        for range in accept_language.split(',') {
            let mut parts = range.split(';');
            let Some(locale) = parts.next().and_then(Self::from_tag) else { continue };
            let Some(weight) = quality(parts) else { continue };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map(|(_, locale)| locale)
    }
}

/// A range's `q` parameter in thousandths (1000 when absent); `None` when it is malformed.
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut weight = 1000;
    for param in params {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let value: f32 = value.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&value) {
            return None;
        }
        weight = (value * 1000.0).round() as u16;
    }
    Some(weight)
}

/// Replaces each `{name}` in `template` with its value; a placeholder without a value stays as
/// written, so a mistake shows on the page instead of vanishing.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = after.find('}').and_then(|close| {
            let name = &after[..close];
            values.iter().find(|(n, _)| *n == name).map(|(_, value)| (*value, close))
        });
        if let Some((value, close)) = known {
            out.push_str(value);
            rest = &after[close + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

catalogue! {
    /// Every string a person reads, in one language. `{name}` marks a value filled in with [`fill`].
    Catalogue {
        language_name,
        language_switcher_label,
        app_name,
        skip_to_content,
        nav_home,
        nav_login,
        nav_register,
        nav_account,
        nav_logout,
        loading,
        sending,
        saving,
        try_again,
        retry_in,
        noscript,
        show_password,
        hide_password,
        show_password_label,
        hide_password_label,
        field_username,
        field_email,
        field_password,
        field_password_repeat,
        field_login,
        field_current_password,
        field_new_password,
        field_new_password_repeat,
        hint_username,
        hint_email,
        hint_password,
        passwords_differ,
        enter_login,
        enter_password,
        login_title,
        login_submit,
        login_busy,
        login_failed,
        login_registered,
        login_reset_done,
        login_forgot,
        login_new_here,
        login_create_account,
        register_title,
        register_submit,
        register_busy,
        register_have_account,
        unconfirmed_hello,
        unconfirmed_confirming,
        unconfirmed_session_ended,
        unconfirmed_lead,
        unconfirmed_explain,
        unconfirmed_spam,
        unconfirmed_expired,
        unconfirmed_resend,
        unconfirmed_resend_new,
        unconfirmed_resend_wait,
        reset_request_title,
        reset_request_explain,
        reset_request_submit,
        reset_title,
        reset_ask_new_link,
        reset_link_expired,
        reset_submit,
        back_to_login,
        account_title,
        account_change_password,
        account_updated,
        account_submit,
        account_sessions,
        account_sessions_explain,
        account_logout_all,
        home_welcome,
        home_pitch,
        home_hello,
        home_loading_account,
        profile_member_since,
        not_found_title,
        not_found_text,
        not_found_home,
        error_validation,
        error_unauthorized,
        error_not_found,
        error_payload_too_large,
        error_not_json,
        error_body_unreadable,
        error_body_empty,
        error_json_wrong_type,
        error_json_invalid,
        error_bad_arguments,
        error_busy,
        error_internal,
        error_offline,
        username_blank,
        username_length,
        username_characters,
        username_taken,
        email_invalid,
        email_too_long,
        password_blank,
        password_too_short,
        password_too_long,
        password_common,
        registered,
        confirmed,
        already_confirmed,
        confirm_link_invalid,
        confirm_first,
        resent,
        resend_throttled,
        reset_requested,
        reset_throttled,
        reset_done,
        reset_link_invalid,
        password_updated,
        old_password_blank,
        new_password_blank,
        new_password_same,
        old_password_wrong,
        password_changed_meanwhile,
        old_password_throttled,
        login_throttled,
        logged_out_everywhere,
        language_unknown,
        devices_title,
        devices_explain,
        device_summary,
        device_last_active,
        device_current,
        device_log_out,
        devices_log_out_others,
        devices_ended,
        security_title,
        security_explain,
        security_empty,
        account_security_link,
        event_login,
        event_login_failed,
        event_login_failed_many,
        event_logout,
        event_logout_everywhere,
        event_password_changed,
        event_password_reset,
        event_email_change_requested,
        event_email_change_confirmed,
        event_email_change_reverted,
        event_session_revoked,
        event_confirmed,
        event_token_reuse,
        email_change_requested,
        email_unchanged,
        email_change_throttled,
        password_wrong,
        email_change_link_invalid,
        email_taken_now,
        email_changed,
        email_change_reverted,
        revert_link_invalid,
        account_change_email,
        account_current_email,
        field_new_email,
        hint_new_email,
        email_change_submit,
        confirm_change_title,
        confirm_change_busy,
        confirm_change_needs_link,
        to_settings,
        revert_title,
        revert_explain,
        revert_submit,
        revert_needs_link,
        code_format,
        code_wrong,
        code_dead,
        reset_code_invalid,
        code_throttled,
        field_code,
        hint_code,
        unconfirmed_code_lead,
        unconfirmed_code_submit,
        reset_code_lead,
        reset_code_submit,
        reset_request_have_code,
        account_delete_title,
        account_delete_explain,
        account_delete_submit,
        deleting,
        account_deleted,
        field_password_for_email,
        field_password_for_delete,
        device_agent,
        device_unknown,
        error_method_not_allowed,
        register_throttled,
        resend_throttled_network,
        password_characters,
        error_request_unreadable,
        password_attempts_throttled,
        password_attempts_throttled_network,
        revert_email_missing,
        revert_email_wrong,
        field_old_email,
        hint_old_email,
        confirm_change_question,
        confirm_change_question_plain,
        confirm_change_explain,
        confirm_change_submit,
    }
}

/// A catalogue string picked by a page or a component, resolved in the language of the moment.
pub type Text = fn(&'static Catalogue) -> &'static str;

macro_rules! messages {
    ($($variant:ident => $field:ident),+ $(,)?) => {
        /// A message that travels in an answer (an error, a field error, a success notice) as a
        /// key, not as words: the browser shows it in the reader's language and redraws it when
        /// the language changes; the REST API writes it in the request's language. On the wire it
        /// is its catalogue field's name (`"username_length"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($variant,)+
        }

        impl Msg {
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            /// The words, with `{placeholders}` still in them (see [`fill`]).
            pub fn text(self, catalogue: &Catalogue) -> &'static str {
                match self {
                    $(Self::$variant => catalogue.$field,)+
                }
            }

            /// The name of its catalogue field.
            pub fn key(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($field),)+
                }
            }
        }
    };
}

// By hand rather than derived: a lookup in `Msg::ALL` instead of serde's two generated matches
// over every name (4 KB of the browser bundle).
impl Serialize for Msg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Msg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::ALL
            .iter()
            .copied()
            .find(|msg| msg.key() == key)
            .ok_or_else(|| serde::de::Error::custom(format_args!("no message is called {key:?}")))
    }
}

messages! {
    Validation => error_validation,
    Unauthorized => error_unauthorized,
    NotFound => error_not_found,
    MethodNotAllowed => error_method_not_allowed,
    PayloadTooLarge => error_payload_too_large,
    NotJson => error_not_json,
    BodyUnreadable => error_body_unreadable,
    RequestUnreadable => error_request_unreadable,
    BodyEmpty => error_body_empty,
    JsonWrongType => error_json_wrong_type,
    JsonInvalid => error_json_invalid,
    BadArguments => error_bad_arguments,
    Busy => error_busy,
    Internal => error_internal,
    Offline => error_offline,
    UsernameBlank => username_blank,
    UsernameLength => username_length,
    UsernameCharacters => username_characters,
    UsernameTaken => username_taken,
    EmailInvalid => email_invalid,
    EmailTooLong => email_too_long,
    PasswordBlank => password_blank,
    PasswordTooShort => password_too_short,
    PasswordTooLong => password_too_long,
    PasswordCharacters => password_characters,
    PasswordCommon => password_common,
    PasswordsDiffer => passwords_differ,
    EnterLogin => enter_login,
    EnterPassword => enter_password,
    Registered => registered,
    Confirmed => confirmed,
    AlreadyConfirmed => already_confirmed,
    ConfirmLinkInvalid => confirm_link_invalid,
    ConfirmFirst => confirm_first,
    Resent => resent,
    ResendThrottled => resend_throttled,
    ResendThrottledNetwork => resend_throttled_network,
    RegisterThrottled => register_throttled,
    ResetRequested => reset_requested,
    ResetThrottled => reset_throttled,
    ResetDone => reset_done,
    ResetLinkInvalid => reset_link_invalid,
    PasswordUpdated => password_updated,
    OldPasswordBlank => old_password_blank,
    NewPasswordBlank => new_password_blank,
    NewPasswordSame => new_password_same,
    OldPasswordWrong => old_password_wrong,
    PasswordChangedMeanwhile => password_changed_meanwhile,
    OldPasswordThrottled => old_password_throttled,
    LoginThrottled => login_throttled,
    LoggedOutEverywhere => logged_out_everywhere,
    LanguageUnknown => language_unknown,
    EmailChangeRequested => email_change_requested,
    EmailUnchanged => email_unchanged,
    EmailChangeThrottled => email_change_throttled,
    PasswordWrong => password_wrong,
    EmailChangeLinkInvalid => email_change_link_invalid,
    EmailTakenNow => email_taken_now,
    EmailChanged => email_changed,
    EmailChangeReverted => email_change_reverted,
    RevertLinkInvalid => revert_link_invalid,
    CodeFormat => code_format,
    CodeWrong => code_wrong,
    CodeDead => code_dead,
    ResetCodeInvalid => reset_code_invalid,
    CodeThrottled => code_throttled,
    AccountDeleted => account_deleted,
    PasswordAttemptsThrottled => password_attempts_throttled,
    PasswordAttemptsThrottledNetwork => password_attempts_throttled_network,
    RevertEmailMissing => revert_email_missing,
    RevertEmailWrong => revert_email_wrong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        let cases = [
            ("zh-CN,zh;q=0.9,en;q=0.8", Some(Locale::ZhCn)),
            ("en-US,en;q=0.9", Some(Locale::En)),
            ("fr-FR,fr;q=0.9,zh;q=0.5,en;q=0.4", Some(Locale::ZhCn)),
            ("en;q=0.2, zh-TW;q=0.8", Some(Locale::ZhCn)),
            ("zh-Hans-SG", Some(Locale::ZhCn)),
            ("EN-gb", Some(Locale::En)),
            ("zh;q=0, en;q=0.1", Some(Locale::En)),
            ("en, zh", Some(Locale::En)),
            ("zh;q=0.5, en;q=0.5", Some(Locale::ZhCn)),
            ("fr, de", None),
            ("*", None),
            ("", None),
            ("zh;q=abc, en;q=2, en;q", None),
            (";;,,=;q=", None),
        ];
        for (header, expected) in cases {
            assert_eq!(Locale::negotiate(header), expected, "{header:?}");
        }
    }

    #[test]
    fn tags_round_trip_and_unknown_tags_are_none() {
        for locale in Locale::ALL {
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
        assert_eq!(Locale::from_tag("de"), None);
        assert_eq!(Locale::from_tag(""), None);
        assert_eq!(Locale::from_tag("english"), None);
    }

    #[test]
    fn messages_travel_as_their_catalogue_key_and_come_back_the_same() {
        for &msg in Msg::ALL {
            let json = serde_json::to_string(&msg).unwrap();
            assert_eq!(json, format!("\"{}\"", msg.key()));
            assert_eq!(serde_json::from_str::<Msg>(&json).unwrap(), msg);
            assert!(Locale::En.text().entries().iter().any(|(name, _)| *name == msg.key()));
        }
        assert!(serde_json::from_str::<Msg>("\"no_such_message\"").is_err());
    }

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_the_rest() {
        assert_eq!(fill("Try again in {seconds} s.", &[("seconds", "42")]), "Try again in 42 s.");
        assert_eq!(fill("{a}{b}{a}", &[("a", "1"), ("b", "2")]), "121");
        assert_eq!(fill("{missing} and {", &[("other", "x")]), "{missing} and {");
        assert_eq!(fill("请在 {seconds} 秒后重试。", &[("seconds", "7")]), "请在 7 秒后重试。");
        assert_eq!(fill("no placeholders", &[]), "no placeholders");
    }

    /// Placeholder names in a template, in order.
    fn placeholders(template: &str) -> Vec<&str> {
        template.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name)).collect()
    }

    /// Checks two catalogues' entries, English and Chinese: each string is there, fills the same
    /// values, and is translated (only the name "Madblog" may read the same).
    pub(super) fn assert_translated(en: &[(&str, &str)], zh: &[(&str, &str)]) {
        assert_eq!(en.len(), zh.len());
        for ((name, english), (_, chinese)) in en.iter().zip(zh) {
            assert!(!english.trim().is_empty() && !chinese.trim().is_empty(), "{name} is empty");
            let (mut a, mut b) = (placeholders(english), placeholders(chinese));
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{name}: the languages fill different values");
        }
        let untranslated: Vec<_> =
            en.iter().zip(zh).filter(|((_, e), (_, z))| e == z && *e != "Madblog").map(|((n, _), _)| *n).collect();
        assert!(untranslated.is_empty(), "the same in both languages: {untranslated:?}");
    }

    #[test]
    fn every_string_is_translated_with_the_same_placeholders() {
        assert_translated(&Locale::En.text().entries(), &Locale::ZhCn.text().entries());
    }
}
