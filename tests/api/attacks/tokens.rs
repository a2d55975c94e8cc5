//! Attacks on the signed tokens: every purpose presented as every other, forged headers and keys,
//! malformed tokens, tokens dated years ahead, the original Madblog's default secret, and sessions
//! that must be dead. Each goes over HTTP to the real app, and each must leave the accounts as they
//! were.

use super::{
    AccountState, account_state, app_key, forge, hmac_signed, in_path, mails_queued, raw_request, refused, sign,
};
use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, link_in, spawn_app, token_in};
use jsonwebtoken::Algorithm;
use madblog::server::{
    auth::tokens::{AddressClaims, ConfirmClaims, Purpose, ResetClaims, SessionClaims, TokenKeys},
    clock::now,
};
use reqwest::Response;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ALL: [Purpose; 6] = [
    Purpose::Session,
    Purpose::Confirm,
    Purpose::Reset,
    Purpose::EmailChange,
    Purpose::EmailRevert,
    Purpose::SecureAccount,
];
/// The purposes that travel as links, with the token in the path.
const LINKS: [Purpose; 5] =
    [Purpose::Confirm, Purpose::Reset, Purpose::EmailChange, Purpose::EmailRevert, Purpose::SecureAccount];
/// What every refused reset attempt asks for: if one got through, this is the password it set.
const NEW_PASSWORD: &str = "the attacker's own passphrase";
/// The original (Flask) Madblog's fallback `SECRET_KEY`: public, so anything signed with it is
/// forged by definition.
const FLASK_DEFAULT_SECRET: &str = "you-will-never-guess";
const TEN_YEARS: i64 = 10 * 365 * 24 * 3600;
const SECURE_LINK_INVALID: &str = "This link is invalid, has expired, or was already used. If your password has \
                                   changed since the email was sent, the link no longer works: log in, or reset your \
                                   password.";

/// An account and one of its sessions.
struct Victim {
    id: String,
    sid: String,
    session: String,
}

impl Victim {
    fn new(app: &TestApp, session: String) -> Self {
        let claims: SessionClaims = app.state.tokens.verify(Purpose::Session, &session).expect("a live session");
        Self { id: claims.sub, sid: claims.sid, session }
    }
}

/// One token presented at the endpoint of one purpose.
struct Attempt {
    target: Purpose,
    what: String,
    token: String,
}

impl Attempt {
    fn new(target: Purpose, what: impl std::fmt::Display, token: String) -> Self {
        Self { target, what: format!("{what}, presented where {} is expected", name(target)), token }
    }
}

fn name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Session => "a session token",
        Purpose::Confirm => "a confirm token",
        Purpose::Reset => "a reset token",
        Purpose::EmailChange => "an email-change token",
        Purpose::EmailRevert => "an email-revert token",
        Purpose::SecureAccount => "a secure-account token",
    }
}

struct Answer {
    attempt: Attempt,
    response: Response,
    took: Duration,
}

/// One app with an account behind every endpoint a token opens: confirming needs an unconfirmed
/// account, changing the address a confirmed one; the rest take either (the confirmed one here).
struct Range {
    app: TestApp,
    unconfirmed: Victim,
    confirmed: Victim,
}

/// Everything the attacks could change: both accounts, and the mail queue (an attack that got
/// through would have mailed someone).
type RangeState = (AccountState, AccountState, i64);

impl Range {
    async fn open() -> Self {
        Self::open_with(TestAppBuilder::default()).await
    }

    async fn open_with(builder: TestAppBuilder) -> Self {
        let app = builder.spawn().await;
        let unconfirmed = app.registered_user("una").await;
        let confirmed = app.confirmed_user("cole").await;
        let (unconfirmed, confirmed) = (Victim::new(&app, unconfirmed), Victim::new(&app, confirmed));
        Self { app, unconfirmed, confirmed }
    }

    fn victim(&self, target: Purpose) -> &Victim {
        if target == Purpose::Confirm { &self.unconfirmed } else { &self.confirmed }
    }

    fn key(&self, purpose: Purpose) -> Vec<u8> {
        app_key(&self.app, purpose)
    }

    /// The claims a `purpose` token for `victim` carries when the app makes it now: presented at
    /// that purpose's endpoint, signed with that purpose's key, they would be honoured.
    async fn claims(&self, purpose: Purpose, victim: &Victim) -> Value {
        let row = madblog::server::db::users::find_by_id(&self.app.state.pool, &victim.id).await.unwrap().unwrap();
        let (typ, iat, exp) = (purpose.typ(), now(), now() + 600);
        match purpose {
            Purpose::Session => json!({"sub": row.id, "sid": victim.sid, "name": row.username,
                "confirmed": row.confirmed, "ver": row.session_version, "typ": typ, "iat": iat, "exp": exp}),
            Purpose::Confirm => json!({"sub": row.id, "email": row.email, "typ": typ, "iat": iat, "exp": exp}),
            Purpose::Reset => json!({"sub": row.id, "email": row.email,
                "pwd": self.app.state.tokens.password_fingerprint(&row.password_hash), "typ": typ, "iat": iat, "exp": exp}),
            Purpose::EmailChange => json!({"sub": row.id, "email": format!("{}.moved@example.org", row.username),
                "ev": row.email_version, "pwd": self.app.state.tokens.password_fingerprint(&row.password_hash),
                "typ": typ, "iat": iat, "exp": exp}),
            Purpose::EmailRevert => {
                let (ev, email) = self.revertible_change(&row).await;
                json!({"sub": row.id, "email": email, "ev": ev, "typ": typ, "iat": iat, "exp": exp})
            }
            Purpose::SecureAccount => json!({"sub": row.id, "email": row.email,
                "pwd": self.app.state.tokens.password_fingerprint(&row.password_hash), "typ": typ, "iat": iat, "exp": exp}),
        }
    }

