-- Typed codes (issue 10 §3): the 8-digit code a confirmation or reset mail carries next to its
-- link, for confirming on another device and against mail scanners that open links.
--
-- One live code per account and purpose: a newer mail's code replaces the older one (its link
-- still works until it expires). The code is stored only as a keyed hash (HMAC-SHA256 with a key
-- derived from SECRET_KEY): 10^8 codes are a moment's work to brute-force from a plain hash, not
-- without the key. Each guess first takes a try in one atomic UPDATE (`tries < 5`), so however
-- many connections guess at once, at most five guesses are ever compared.
CREATE TABLE action_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- `confirm` or `reset`.
    purpose    TEXT NOT NULL,
    -- base64url of the HMAC of (account, purpose, code).
    code_hash  TEXT NOT NULL,
    tries      BIGINT NOT NULL DEFAULT 0,
    -- Unix seconds: the same instant the link sent with it expires.
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, purpose)
);
