//! The English catalogue.

use super::Catalogue;

pub const CATALOGUE: Catalogue = Catalogue {
    language_name: "English",
    language_switcher_label: "Language",
    app_name: "Madblog",
    nav_home: "Home",
    nav_login: "Log in",
    nav_register: "Register",
    nav_account: "Account",
    nav_logout: "Log out",
    error_validation: "Please correct the highlighted fields.",
    error_unauthorized: "Please log in again.",
    error_not_found: "Not found.",
    error_payload_too_large: "The request body is too large.",
    error_busy: "The server is busy. Please try again in a moment.",
    error_internal: "Something went wrong on our side. Please try again.",
    error_offline: "You seem to be offline, or the server can't be reached. Please try again.",
    retry_in_seconds: "Please try again in {seconds} s.",
    noscript: "Madblog needs JavaScript for this page. Please turn it on and reload.",
};