    /// The account's earliest change that a revert link could still undo (its version and the
    /// address it gave up), made up here (a hold of the address it has) when it has none.
    async fn revertible_change(&self, row: &madblog::server::db::users::UserRow) -> (i64, String) {
        if let Some(change) = self.earliest_change(&row.id).await {
            return change;
        }
        let (key, until) = (row.email.to_lowercase(), now() + 600);
        madblog::server::db::address_holds::hold(&self.app.state.pool, &row.id, row.email_version, &key, until)
            .await
            .unwrap();
        (row.email_version, key)
    }

    async fn earliest_change(&self, user_id: &str) -> Option<(i64, String)> {
        sqlx::query_as("SELECT version, email_key FROM address_holds WHERE user_id = $1 ORDER BY version LIMIT 1")
            .bind(user_id)
            .fetch_optional(&self.app.state.pool)
            .await
            .unwrap()
    }

    /// The claims the endpoint of `target` would honour, for the account behind it.
    async fn target_claims(&self, target: Purpose) -> Value {
        self.claims(target, self.victim(target)).await
    }

    /// For every endpoint, the tokens `make` forges from that purpose's real key and the claims
    /// it would honour.
    async fn at_every_endpoint(&self, make: impl Fn(Purpose, &[u8], &Value) -> Vec<(String, String)>) -> Vec<Attempt> {
        let mut attempts = Vec::new();
        for target in ALL {
            let claims = self.target_claims(target).await;
            let made = make(target, &self.key(target), &claims);
            attempts.extend(made.into_iter().map(|(what, token)| Attempt::new(target, what, token)));
        }
        attempts
    }

    /// Sends `token` where a `target` token is expected, the way the app's own pages do.
    async fn present(&self, target: Purpose, token: &str) -> Response {
        let (app, segment) = (&self.app, in_path(token));
        let request = match target {
            Purpose::Session => app.client.get(app.url("/api/users/me")).bearer_auth(token),
            Purpose::Confirm => {
                app.client.get(app.url(&format!("/api/confirm/{segment}"))).bearer_auth(&self.unconfirmed.session)
            }
            Purpose::Reset => app
                .client
                .post(app.url(&format!("/api/reset-password/{segment}")))
                .json(&json!({ "password": NEW_PASSWORD })),
            Purpose::EmailChange => app
                .client
                .post(app.url(&format!("/api/confirm-email-change/{segment}")))
                .bearer_auth(&self.confirmed.session),
            Purpose::EmailRevert => {
                // What the owner types: the address the confirmed account's earliest revert restores.
                let old = self.earliest_change(&self.confirmed.id).await.map(|(_, email)| email);
                let email = old.unwrap_or_else(|| "cole@example.com".to_owned());
                app.client
                    .post(app.url(&format!("/api/revert-email-change/{segment}")))
                    .json(&json!({ "email": email }))
            }
            Purpose::SecureAccount => {
                // What the owner types: the confirmed account's address of the moment.
                let row = madblog::server::db::users::find_by_id(&app.state.pool, &self.confirmed.id).await.unwrap();
                let email = row.expect("the account exists").email;
                app.client.post(app.url(&format!("/api/secure-account/{segment}"))).json(&json!({ "email": email }))
            }
        };
        request.send().await.expect("request")
    }

    /// [`Range::present`] for a link, written by hand: for a path no HTTP client will build.
    async fn present_raw(&self, target: Purpose, token: &str) -> (u16, String) {
        let (bearer, path) = match target {
            Purpose::Confirm => (Some(&self.unconfirmed.session), format!("GET /api/confirm/{token}")),
            Purpose::Reset => (None, format!("POST /api/reset-password/{token}")),
            Purpose::EmailChange => (Some(&self.confirmed.session), format!("POST /api/confirm-email-change/{token}")),
            Purpose::EmailRevert => (None, format!("POST /api/revert-email-change/{token}")),
            Purpose::SecureAccount => (None, format!("POST /api/secure-account/{token}")),
            Purpose::Session => unreachable!("a session travels in a header"),
        };
        let mut head = format!("{path} HTTP/1.1\r\nContent-Type: application/json");
        if let Some(session) = bearer {
            head.push_str(&format!("\r\nAuthorization: Bearer {session}"));
        }
        raw_request(&self.app, &head, json!({ "password": NEW_PASSWORD }).to_string().as_bytes()).await
    }

