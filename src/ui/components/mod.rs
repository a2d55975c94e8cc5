//! Reusable pieces of forms and pages.

mod field;
mod notice;
mod problem;
mod profile;
mod submit;
mod when;

pub use field::TextField;
pub use notice::{Notice, outcome};
pub use problem::{Problem, clock, countdown};
pub use profile::{BounceBanner, Profile};
pub use submit::SubmitButton;
pub use when::When;
