//! The pages' catalogue: one field per string a person reads, so a string missing in either
//! language is a compile error; the type a page names a string by; and filling a string's
//! `{placeholders}`. The values are in `en.rs` and `zh_cn.rs`.

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
        account_changed_meanwhile,
        address_corrected,
        unconfirmed_sent_to,
        unconfirmed_wrong_address,
        unconfirmed_fix_title,
        hint_corrected_email,
        unconfirmed_fix_submit,
        mail_bounced,
        mail_bounced_reason,
        // The new-device mail's secure-account page, and signing in by email (issue 22).
        event_account_secured, secure_title, secure_explain, field_account_email, hint_account_email,
        secure_submit, secure_needs_link, account_secured, secure_link_invalid, secure_email_missing,
        email_login_sent, email_login_throttled, email_login_ended, email_login_number_missing,
        email_login_number_format, email_login_number_wrong, email_login_approval_off, email_login_approved,
        login_by_email, email_login_title, email_login_explain, email_login_submit, email_login_number,
        email_login_number_explain, email_login_code_lead, email_login_code_submit, email_login_waiting,
        email_login_code_only, email_login_start_over, email_login_signing_in, email_login_approve_title,
        email_login_question, email_login_approve_explain, field_number, hint_number,
        email_login_approve_submit, email_login_no_approval,
        no_password_yet, password_already_set, set_password_code_sent, set_password_code_throttled,
        password_set, event_password_set, set_password_title, set_password_explain, set_password_send,
        set_password_submit, set_password_needed,
    }
}

/// A catalogue string picked by a page or a component, resolved in the language of the moment.
pub type Text = fn(&'static Catalogue) -> &'static str;

impl Catalogue {
    /// A device as the server describes it ("Firefox on Linux", "curl", "unknown"), in this
    /// language: the server stores one language-neutral form, and the words around it are the
    /// reader's (the devices page, the new-device mail).
    pub fn device_name(&self, described: &str) -> String {
        match described.split_once(" on ") {
            Some((browser, system)) => fill(self.device_agent, &[("browser", browser), ("system", system)]),
            None if described == "unknown" => self.device_unknown.to_owned(),
            None => described.to_owned(),
        }
    }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::i18n::locale::Locale;

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
    pub(in crate::i18n) fn assert_translated(en: &[(&str, &str)], zh: &[(&str, &str)]) {
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
