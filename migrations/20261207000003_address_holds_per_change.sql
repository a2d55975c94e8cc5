-- The earliest revert link wins (issue "What we promise, kept" §2).
--
-- A hold was one row per address given up, and a revert link worked only while the account was
-- still at the address version its change made. So a thief's second change (A -> B, then B -> C)
-- killed the owner's revert link to A, and the live one went to B, the thief's own address. Now
-- each confirmed change has a row of its own, which is at once the hold on the address given up
-- and the state of the revert link mailed to it: the link (its `ev` is the row's `version`) works
-- while its row is there and unexpired, whatever changed since; using it deletes its row and
-- every later one (their holds and their links), so nothing a later change mailed can undo it.
--
-- A revert locks the password with a marker (`!locked:` and 16 random bytes) instead of a hash of
-- a random password, so `users.password_hash` holds either a PHC string or such a marker, which
-- no password matches.
--
-- A new table, copied and renamed: the key moves from the address to (account, version), which
-- SQLite can't alter in place.
CREATE TABLE address_holds_per_change (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- users.email_version the change made: what its revert link names as `ev`.
    version   BIGINT NOT NULL,
    -- users.email_key of the address given up. An account may give one address up more than once.
    email_key TEXT NOT NULL,
    -- Unix seconds: when the hold and its revert link end.
    until     BIGINT NOT NULL,
    PRIMARY KEY (user_id, version)
);

-- The old rows don't say which change made them. Every hold ends a fixed 7 days after its change,
-- so an account's holds in order of `until` are its changes in order: the newest gets the version
-- the account is at (its link was the one live link under the old rule), the ones before it the
-- versions below. Where no revert or move back came between, those are the versions their links
-- carry, and the owner's overtaken links work again, as the new rule wants. Where one did, the
-- guess is off: the link with that version was mailed to another address (the revert checks the
-- link's address against the row's, so it stays dead, as it was) or, if the account gave one
-- address up twice, to the same mailbox as the row's own link.
INSERT INTO address_holds_per_change (user_id, version, email_key, until)
SELECT h.user_id,
       u.email_version - (
           SELECT COUNT(*) FROM address_holds later
           WHERE later.user_id = h.user_id
             AND (later.until > h.until OR (later.until = h.until AND later.email_key > h.email_key))
       ),
       h.email_key,
       h.until
FROM address_holds h
JOIN users u ON u.id = h.user_id;

DROP TABLE address_holds;
ALTER TABLE address_holds_per_change RENAME TO address_holds;

-- Registration and changes ask whether an address is held for another account.
CREATE INDEX address_holds_email_key ON address_holds (email_key);
