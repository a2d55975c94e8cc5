//! The languages Madblog speaks (English and Simplified Chinese): which one a person gets, and the
//! catalogue of what they read, one per language, shared by the browser and the server.
//!
//! A catalogue is a struct with one field per string, so a string missing in either language is a
//! compile error, and a lookup costs nothing at run time. Runtime formats (Fluent, ICU) were
//! weighed and left out: they add a parser and locale data to a browser bundle that has 9 KB to
//! spare under its 200 KB budget.

mod en;
mod zh_cn;

use serde::{Deserialize, Serialize};

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

/// Every string a person reads, in one language. Fields are grouped by where they appear;
/// `{name}` marks a value filled in with [`fill`].
#[derive(Debug)]
pub struct Catalogue {
    /// The language's own name, as the switcher lists it.
    pub language_name: &'static str,
    pub language_switcher_label: &'static str,
    pub app_name: &'static str,
    pub nav_home: &'static str,
    pub nav_login: &'static str,
    pub nav_register: &'static str,
    pub nav_account: &'static str,
    pub nav_logout: &'static str,
    pub error_validation: &'static str,
    pub error_unauthorized: &'static str,
    pub error_not_found: &'static str,
    pub error_payload_too_large: &'static str,
    pub error_busy: &'static str,
    pub error_internal: &'static str,
    pub error_offline: &'static str,
    /// `{seconds}`: how long until the action may be tried again.
    pub retry_in_seconds: &'static str,
    pub noscript: &'static str,
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
    fn fill_replaces_known_placeholders_and_keeps_the_rest() {
        assert_eq!(fill("Try again in {seconds} s.", &[("seconds", "42")]), "Try again in 42 s.");
        assert_eq!(fill("{a}{b}{a}", &[("a", "1"), ("b", "2")]), "121");
        assert_eq!(fill("{missing} and {", &[("other", "x")]), "{missing} and {");
        assert_eq!(fill("请在 {seconds} 秒后重试。", &[("seconds", "7")]), "请在 7 秒后重试。");
        assert_eq!(fill("no placeholders", &[]), "no placeholders");
    }

    /// Every field of every catalogue, by name: what the completeness checks walk.
    fn fields(c: &Catalogue) -> Vec<(&'static str, &'static str)> {
        // Destructured without `..`: a new field that isn't listed here fails to compile.
        let Catalogue {
            language_name,
            language_switcher_label,
            app_name,
            nav_home,
            nav_login,
            nav_register,
            nav_account,
            nav_logout,
            error_validation,
            error_unauthorized,
            error_not_found,
            error_payload_too_large,
            error_busy,
            error_internal,
            error_offline,
            retry_in_seconds,
            noscript,
        } = c;
        vec![
            ("language_name", language_name),
            ("language_switcher_label", language_switcher_label),
            ("app_name", app_name),
            ("nav_home", nav_home),
            ("nav_login", nav_login),
            ("nav_register", nav_register),
            ("nav_account", nav_account),
            ("nav_logout", nav_logout),
            ("error_validation", error_validation),
            ("error_unauthorized", error_unauthorized),
            ("error_not_found", error_not_found),
            ("error_payload_too_large", error_payload_too_large),
            ("error_busy", error_busy),
            ("error_internal", error_internal),
            ("error_offline", error_offline),
            ("retry_in_seconds", retry_in_seconds),
            ("noscript", noscript),
        ]
    }

    /// Placeholder names in a template, in order.
    fn placeholders(template: &str) -> Vec<&str> {
        template.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn every_string_is_translated_with_the_same_placeholders() {
        let en = fields(Locale::En.text());
        let zh = fields(Locale::ZhCn.text());
        for ((name, english), (_, chinese)) in en.iter().zip(&zh) {
            assert!(!english.trim().is_empty() && !chinese.trim().is_empty(), "{name} is empty");
            let (mut a, mut b) = (placeholders(english), placeholders(chinese));
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{name}: the languages fill different values");
        }
        let untranslated: Vec<_> =
            en.iter().zip(&zh).filter(|((_, e), (_, z))| e == z && *e != "Madblog").map(|((n, _), _)| *n).collect();
        assert!(untranslated.is_empty(), "the same in both languages: {untranslated:?}");
    }
}
