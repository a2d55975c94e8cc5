-- Failed logins fold into one row per account, network and clock hour.
--
-- One row per failed login let a stranger bury the log: 80 failed logins an hour reach the 1 000
-- rows a reader is shown in half a day, and push a real intruder's login out of view. Now the
-- failed logins for one account from one network (an IPv4 address, an IPv6 /64) within one clock
-- hour are one row, with how many there were and when the last one was.
--
-- The log stays append-only except for this one fold: the `count` and `last_at` of a folded row
-- grow; nothing else of any row is ever rewritten.

-- How many events the row stands for (1 for every row but a folded one).
ALTER TABLE security_events ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
-- Unix seconds of the latest event the row stands for (`at` is the first). Read as `at` when NULL:
-- a row written, during a rolling upgrade, by a server that doesn't know this column.
ALTER TABLE security_events ADD COLUMN last_at BIGINT;
-- What the row folds under (`login_failed <network> <hour>`), NULL for events that don't fold.
-- Unique with the account: the fold is an upsert, one statement whichever server writes it. NULLs
-- are distinct in a unique index (SQLite and PostgreSQL alike), so other rows never meet.
ALTER TABLE security_events ADD COLUMN fold TEXT;

UPDATE security_events SET last_at = at;

CREATE UNIQUE INDEX security_events_fold ON security_events (user_id, fold);
