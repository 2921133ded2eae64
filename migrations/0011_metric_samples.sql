-- 0011_metric_samples: the dashboards' history (operations.md "Metrics, dashboards, alerts, logs").
-- One row per series per minute: node-local series (request rate, latency quantiles, …) carry the
-- node id that measured them; cluster-wide series (database, queues, business counts) have node ''.
-- Kept 30 days (MetricSampler::prune). About 60 series × 1440 min × 30 days ≈ 2.6 M rows per node.
-- Append-only: never edit this file once released; add a new migration instead.
CREATE TABLE metric_samples (
    at      timestamptz NOT NULL,             -- start of the minute (UTC), date_trunc('minute', …)
    name    text NOT NULL,                    -- e.g. http_request_rate, job_queue_depth
    label   text NOT NULL DEFAULT '',         -- one label value (the queue for per-queue series)
    node    text NOT NULL DEFAULT '',         -- '' = cluster-wide
    value   double precision NOT NULL,
    -- History reads: name = ANY(…) AND at in a range (≤ 24 h), or AND at = one instant per bucket
    -- (longer windows: index probes instead of scanning up to 43 200 rows per series and node).
    PRIMARY KEY (name, at, label, node)
);
-- Retention deletes the oldest minutes; BRIN suits an append-mostly time column (tiny, no page splits).
CREATE INDEX metric_samples_at_brin ON metric_samples USING brin (at);

-- Query latency and slow statements for the Database dashboard come from pg_stat_statements when
-- the server can load it (the embedded cluster preloads it; on an external server it needs the
-- contrib package, shared_preload_libraries and the privilege). Without it the dashboard says so.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
            RAISE NOTICE 'pg_stat_statements not installed: %', SQLERRM;
        END;
    END IF;
END
$$;
