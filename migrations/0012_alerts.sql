-- 0012_alerts: alert history and state (AlertEngine, operations.md). One row per alert episode of
-- a rule: pending (condition true, waiting for its `for` duration) → firing → resolved. A pending
-- episode whose condition clears before it fires is deleted (it never was an alert). At most one
-- open (pending or firing) episode per rule, so several evaluating nodes cannot double it.
-- Append-only: never edit this file once released; add a new migration instead.
CREATE TABLE alert_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule             text NOT NULL,                       -- e.g. HighErrorRate
    severity         text NOT NULL CHECK (severity IN ('P1', 'P2', 'P3')),
    state            text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    summary          text NOT NULL,
    value            double precision,                    -- the last evaluated value
    threshold        double precision,
    pending_since    timestamptz NOT NULL DEFAULT now(),
    fired_at         timestamptz,
    resolved_at      timestamptz,
    last_evaluated_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    notifications    jsonb NOT NULL DEFAULT '[]'          -- [{"channel","event","ok","detail","at"}]
);
CREATE UNIQUE INDEX alert_events_open_rule ON alert_events (rule) WHERE state IN ('pending', 'firing');
CREATE INDEX alert_events_recent_idx ON alert_events (pending_since DESC, id DESC);