    async fn present_all(&self, attempts: Vec<Attempt>) -> Vec<Answer> {
        let mut answers = Vec::new();
        for attempt in attempts {
            let started = Instant::now();
            let response = self.present(attempt.target, &attempt.token).await;
            answers.push(Answer { attempt, response, took: started.elapsed() });
        }
        answers
    }

    /// Presents every attempt and checks that each was refused with the right answer, that
    /// nothing changed, and that genuine tokens still work (or a refusal for some other reason
    /// would pass for this one).
    async fn refuses_all(&self, attempts: Vec<Attempt>) {
        let before = self.state().await;
        let answers = self.present_all(attempts).await;
        assert_refused(answers).await;
        assert_eq!(self.state().await, before, "an attempt changed something");
        self.assert_genuine_tokens_still_work().await;
    }

    async fn state(&self) -> RangeState {
        let unconfirmed = account_state(&self.app, &self.unconfirmed.id).await;
        (unconfirmed, account_state(&self.app, &self.confirmed.id).await, mails_queued(&self.app).await)
    }

    /// The proof that the refusals were for the token and nothing else: with the same account,
    /// session and request, a token made right is honoured at every endpoint. In this order, since
    /// a reset ends the confirmed account's session.
    async fn assert_genuine_tokens_still_work(&self) {
        for target in [
            Purpose::Session,
            Purpose::Confirm,
            Purpose::EmailChange,
            Purpose::Reset,
            Purpose::EmailRevert,
            Purpose::SecureAccount,
        ] {
            self.assert_genuine_token_works(target).await;
        }
    }

    /// Signed here with the key as this suite derives it, which checks the derivation too.
    async fn assert_genuine_token_works(&self, target: Purpose) {
        let token = sign(&self.key(target), Algorithm::HS256, &self.target_claims(target).await);
        let response = self.present(target, &token).await;
        let status = response.status();
        assert_eq!(status, 200, "control: a genuine {} token: {}", target.typ(), response.text().await.unwrap());
    }
}

/// The refusal every endpoint gives a bad token: 401 for a session, 400 and the link's own words
/// for a link; always the JSON error shape.
async fn assert_refused(answers: Vec<Answer>) {
    for Answer { attempt, response, .. } in answers {
        let what = attempt.what;
        let (status, message) = match attempt.target {
            Purpose::Session => (401, None),
            Purpose::Confirm => (400, Some("The confirmation link is invalid or has expired.")),
            Purpose::Reset => (400, Some("The reset password link is invalid or has expired.")),
            Purpose::EmailChange => {
                (400, Some("This link to change your address is invalid, has expired, or was already used."))
            }
            Purpose::EmailRevert => (400, Some("This undo link is invalid, has expired, or was already used.")),
            Purpose::SecureAccount => (400, Some(SECURE_LINK_INVALID)),
        };
        let body = refused(response, status, &what).await;
        match message {
            None => assert_eq!(body["error"], "Unauthorized", "{what}: {body}"),
            Some(message) => assert_eq!(body["message"], message, "{what}: {body}"),
        }
    }
}

/// Signs `claims` with `keys` the way the app does, as the claim type of `purpose`.
fn sign_as_the_app(keys: &TokenKeys, purpose: Purpose, claims: Value) -> String {
    match purpose {
        Purpose::Session => keys.sign(purpose, &serde_json::from_value::<SessionClaims>(claims).unwrap()),
        Purpose::Confirm => keys.sign(purpose, &serde_json::from_value::<ConfirmClaims>(claims).unwrap()),
        Purpose::Reset | Purpose::SecureAccount => {
            keys.sign(purpose, &serde_json::from_value::<ResetClaims>(claims).unwrap())
        }
        Purpose::EmailChange | Purpose::EmailRevert => {
            keys.sign(purpose, &serde_json::from_value::<AddressClaims>(claims).unwrap())
        }
    }
}

fn with(mut claims: Value, key: &str, value: impl Into<Value>) -> Value {
    claims[key] = value.into();
    claims
}

/// A genuine token of purpose `source`, made by the app's own signer, presented where a `target`
/// token is expected; then the two stronger forms of the same swap, which each leave only one of
/// the two locks standing: a `source` token carrying exactly what `target` wants (only the key
/// separation stops it), and a token under `target`'s own key that still says `source` (only the
/// `typ` check stops it).
async fn swap(source: Purpose, target: Purpose) {
    let range = Range::open().await;
    let victim = range.victim(target);
    let genuine = sign_as_the_app(&range.app.state.tokens, source, range.claims(source, victim).await);
    let wanted = range.target_claims(target).await;
    let dressed = sign(&range.key(source), Algorithm::HS256, &wanted);
    let relabelled = sign(&range.key(target), Algorithm::HS256, &with(wanted, "typ", source.typ()));
    let attempts = vec![
        Attempt::new(target, format!("{}, genuine", name(source)), genuine),
        Attempt::new(target, format!("{} carrying every claim the target wants", name(source)), dressed),
        Attempt::new(target, format!("the target's key on a token typed {}", source.typ()), relabelled),
    ];
    let before = range.state().await;

    let answers = range.present_all(attempts).await;

    assert_refused(answers).await;
    assert_eq!(range.state().await, before, "{} used as another changed something", name(source));
    range.assert_genuine_token_works(target).await;
}

