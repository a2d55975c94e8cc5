-- Known devices (issue 22 §5): the devices each account has signed in from, so that a sign-in from
-- one it hasn't used in 90 days mails the account. Sessions can't answer that (they are deleted on
-- logout and trimmed), nor can the security log (it is capped and pruned).
--
-- A device is the short user agent ("Firefox on Linux") and the client's network block (the /24
-- of an IPv4 address, the /48 of an IPv6 one). Only a keyed hash of the account, the agent and the
-- block is kept (HMAC-SHA256 with a key derived from SECRET_KEY): the mail names the network from
-- the request it is about, so no address needs to outlive the request, and the table tells nobody
-- where anyone was.
--
-- An account with no row has never signed in since it registered (or since this table came): its
-- first sign-in is remembered without a mail. A new device's row is written in the statement that
-- claims its mail (`last_mailed`), so two sign-ins at once from one device mail once, and no device
-- is mailed about twice in a day. Rows unseen for 90 days are forgotten only when the account next
-- meets a new device, so an account idle for a year still has rows, and its next sign-in from a
-- stranger's device is not mistaken for its first.
CREATE TABLE known_devices (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Hex of the HMAC of (account, short user agent, network block).
    device_key  TEXT NOT NULL,
    -- Unix seconds.
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    -- When the last new-device mail about it was queued; NULL if none ever was (the first sign-in).
    last_mailed BIGINT,
    PRIMARY KEY (user_id, device_key)
);
