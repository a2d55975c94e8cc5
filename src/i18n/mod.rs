//! The languages Madblog speaks (English and Simplified Chinese): which one a person gets
//! (`locale`), the catalogue of what they read (`catalogue`, the values one file per language),
//! the messages answers carry as keys (`msg`), and, on the server, the mails' words (`mail`) and the
//! language of the request being answered (`request`). Shared by the browser and the server.
//!
//! A catalogue is a struct with one field per string, so a string missing in either language is a
//! compile error, and a lookup costs nothing at run time. Runtime formats (Fluent, ICU) were
//! weighed and left out: they add a parser and locale data to a browser bundle that must stay under
//! its 200 KB budget.

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

pub mod catalogue;
mod en;
pub mod locale;
#[cfg(feature = "ssr")]
pub mod mail;
pub mod msg;
#[cfg(feature = "ssr")]
pub mod request;
mod zh_cn;

pub use catalogue::{Catalogue, Text, fill};
pub use locale::{CHOICE_KEY, Locale};
#[cfg(feature = "ssr")]
pub use mail::MailCatalogue;
pub use msg::Msg;
