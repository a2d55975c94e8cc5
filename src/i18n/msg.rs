//! `Msg`: a message that travels in an answer as its catalogue key, not as words, so each end
//! shows it in its reader's language.

use super::catalogue::Catalogue;
use serde::{Deserialize, Serialize};

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

            /// The words, with `{placeholders}` still in them (see `i18n::fill`).
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
    AccountChangedMeanwhile => account_changed_meanwhile,
    AddressCorrected => address_corrected,
    // The new-device mail's secure-account page (issue 22 §5).
    AccountSecured => account_secured,
    SecureLinkInvalid => secure_link_invalid,
    SecureEmailMissing => secure_email_missing,
    EmailLoginSent => email_login_sent,
    EmailLoginThrottled => email_login_throttled,
    EmailLoginEnded => email_login_ended,
    EmailLoginNumberMissing => email_login_number_missing,
    EmailLoginNumberFormat => email_login_number_format,
    EmailLoginNumberWrong => email_login_number_wrong,
    EmailLoginApprovalOff => email_login_approval_off,
    EmailLoginApproved => email_login_approved,
    // Setting a password on an account that has none (issue 22 §4).
    NoPasswordYet => no_password_yet,
    PasswordAlreadySet => password_already_set,
    SetPasswordCodeSent => set_password_code_sent,
    SetPasswordCodeThrottled => set_password_code_throttled,
    PasswordSet => password_set,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::locale::Locale;

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
}
