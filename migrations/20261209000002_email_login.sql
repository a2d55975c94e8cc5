-- Sign-in by email (issue 22 items 1-3): one row per flow, whoever's address was typed.
--
-- The mail grants nothing by itself. A flow has two ids: its secret (`flow`), which only the
-- browser that asked ever holds (it is never mailed), and its handle, which the mailed link
-- carries. The session goes only to the holder of the secret, after the mailed code (typed, or read
-- from the link in that browser) or after a person on another device typed the number the asking
-- page shows. So a mail scanner that opens the link, or even types digits into its form, gets no
-- session, and without the number it can't approve one.
--
-- A row is written for an address without an account too (its `user_id` stays NULL), so the answer
-- costs the same statements whoever asks. Each flow has its own code: the one-code-per-account
-- slot of `action_codes` would let a stranger's request replace the code of a flow the owner
-- started. Secrets are stored only as keyed hashes (HMAC with a key derived from SECRET_KEY).
CREATE TABLE email_logins (
    -- The handle: 128 random bits, base64url. Not secret (it is in the mail), but unguessable.
    handle          TEXT PRIMARY KEY,
    -- Keyed hash of the flow secret (256 random bits) the asking browser keeps.
    flow_hash       TEXT NOT NULL UNIQUE,
    -- Keyed hash of the 8-digit code, bound to the handle, the address and the purpose.
    code_hash       TEXT NOT NULL,
    -- Keyed hash of the 4-digit number the asking page shows, bound to the handle.
    number_hash     TEXT NOT NULL,
    -- Keyed hash of the address typed: wrong numbers are counted per address.
    email_hash      TEXT NOT NULL,
    -- The account at that address, set once the mail is queued; NULL when there is none.
    user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- Where and when it was asked for, for the approving page's question ("Signing in on…?").
    ip              TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- Unix seconds: 15 minutes after `created_at`.
    expires_at      BIGINT NOT NULL,
    -- Codes tried (the verify and approve paths together): the fifth wrong one ends the flow.
    tries           BIGINT NOT NULL DEFAULT 0,
    -- `pending`, `approved` (by number, from another device), `done` (its session was handed out,
    -- once) or `ended` (its tries are spent).
    state           TEXT NOT NULL DEFAULT 'pending',
    -- 1 while the flow may still be approved by number; a wrong number sets it to 0 for good. The
    -- browser that asked can still finish with the code: a scanner that types 0000 spends nothing
    -- of the owner's.
    by_number       BIGINT NOT NULL DEFAULT 1,
    -- When a wrong number was typed: three for an address within a day turn approval by number
    -- off for that address for a day.
    wrong_number_at BIGINT
);

-- Wrong numbers per address, and the housekeeping's sweep of old flows.
CREATE INDEX email_logins_email_hash ON email_logins (email_hash);
CREATE INDEX email_logins_expires_at ON email_logins (expires_at);
