//! The new address and the password that shows the owner is asking: the form that changes a
//! confirmed account's address (`/settings/account`) and corrects an unconfirmed one's
//! (`/unconfirmed`). Both go to the same server function; the server decides which it is.

use crate::{
    api::email_change::RequestEmailChange,
    domain::EmailAddress,
    i18n::{Msg, Text},
    ui::{components::TextField, effect::effect, focus},
};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct AddressForm {
    new_email: RwSignal<String>,
    password: RwSignal<String>,
    email_error: RwSignal<Option<Msg>>,
    password_error: RwSignal<Option<Msg>>,
    pub action: ServerAction<RequestEmailChange>,
}

impl AddressForm {
    /// `on_done` runs once the server has taken a request; the fields are emptied for the next.
    pub fn new(on_done: impl Fn() + 'static) -> Self {
        let form = Self {
            new_email: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
            email_error: RwSignal::new(None),
            password_error: RwSignal::new(None),
            action: ServerAction::new(),
        };
        effect(move || match form.action.value().get() {
            Some(Ok(_)) => {
                form.new_email.set(String::new());
                form.password.set(String::new());
                on_done();
            }
            // Field errors from the server go next to their fields, as the browser's own do.
            Some(Err(e)) => {
                form.email_error.set(e.field_message("new_email"));
                form.password_error.set(e.field_message("password"));
            }
            None => {}
        });
        form
    }

    /// Checks both fields as typed (the same rules the server applies) and sends them, or puts the
    /// focus on the first one that is wrong.
    pub fn submit(self, form_id: &'static str) -> impl Fn(leptos::ev::SubmitEvent) + Copy {
        move |ev| {
            ev.prevent_default();
            let (email, password) = (self.new_email.get_untracked(), self.password.get_untracked());
            let email_error = EmailAddress::parse(&email).err().map(|e| e.msg());
            let password_error = password.is_empty().then_some(Msg::EnterPassword);
            self.email_error.set(email_error);
            self.password_error.set(password_error);
            if email_error.is_none() && password_error.is_none() {
                self.action.dispatch(RequestEmailChange { password, new_email: email });
            } else {
                focus::first_invalid(form_id);
            }
        }
    }

    /// The two fields, the address's with `hint` under it.
    pub fn fields(self, hint: Text) -> impl IntoView {
        view! {
            <TextField name="new_email" label=|t| t.field_new_email kind="email" value=self.new_email
                error=self.email_error autocomplete="email" hint/>
            <TextField name="email_password" label=|t| t.field_password_for_email kind="password"
                value=self.password error=self.password_error autocomplete="current-password"/>
        }
    }
}
