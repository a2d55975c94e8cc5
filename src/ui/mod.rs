//! The pages and components the hydrated front end draws, and the browser's session state.

pub mod components;
pub mod effect;
pub mod focus;
pub mod guard;
pub mod hydration;
pub mod link_token;
pub mod locale;
pub mod pages;
pub mod session;
