-- Device sessions: one row per login, so a person can see where they are logged in and end one
-- session (a lost phone) without ending the others. The session token names its row (`sid`); a
-- token whose row is gone is refused, so deleting the row is logging that device out. Ending every
-- session (a password change or reset, "log out everywhere") still bumps users.session_version,
-- and deletes the rows in the same transaction.
CREATE TABLE sessions (
    -- A random UUID, carried in the token as `sid`.
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    -- Unix seconds, updated at most once a minute, as users.last_seen is.
    last_seen  BIGINT NOT NULL,
    -- The client's address at login (after TRUSTED_PROXIES), to help a person recognise it.
    ip         TEXT NOT NULL,
    -- A short description ("Firefox on Linux"), never the raw header: it is shown, not parsed.
    user_agent TEXT NOT NULL
);

-- Listing and ending an account's sessions.
CREATE INDEX sessions_user ON sessions (user_id);
