-- The mail outbox.
--
-- Every mail is a row written in the same transaction as the change that causes it (a new account,
-- a resend request), so a mail can't be lost between the change and the send, and the HTTP answer
-- never waits for SMTP. A worker claims due rows with a lease, sends, and marks them sent (or
-- reschedules them with backoff). A crashed claim is retried once its lease runs out, so delivery
-- is at-least-once. Bodies hold live links: they are blanked once the mail is sent or given up.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    -- The template: confirm, already_registered, …
    kind            TEXT NOT NULL,
    -- The account the mail concerns (no foreign key: mail about a deleted account still goes).
    -- Per-account throttles (resend) count these rows.
    user_id         TEXT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- Claims so far; incremented at claim time, so a mail that crashes the sender still runs out.
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- Who holds the mail, and until when; an expired lease is free to claim again.
    lease_token     TEXT,
    leased_until    BIGINT,
    sent_at         BIGINT,
    -- Set when the worker gave up after the configured number of attempts.
    failed_at       BIGINT,
    last_error      TEXT
);

-- The worker's question: which mails are due?
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
-- The throttles' question: how many mails of this kind did this account get lately?
CREATE INDEX outbox_user_kind ON outbox (user_id, kind, created_at);
