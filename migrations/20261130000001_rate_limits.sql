-- Rate limits shared by every server.
--
-- Limits held in one process's memory break as soon as two servers share the work (each allows
-- the whole limit) and forget everything on restart. One row per limited subject (a login name,
-- a client address, an account) instead, decided by one atomic upsert on both engines.
--
-- The rule is the generic cell rate algorithm (GCRA): a subject may spend `max` attempts at once,
-- and earns one back every `window / max`. `tat_ms` ("theoretical arrival time", Unix ms) is the
-- only state: an attempt is allowed when `tat_ms <= now + window - window / max`, and then pushes
-- it to `max(tat_ms, now) + window / max`. Once `tat_ms` is in the past the subject is back to a
-- full allowance, so such rows carry nothing and a sweep deletes them.
CREATE TABLE rate_limits (
    -- "<limit name>:<keyed hash of the subject>": no address or login name is stored in clear,
    -- and a key is short whatever a client sends.
    key    TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);

-- The sweep's question: which rows have run out?
CREATE INDEX rate_limits_tat ON rate_limits (tat_ms);
