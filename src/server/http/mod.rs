//! The HTTP edge shared by the REST API, the server functions and the pages: errors as answers,
//! extractors, middleware, who the client is behind proxies, security headers and CORS, the bundle's
//! caching and compression, the request's language, the `/metrics` endpoint, the mail events hook and
//! the development mailbox page.

pub mod assets;
pub mod dev_mailbox;
pub mod error;
pub mod extract;
pub mod headers;
pub mod locale;
pub mod mail_events;
pub mod metrics;
pub mod middleware;
pub mod proxy;
