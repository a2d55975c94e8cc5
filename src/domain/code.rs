//! The 8-digit code a confirmation or reset mail carries next to its link, as typed.

use crate::i18n::Msg;

/// Eight digits, however they were typed ("1234 5678", "1234-5678", " 12345678 ").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// How many digits a code has.
    pub const LEN: usize = 8;

    /// # Errors
    /// [`Msg::CodeFormat`] for anything but eight digits (spaces and dashes aside).
    pub fn parse(typed: &str) -> Result<Self, Msg> {
        let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if digits.len() == Self::LEN && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(Msg::CodeFormat)
        }
    }

    /// As mailed: two groups of four, easier to read out and copy.
    pub fn display(digits: &str) -> String {
        if digits.len() == Self::LEN { format!("{} {}", &digits[..4], &digits[4..]) } else { digits.to_owned() }
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_however_they_are_spaced() {
        for typed in ["12345678", "1234 5678", " 1234-5678 ", "1 2 3 4 5 6 7 8"] {
            assert_eq!(Code::parse(typed).unwrap().as_ref(), "12345678", "{typed:?}");
        }
        for bad in ["", "1234567", "123456789", "1234567a", "１２３４５６７８", "12345678\u{0}"] {
            assert_eq!(Code::parse(bad), Err(Msg::CodeFormat), "{bad:?}");
        }
        assert_eq!(Code::display("12345678"), "1234 5678");
    }
}
