//! Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*: realistic values
//! for the parsers, and tokens of every purpose signed with the corpus key (valid until 2100, and
//! expired ones). Run by hand when a claim type or a rule changes, then minimise the corpus:
//! `cargo run --example seeds && ../scripts/fuzz.sh --grow 60`.

use base64::Engine;
use madblog::server::auth::tokens::{Purpose, TokenKeys};
use madblog_fuzz::{B64, CORPUS_SECRET, HS256_HEADER, PURPOSES, sign_sample};
use std::path::Path;

/// 2100-01-01: the seed tokens stay valid as long as this code can matter.
const FAR: i64 = 4_102_444_800;
/// 2001-09-09: seeds that exercise the expiry path.
const PAST: i64 = 1_000_000_000;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let keys = TokenKeys::from_secret(CORPUS_SECRET);
    let mut written = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed file");
        written += 1;
    };

    let usernames =
        ["alice_1", "  Alice ", "x.y-z", "ab", "a23456789012345678901234567890ab", "_alice", "a@b.c", "аlice"];
    for (i, name) in usernames.iter().enumerate() {
        write("username", &i.to_string(), name.as_bytes());
    }
    let emails = [
        "a@b.co",
        "  Bob.Smith@Example.ORG ",
        "first.last+tag@sub.mail.example.com",
        "x_y-z@xn--80ak6aa92e.com",
        "用户@例子.广告",
        "ΣΟΦΙΑ@ΠΑΡΑΔΕΙΓΜΑ.ΕΛ",
        "kim@STRASSE.DE",
        "a..b@c.com",
        "a@-b.com",
        "<a>@b.com",
        "a@b.com.",
    ];
    for (i, email) in emails.iter().enumerate() {
        write("email", &i.to_string(), email.as_bytes());
    }
    let passwords = ["correct horse battery staple", "  spaced out  ", "Password1", "ключ-из-8", "abc1234", "        "];
    for (i, password) in passwords.iter().enumerate() {
        write("password", &i.to_string(), password.as_bytes());
    }
    write("password", "long", "é".repeat(128).as_bytes());
    for (i, code) in
        ["12345678", "1234 5678", " 1234-5678 ", "1 2 3 4 5 6 7 8", "１２３４５６７８", "1234567"].iter().enumerate()
    {
        write("code", &i.to_string(), code.as_bytes());
    }

    for exp in [FAR, PAST] {
        let when = if exp == FAR { "valid" } else { "expired" };
        for (pick, purpose) in PURPOSES.into_iter().enumerate() {
            let (token, payload) = sign_sample(&keys, purpose, exp - 3600, exp);
            let name = format!("{}-{when}", purpose.typ());
            let pick = [pick as u8];
            write("token_verify", &name, token.as_bytes());
            write("token_claims", &name, &[&pick[..], &payload].concat());
            if exp == FAR && matches!(purpose, Purpose::Session | Purpose::Reset) {
                write("session_decode", &name, token.as_bytes());
                write("session_decode", &format!("{name}-payload"), &payload);
            }
            if exp == FAR && purpose == Purpose::Session {
                // The headers an attacker would try, and a huge token made of a real one.
                for (label, header) in [("none", br#"{"alg":"none"}"#.as_slice()), ("hs512", br#"{"alg":"HS512"}"#)] {
                    let forged = format!("{}.{}.", B64.encode(header), B64.encode(&payload));
                    write("token_verify", &format!("{name}-alg-{label}"), forged.as_bytes());
                    write(
                        "token_claims",
                        &format!("{name}-alg-{label}"),
                        &[&pick[..], header, &[0], &payload].concat(),
                    );
                }
                let kid = br#"{"typ":"JWT","alg":"HS256","kid":"2024"}"#;
                write("token_claims", &format!("{name}-kid"), &[&pick[..], kid, &[0], &payload].concat());
                write("token_verify", &format!("{name}-huge"), &[b"\xff\xfe".as_slice(), token.as_bytes()].concat());
            }
        }
    }
    write("session_decode", "header", HS256_HEADER);
    println!("wrote {written} seeds under {}", root.display());
}
