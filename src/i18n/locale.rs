//! Which language a person gets: the languages we speak, their tags, and the negotiation of an
//! `Accept-Language` header; and the catalogues of each (pages, and on the server, mails).

#[cfg(feature = "ssr")]
use super::mail::MailCatalogue;
use super::{catalogue::Catalogue, en, zh_cn};
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

    /// The mail strings of this language.
    #[cfg(feature = "ssr")]
    pub fn mail(self) -> &'static MailCatalogue {
        match self {
            Self::En => &super::mail::en::MAIL,
            Self::ZhCn => &super::mail::zh_cn::MAIL,
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
}
