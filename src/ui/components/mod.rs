//! Reusable pieces of forms and pages.

mod field;
mod notice;
mod submit;
mod when;

pub use field::TextField;
pub use notice::Notice;
pub use submit::SubmitButton;
pub use when::When;