/// Every purpose used as every other: 30 ordered pairs, one test each.
mod swaps {
    use super::swap;
    use madblog::server::auth::tokens::Purpose::*;

    macro_rules! swaps {
        ($($name:ident: $source:ident => $target:ident;)*) => {$(
            #[tokio::test]
            async fn $name() {
                swap($source, $target).await;
            }
        )*};
    }

    swaps! {
        a_confirm_token_is_refused_as_a_session: Confirm => Session;
        a_reset_token_is_refused_as_a_session: Reset => Session;
        an_email_change_token_is_refused_as_a_session: EmailChange => Session;
        an_email_revert_token_is_refused_as_a_session: EmailRevert => Session;
        a_session_token_is_refused_as_a_confirm_link: Session => Confirm;
        a_reset_token_is_refused_as_a_confirm_link: Reset => Confirm;
        an_email_change_token_is_refused_as_a_confirm_link: EmailChange => Confirm;
        an_email_revert_token_is_refused_as_a_confirm_link: EmailRevert => Confirm;
        a_session_token_is_refused_as_a_reset_link: Session => Reset;
        a_confirm_token_is_refused_as_a_reset_link: Confirm => Reset;
        an_email_change_token_is_refused_as_a_reset_link: EmailChange => Reset;
        an_email_revert_token_is_refused_as_a_reset_link: EmailRevert => Reset;
        a_session_token_is_refused_as_an_email_change_link: Session => EmailChange;
        a_confirm_token_is_refused_as_an_email_change_link: Confirm => EmailChange;
        a_reset_token_is_refused_as_an_email_change_link: Reset => EmailChange;
        an_email_revert_token_is_refused_as_an_email_change_link: EmailRevert => EmailChange;
        a_session_token_is_refused_as_an_email_revert_link: Session => EmailRevert;
        a_confirm_token_is_refused_as_an_email_revert_link: Confirm => EmailRevert;
        a_reset_token_is_refused_as_an_email_revert_link: Reset => EmailRevert;
        an_email_change_token_is_refused_as_an_email_revert_link: EmailChange => EmailRevert;
        a_secure_account_token_is_refused_as_a_session: SecureAccount => Session;
        a_secure_account_token_is_refused_as_a_confirm_link: SecureAccount => Confirm;
        a_secure_account_token_is_refused_as_a_reset_link: SecureAccount => Reset;
        a_secure_account_token_is_refused_as_an_email_change_link: SecureAccount => EmailChange;
        a_secure_account_token_is_refused_as_an_email_revert_link: SecureAccount => EmailRevert;
        a_session_token_is_refused_as_a_secure_account_link: Session => SecureAccount;
        a_confirm_token_is_refused_as_a_secure_account_link: Confirm => SecureAccount;
        a_reset_token_is_refused_as_a_secure_account_link: Reset => SecureAccount;
        an_email_change_token_is_refused_as_a_secure_account_link: EmailChange => SecureAccount;
        an_email_revert_token_is_refused_as_a_secure_account_link: EmailRevert => SecureAccount;
    }
}

/// Headers that lie about the algorithm, and keys that aren't the purpose's own.
mod headers {
    use super::*;

    /// Bytes shaped like an RSA public key in PEM, as a verifier that trusted the header would load
    /// one; made up here, since a key-confusion attack only needs the verifier's idea of the key.
    fn public_key_pem() -> Vec<u8> {
        use base64::Engine;
        let der: Vec<u8> = (0..=293u32).map(|i| (i * 37 % 251) as u8).collect();
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n")).into_bytes()
    }

