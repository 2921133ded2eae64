-- 0009_rate_limits: the shared fixed-window rate-limit store (api.md §4), so that several server
-- instances on one database enforce one limit together. Append-only: never edit once released.
--
-- One row per bucket key ("agent:<id>", "ip:<addr>", "content:<id>", "registration:<addr>"), not
-- one per request: a hit is a single upsert that bumps count in place (PgRateLimiter).
--   UNLOGGED   counters need not survive a crash (the table is emptied by crash recovery, which
--              forgets at most one window of counts); no WAL per hit, and commits touching only
--              this table do not wait for a WAL flush.
--   fillfactor leaves free space on every page, so the update is HOT: only `key` is indexed and it
--              never changes, so no index entry is added per hit and page pruning reclaims the old
--              row versions without VACUUM. Size follows the number of active keys, not traffic.
-- Windows are computed from the database clock, so nodes with skewed clocks agree on them.
-- Expired rows are deleted in small batches by a periodic sweep (PgRateLimiter::sweep).
CREATE UNLOGGED TABLE rate_limit_counters (
    key            text    PRIMARY KEY,
    window_start   bigint  NOT NULL,          -- epoch seconds, a multiple of window_seconds
    window_seconds integer NOT NULL CHECK (window_seconds > 0),
    count          integer NOT NULL CHECK (count >= 0)
) WITH (fillfactor = 50);
