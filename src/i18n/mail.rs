//! The words of the mails and of the dev mailbox, one catalogue per language like the pages'
//! (the values are in `mail/en.rs` and `mail/zh_cn.rs`), but compiled into the server only: the
//! browser never shows a mail, so its bundle doesn't carry them.

pub mod en;
pub mod zh_cn;

catalogue! {
    /// Every sentence of every mail, in one language. `{name}` marks a value the template fills in
    /// (see `server::email::templates`).
    MailCatalogue {
        mail_greeting,
        mail_sign_off,
        mail_team,
        mail_no_reply,
        mail_paste_link,
        mail_set_password_action,
        confirm_subject,
        confirm_welcome,
        confirm_follow_link,
        confirm_action,
        confirm_valid_for,
        already_registered_subject,
        already_registered_lead,
        already_registered_forgot,
        already_registered_ignore,
        reset_subject,
        reset_follow_link,
        reset_action,
        reset_valid_for,
        password_changed_subject,
        password_was_reset,
        password_was_changed,
        password_changed_if_you,
        password_changed_if_not,
        duration_second,
        duration_seconds,
        duration_minute,
        duration_minutes,
        duration_hour,
        duration_hours,
        mailbox_title,
        mailbox_note,
        mailbox_empty,
        mailbox_meta,
        email_change_subject,
        email_change_lead,
        email_change_action,
        email_change_valid_for,
        email_taken_subject,
        email_taken_lead,
        email_taken_ignore,
        email_changed_subject,
        email_changed_lead,
        email_changed_if_you,
        email_changed_if_not,
        email_changed_action,
        duration_days,
        confirm_code,
        reset_code,
        reminder_subject,
        reminder_lead,
        reminder_deadline,
        goodbye_subject,
        goodbye_lead,
        goodbye_if_not,
        goodbye_action,
        // The new-device mail (issue 22 §5).
        new_device_subject,
        new_device_lead,
        new_device_device,
        new_device_network,
        new_device_time,
        new_device_if_not,
        new_device_action,
        email_login_subject,
        email_login_lead,
        email_login_code,
        email_login_link,
        email_login_action,
        email_login_valid_for,
        set_password_subject,
        set_password_lead,
        set_password_valid_for,
        password_was_set,
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::locale::Locale;

    #[test]
    fn every_mail_string_is_translated_with_the_same_placeholders() {
        crate::i18n::catalogue::tests::assert_translated(&Locale::En.mail().entries(), &Locale::ZhCn.mail().entries());
    }
}