    #[tokio::test]
    async fn alg_none_is_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, key, claims| {
                let genuine = sign(key, Algorithm::HS256, claims);
                let mut made = Vec::new();
                for alg in ["none", "None", "NONE", "nOnE"] {
                    let header = json!({"alg": alg, "typ": "JWT"});
                    let unsigned = forge(&header, claims, b"");
                    made.push((format!("alg {alg}, empty signature"), unsigned.clone()));
                    made.push((format!("alg {alg}, no signature segment"), unsigned.trim_end_matches('.').to_owned()));
                }
                let signature = genuine.rsplit('.').next().unwrap();
                let none_header = forge(&json!({"alg": "none"}), claims, b"");
                made.push(("alg none, with the genuine signature".into(), format!("{none_header}{signature}")));
                made
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn hs512_and_hs384_signed_with_the_real_key_are_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, key, claims| {
                vec![
                    ("HS512 with the purpose's real key".into(), sign(key, Algorithm::HS512, claims)),
                    ("HS384 with the purpose's real key".into(), sign(key, Algorithm::HS384, claims)),
                ]
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn an_rs256_header_is_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, key, claims| {
                let header = json!({"alg": "RS256", "typ": "JWT"});
                let genuine = sign(key, Algorithm::HS256, claims);
                let signature = genuine.rsplit('.').next().unwrap();
                let relabelled = forge(&header, claims, b"");
                vec![
                    ("RS256 with a 2048-bit junk signature".into(), forge(&header, claims, &[0x5a; 256])),
                    ("RS256 over the genuine HS256 signature".into(), format!("{relabelled}{signature}")),
                ]
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn asymmetric_headers_hmac_signed_with_public_key_bytes_are_refused_everywhere() {
        let range = Range::open().await;
        let pem = public_key_pem();
        let attempts = range
            .at_every_endpoint(|_, _, claims| {
                ["RS256", "ES256", "PS256", "EdDSA", "HS256"]
                    .into_iter()
                    .map(|alg| {
                        let token = hmac_signed(&json!({"alg": alg, "typ": "JWT"}), claims, &pem);
                        (format!("{alg} header, HMAC-signed with public-key bytes"), token)
                    })
                    .collect()
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn hs256_signed_with_another_purposes_key_is_refused_everywhere() {
        let range = Range::open().await;
        let keys: Vec<(Purpose, Vec<u8>)> = ALL.into_iter().map(|p| (p, range.key(p))).collect();
        let attempts = range
            .at_every_endpoint(|target, _, claims| {
                keys.iter()
                    .filter(|(purpose, _)| *purpose != target)
                    .map(|(purpose, key)| {
                        (format!("signed with the {} key", purpose.typ()), sign(key, Algorithm::HS256, claims))
                    })
                    .collect()
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn hs256_signed_with_the_keys_of_another_secret_key_is_refused_everywhere() {
        let range = Range::open().await;
        let other_deployment = TokenKeys::from_secret(b"another deployment's SECRET_KEY, just as long and random");
        let raw_secret = range.app.state.settings.secret_key.expose().as_bytes().to_vec();
        let attempts = range
            .at_every_endpoint(|target, _, claims| {
                vec![
                    ("made by another deployment".into(), sign_as_the_app(&other_deployment, target, claims.clone())),
                    // The seed signed with SECRET_KEY itself; here it is only ever a root for derivation.
                    ("signed with this app's SECRET_KEY itself".into(), sign(&raw_secret, Algorithm::HS256, claims)),
                ]
            })
            .await;
        range.refuses_all(attempts).await;
    }
}

/// Tokens of the wrong shape: cut short, empty, huge, not base64, too many segments.
mod shape {
    use super::*;

    #[tokio::test]
    async fn a_truncated_token_is_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, key, claims| {
                let token = sign(key, Algorithm::HS256, claims);
                let (unsigned, _) = token.rsplit_once('.').unwrap();
                let header = unsigned.split('.').next().unwrap();
                vec![
                    ("the last character dropped".into(), token[..token.len() - 1].to_owned()),
                    ("the last ten characters dropped".into(), token[..token.len() - 10].to_owned()),
                    ("the signature dropped, dot kept".into(), format!("{unsigned}.")),
                    ("the signature dropped".into(), unsigned.to_owned()),
                    ("the header alone".into(), header.to_owned()),
                    ("cut in the middle of the claims".into(), token[..header.len() + 20].to_owned()),
                ]
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn an_empty_bearer_token_is_refused() {
        let range = Range::open().await;
        let app = &range.app;
        let headers = ["Bearer ", "Bearer", "Bearer     ", "bearer\t", ""];
        let before = range.state().await;

        let mut answers = Vec::new();
        for header in headers {
            let response = app.client.get(app.url("/api/users/me")).header("Authorization", header).send().await;
            answers.push((format!("Authorization: {header:?}"), response.unwrap()));
        }
        answers.push(("no Authorization".into(), app.client.get(app.url("/api/users/me")).send().await.unwrap()));

        for (what, response) in answers {
            let body = refused(response, 401, &what).await;
            assert_eq!(body["error"], "Unauthorized", "{what}");
        }
        assert_eq!(range.state().await, before);
    }

    #[tokio::test]
    async fn an_empty_link_token_is_refused() {
        let range = Range::open().await;
        let before = range.state().await;
        let blank = LINKS.map(|target| Attempt::new(target, "a token of spaces", "   ".into()));

        let mut empty = Vec::new();
        for target in LINKS {
            empty.push((target, range.present(target, "").await));
        }
        let blank = range.present_all(blank.into()).await;

        // No token, no route: the path names no link at all.
        for (target, response) in empty {
            refused(response, 404, &format!("an empty {} link", target.typ())).await;
        }
        assert_refused(blank).await;
        assert_eq!(range.state().await, before);
        range.assert_genuine_tokens_still_work().await;
    }

    /// As big as a token gets: 100 KiB of one letter, and a token of that size with every part in
    /// place but the signature.
    fn huge_tokens(claims: &Value, size: usize) -> Vec<(String, String)> {
        // Base64 turns 3 bytes into 4: this much padding makes a token of about `size`.
        let padded = with(claims.clone(), "pad", "x".repeat(size * 3 / 4));
        let shaped = forge(&json!({"alg": "HS256", "typ": "JWT"}), &padded, &[7; 32]);
        vec![
            (format!("{} KiB of one letter", size / 1024), "a".repeat(size)),
            (format!("a {} KiB token with a forged signature", shaped.len() / 1024), shaped),
        ]
    }

    #[tokio::test]
    async fn a_100_kib_session_token_is_refused_quickly_with_a_json_error() {
        let range = Range::open().await;
        let attempts =
            range
                .at_every_endpoint(|target, _, claims| {
                    if target == Purpose::Session { huge_tokens(claims, 100 * 1024) } else { Vec::new() }
                })
                .await;
        let before = range.state().await;

        let answers = range.present_all(attempts).await;

        for answer in &answers {
            assert!(answer.took < Duration::from_secs(3), "{}: took {:?}", answer.attempt.what, answer.took);
        }
        assert_refused(answers).await;
        assert_eq!(range.state().await, before);
        range.assert_genuine_token_works(Purpose::Session).await;
    }

    #[tokio::test]
    async fn a_100_kib_link_token_is_refused_quickly() {
        let range = Range::open().await;
        // A URI carries at most 64 KiB (the `http` crate's limit, and hyper's): the biggest link
        // token that can reach the app at all is a little less.
        let reaching = range
            .at_every_endpoint(
                |target, _, claims| {
                    if target == Purpose::Session { Vec::new() } else { huge_tokens(claims, 60 * 1024) }
                },
            )
            .await;
        let too_long: Vec<(Purpose, String)> =
            LINKS.into_iter().map(|target| (target, "a".repeat(100 * 1024))).collect();
        let before = range.state().await;

        let answers = range.present_all(reaching).await;
        let mut raw_answers = Vec::new();
        for (target, token) in &too_long {
            let started = Instant::now();
            raw_answers.push((*target, range.present_raw(*target, token).await, started.elapsed()));
        }

        for answer in &answers {
            assert!(answer.took < Duration::from_secs(3), "{}: took {:?}", answer.attempt.what, answer.took);
        }
        assert_refused(answers).await;
        // hyper answers these itself, before any handler: 414 with an empty body, not JSON.
        for (target, (status, answer), took) in raw_answers {
            assert_eq!(status, 414, "a 100 KiB {} link: {answer}", target.typ());
            assert!(took < Duration::from_secs(3), "a 100 KiB {} link: took {took:?}", target.typ());
        }
        assert_eq!(range.state().await, before);
        range.assert_genuine_tokens_still_work().await;
    }

    #[tokio::test]
    async fn garbage_base64_is_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, key, claims| {
                use base64::Engine;
                let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
                let token = sign(key, Algorithm::HS256, claims);
                let parts: Vec<&str> = token.split('.').collect();
                let padded = parts.iter().map(|p| format!("{p}==")).collect::<Vec<_>>().join(".");
                vec![
                    ("three segments of punctuation".into(), "!!!!.####.$$$$".into()),
                    ("not base64 in the claims".into(), format!("{}.*&^%$#@!.{}", parts[0], parts[2])),
                    ("a header that is not JSON".into(), format!("{}.{}.{}", b64("hello"), parts[1], parts[2])),
                    ("claims that are a JSON array".into(), format!("{}.{}.{}", parts[0], b64("[1,2,3]"), parts[2])),
                    ("claims that are not JSON".into(), format!("{}.{}.{}", parts[0], b64("{\"sub\":"), parts[2])),
                    ("padded base64".into(), padded),
                    ("a signature that is not base64".into(), format!("{}.{}.~~~~", parts[0], parts[1])),
                    ("a short word".into(), "garbage".into()),
                ]
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn extra_segments_are_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, key, claims| {
                let token = sign(key, Algorithm::HS256, claims);
                let parts: Vec<&str> = token.split('.').collect();
                vec![
                    ("a fourth segment".into(), format!("{token}.e30")),
                    ("a trailing dot".into(), format!("{token}.")),
                    ("the signature twice".into(), format!("{token}.{}", parts[2])),
                    (
                        "five segments, like an encrypted token".into(),
                        format!("{}..{}.{}.", parts[0], parts[1], parts[2]),
                    ),
                    ("an empty segment in the middle".into(), format!("{}..{}.{}", parts[0], parts[1], parts[2])),
                    ("two tokens joined".into(), format!("{token}.{token}")),
                ]
            })
            .await;
        range.refuses_all(attempts).await;
    }
}

/// Tokens dated in the future: signed with the real key, but no clock of ours made them.
mod issued_ahead {
    use super::*;

    #[tokio::test]
    async fn a_session_token_issued_ten_years_ahead_is_refused() {
        let range = Range::open().await;
        let key = range.key(Purpose::Session);
        let claims = range.target_claims(Purpose::Session).await;
        let ahead = now() + TEN_YEARS;
        let from_the_future =
            sign(&key, Algorithm::HS256, &with(with(claims.clone(), "iat", ahead), "exp", ahead + 900));
        let skewed = sign(&key, Algorithm::HS256, &with(with(claims, "iat", now() + 30), "exp", now() + 930));
        let attempt = Attempt::new(Purpose::Session, "issued ten years ahead", from_the_future);

        let answers = range.present_all(vec![attempt]).await;
        let from_a_clock_slightly_ahead = range.present(Purpose::Session, &skewed).await;

        assert_refused(answers).await;
        // Another server's clock a little ahead is no attack: its tokens work here.
        assert_eq!(from_a_clock_slightly_ahead.status(), 200);
    }

    #[tokio::test]
    async fn link_tokens_issued_ten_years_ahead_are_refused() {
        let range = Range::open().await;
        let ahead = now() + TEN_YEARS;
        let attempts = range
            .at_every_endpoint(|target, key, claims| {
                if target == Purpose::Session {
                    return Vec::new();
                }
                let claims = with(with(claims.clone(), "iat", ahead), "exp", ahead + 600);
                vec![("issued ten years ahead".into(), sign(key, Algorithm::HS256, &claims))]
            })
            .await;
        range.refuses_all(attempts).await;
    }
}

/// The original Madblog's default `SECRET_KEY`, which anyone can read in its source.
mod default_secret {
    use super::*;

    #[tokio::test]
    async fn a_token_signed_with_the_flask_default_secret_is_refused_everywhere() {
        let range = Range::open().await;
        let attempts = range
            .at_every_endpoint(|_, _, claims| {
                vec![(
                    "HS256 with the Flask default secret".into(),
                    sign(FLASK_DEFAULT_SECRET.as_bytes(), Algorithm::HS256, claims),
                )]
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn a_token_from_keys_derived_from_the_flask_default_secret_is_refused_everywhere() {
        let range = Range::open().await;
        let flask_keys = TokenKeys::from_secret(FLASK_DEFAULT_SECRET.as_bytes());
        let attempts = range
            .at_every_endpoint(|target, _, claims| {
                vec![(
                    "made by keys derived from the Flask default secret".into(),
                    sign_as_the_app(&flask_keys, target, claims.clone()),
                )]
            })
            .await;
        range.refuses_all(attempts).await;
    }

    #[tokio::test]
    async fn no_server_starts_on_the_flask_default_secret_in_any_environment() {
        // Anyone who has read the seed can sign with it: refused in development too, where a
        // short secret is otherwise only warned about.
        for env in ["production", "development"] {
            let dir = tempfile::tempdir().unwrap();
            let server = tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("NO_COLOR", "1")
                .env("APP_ENV", env)
                .env("SECRET_KEY", FLASK_DEFAULT_SECRET)
                .env("APP_URL", "https://blog.example.com")
                .env("DATA_DIR", dir.path())
                .env("DATABASE_URL", format!("sqlite://{}/madblog.db?mode=rwc", dir.path().display()))
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", crate::helpers::free_port()))
                .kill_on_drop(true)
                .output();

            let out = tokio::time::timeout(Duration::from_secs(60), server).await.expect("it stops instead of serving");

            let out = out.unwrap();
            let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!out.status.success(), "{env}: it started: {stdout}{stderr}");
            assert!(stderr.contains("SECRET_KEY is a published example value"), "{env}: {stderr}");
            assert!(
                !stderr.contains(FLASK_DEFAULT_SECRET) && !stdout.contains(FLASK_DEFAULT_SECRET),
                "{env}: the secret is echoed"
            );
        }
    }
}

/// Sessions that ended one way or another, and must stay ended.
mod dead_sessions {
    use super::*;
    use madblog::{i18n::Locale, server::db::users};

    const NEW_PASSWORD: &str = "the owner's new passphrase";

    /// Tries `session` on a read and on a write; both must be 401, and the write must not land.
    async fn assert_dead(app: &TestApp, session: &str, user_id: &str, what: &str) {
        let read = app.me(session).await;
        let write = app
            .client
            .put(app.url("/api/users/me/language"))
            .bearer_auth(session)
            .json(&json!({ "language": "zh-CN" }))
            .send()
            .await
            .unwrap();

        for (response, call) in [(read, "GET /api/users/me"), (write, "PUT /api/users/me/language")] {
            let body = refused(response, 401, &format!("{what}: {call}")).await;
            assert_eq!(body["error"], "Unauthorized", "{what}: {call}");
        }
        if let Some(row) = users::find_by_id(&app.state.pool, user_id).await.unwrap() {
            assert_eq!(row.locale, Locale::En, "{what}: the dead session's write landed");
        }
    }

    fn user_id(app: &TestApp, session: &str) -> String {
        app.state.tokens.verify::<SessionClaims>(Purpose::Session, session).unwrap().sub
    }

    async fn link_to(app: &TestApp, email: &str, subject: &str) -> String {
        token_in(&link_in(&app.smtp.wait_for_subject(email, subject).await))
    }

    #[tokio::test]
    async fn a_session_is_dead_after_logout() {
        let app = spawn_app().await;
        let session = app.confirmed_user("lou").await;
        let id = user_id(&app, &session);

        let logout = app.client.delete(app.url("/api/tokens")).bearer_auth(&session).send().await.unwrap();

        assert_eq!(logout.status(), 204);
        assert_dead(&app, &session, &id, "after logout").await;
    }

    #[tokio::test]
    async fn a_session_is_dead_after_logout_everywhere_from_another_session() {
        let app = spawn_app().await;
        let laptop = app.confirmed_user("mia").await;
        let phone = app.token("mia", PASSWORD).await;
        let id = user_id(&app, &laptop);

        let everywhere = app.client.post(app.url("/api/logout-all")).bearer_auth(&phone).send().await.unwrap();

        assert_eq!(everywhere.status(), 200);
        assert_dead(&app, &laptop, &id, "after logout-all from another session").await;
        assert_dead(&app, &phone, &id, "the session that logged out everywhere").await;
    }

    #[tokio::test]
    async fn a_session_is_dead_after_a_password_reset() {
        let app = spawn_app().await;
        let session = app.confirmed_user("ned").await;
        let id = user_id(&app, &session);
        let asked = app.post_json("/api/reset-password-request", &json!({ "email": "ned@example.com" })).await;
        assert_eq!(asked.status(), 200);
        let link = link_to(&app, "ned@example.com", "[Madblog] Reset Your Password").await;

        let reset = app.post_json(&format!("/api/reset-password/{link}"), &json!({ "password": NEW_PASSWORD })).await;

        assert_eq!(reset.status(), 200);
        assert_dead(&app, &session, &id, "after a password reset").await;
    }

    #[tokio::test]
    async fn a_session_is_dead_after_a_password_change() {
        let app = spawn_app().await;
        let this_tab = app.confirmed_user("ola").await;
        let other_device = app.token("ola", PASSWORD).await;
        let id = user_id(&app, &this_tab);

        let changed = app
            .client
            .post(app.url("/api/update-password"))
            .bearer_auth(&this_tab)
            .json(&json!({ "old_password": PASSWORD, "new_password": NEW_PASSWORD }))
            .send()
            .await
            .unwrap();

        assert_eq!(changed.status(), 200);
        assert_dead(&app, &other_device, &id, "another device after a password change").await;
        assert_dead(&app, &this_tab, &id, "the changing tab's old token after a password change").await;
    }

    #[tokio::test]
    async fn a_session_is_dead_after_an_email_change_is_reverted() {
        let app = spawn_app().await;
        let session = app.confirmed_user("pia").await;
        let id = user_id(&app, &session);
        let asked = app
            .client
            .post(app.url("/api/change-email"))
            .bearer_auth(&session)
            .json(&json!({ "password": PASSWORD, "new_email": "thief@example.org" }))
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 202);
        let change = link_to(&app, "thief@example.org", "[Madblog] Confirm your new email address").await;
        let url = app.url(&format!("/api/confirm-email-change/{change}"));
        assert_eq!(app.client.post(url).bearer_auth(&session).send().await.unwrap().status(), 200);
        let revert = link_to(&app, "pia@example.com", "[Madblog] Your email address was changed").await;

        let reverted = app
            .client
            .post(app.url(&format!("/api/revert-email-change/{revert}")))
            .json(&json!({ "email": "pia@example.com" }))
            .send()
            .await
            .unwrap();

        assert_eq!(reverted.status(), 200);
        assert_dead(&app, &session, &id, "after an email change was reverted").await;
    }

    #[tokio::test]
    async fn a_session_is_dead_after_it_is_revoked_from_another_device() {
        let app = spawn_app().await;
        let stolen = app.confirmed_user("quy").await;
        let owner = app.token("quy", PASSWORD).await;
        let id = user_id(&app, &stolen);
        let sid = app.state.tokens.verify::<SessionClaims>(Purpose::Session, &stolen).unwrap().sid;

        let revoked =
            app.client.delete(app.url(&format!("/api/sessions/{sid}"))).bearer_auth(&owner).send().await.unwrap();

        assert_eq!(revoked.status(), 204);
        assert_dead(&app, &stolen, &id, "after being revoked from another device").await;
        assert_eq!(app.me(&owner).await.status(), 200, "the revoking session lives on");
    }

    #[tokio::test]
    async fn a_session_is_dead_after_its_account_is_deleted() {
        let app = spawn_app().await;
        let session = app.confirmed_user("ray").await;
        let other = app.token("ray", PASSWORD).await;
        let id = user_id(&app, &session);

        let deleted = app
            .client
            .delete(app.url("/api/users/me"))
            .bearer_auth(&session)
            .json(&json!({ "password": PASSWORD }))
            .send()
            .await
            .unwrap();

        assert_eq!(deleted.status(), 204);
        assert_dead(&app, &session, &id, "after the account was deleted").await;
        assert_dead(&app, &other, &id, "another session of the deleted account").await;
        assert_eq!(app.count_users().await, 0, "a dead session brought nothing back");
    }
}
