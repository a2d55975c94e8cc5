//! `AuthClient`: the browser `fetch` client of server functions, plus the session token.
//!
//! The token lives in localStorage (not a cookie), so the browser never attaches it by itself; this
//! client adds `Authorization: Bearer <token>` to every server-function call, as the seed's axios
//! interceptor did for its REST calls. No cookie means no CSRF surface. It also says which language
//! the reader chose, keeps the renewed token an answer may carry, and forgets a token the server
//! refused.

use leptos::server_fn::{
    client::{Client, browser::BrowserClient},
    error::FromServerFnError,
    request::browser::BrowserRequest,
    response::browser::BrowserResponse,
};
use std::future::Future;

pub struct AuthClient;

impl<E, IS, OS> Client<E, IS, OS> for AuthClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        #[cfg(feature = "hydrate")]
        let sent_token = super::token_store::stored_token();
        #[cfg(feature = "hydrate")]
        {
            if let Some(token) = &sent_token {
                req.headers().set("Authorization", &format!("Bearer {token}"));
            }
            // The reader's language, for what the server keeps or sends (an account's language,
            // its mails); it is the one the page is drawn in.
            req.headers().set("Accept-Language", &page_language());
        }
        let sent = <BrowserClient as Client<E, IS, OS>>::send(req);
        async move {
            let response = sent.await?;
            // A session in use is renewed before its token expires: keep the fresh token.
            #[cfg(feature = "hydrate")]
            if let Some(token) = response
                .generate_headers()
                .get(crate::domain::session::RENEWED_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                super::token_store::renewed(token);
            }
            // The session ended elsewhere (logged out on another device, a password reset, a
            // revert): forget it here too (the store tells the UI).
            #[cfg(feature = "hydrate")]
            if let Some(token) = &sent_token
                && leptos::server_fn::response::ClientRes::<E>::status(&response) == 401
            {
                super::token_store::refused(token);
            }
            Ok(response)
        }
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl futures::Stream<Item = Result<bytes::Bytes, bytes::Bytes>> + Send + 'static,
                impl futures::Sink<bytes::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// The language the page is drawn in: `<html lang>`, which the server writes and the language
/// switcher (`ui::locale`) keeps current.
#[cfg(feature = "hydrate")]
fn page_language() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_else(|| "en".into())
}
