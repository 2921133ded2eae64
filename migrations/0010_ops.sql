-- 0010_ops: catalogue of backups, restores and deployments (operations.md, data-model.md).
-- Append-only: never edit this file once released; add a new migration instead.

-- One row per logical backup file (pg_dump --format=custom). A row is inserted as 'running'
-- before the dump starts and only becomes 'completed' once the file has been renamed from its
-- temporary name and checksummed, so a crash can never leave a half file listed as usable.
CREATE TABLE backups (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL
                    CHECK (kind IN ('daily', 'monthly', 'pre_migration', 'pre_restore', 'manual')),
    status          text NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'completed', 'failed', 'expired', 'deleted')),
    path            text NOT NULL,                    -- final file name (absolute)
    source          text NOT NULL,                    -- redacted URL of the dumped database
    database_name   text NOT NULL,
    size_bytes      bigint,
    sha256          text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    table_counts    jsonb,                            -- {"schema.table": rows} in the dump's snapshot
    server_version  text,
    schema_version  integer,                          -- newest applied migration at dump time
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    duration_ms     bigint,
    verified_at     timestamptz,
    verify_status   text CHECK (verify_status IN ('ok', 'failed')),
    verify_detail   text,
    drilled_at      timestamptz,
    drill_status    text CHECK (drill_status IN ('ok', 'failed')),
    drill_restore_ms bigint,                          -- measured restore time of the last drill
    remote_url      text,                             -- off-site copy (s3://bucket/key)
    remote_verified_at timestamptz,
    expires_at      timestamptz,                      -- retention; NULL = keep
    error           text,
    owner_host      text,                             -- who runs it while 'running' (crash recovery)
    owner_pid       bigint,
    requested_by    text NOT NULL DEFAULT 'system'
);
CREATE INDEX backups_started_idx ON backups (started_at DESC);
CREATE INDEX backups_kind_idx ON backups (kind, started_at DESC) WHERE status = 'completed';
CREATE INDEX backups_expiry_idx ON backups (expires_at) WHERE status = 'completed' AND expires_at IS NOT NULL;

-- One row per restore (from a backup, or to a point in time via the WAL archive).
CREATE TABLE restores (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    backup_id          uuid REFERENCES backups (id) ON DELETE SET NULL,
    target_time        timestamptz,                   -- point-in-time restores
    source_file        text,                          -- a backup file outside the catalogue
    target_database    text NOT NULL,
    safety_backup_id   uuid REFERENCES backups (id) ON DELETE SET NULL,
    requested_by       text NOT NULL,
    steps              jsonb NOT NULL DEFAULT '[]',   -- [{step, at, ms, detail}]
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    outcome            text NOT NULL DEFAULT 'running'
                       CHECK (outcome IN ('running', 'succeeded', 'failed', 'cancelled')),
    error              text,
    measured_rto_ms    bigint,
    CHECK (backup_id IS NOT NULL OR target_time IS NOT NULL OR source_file IS NOT NULL)
);
CREATE INDEX restores_started_idx ON restores (started_at DESC);

-- Where deployments go: a database and the API nodes that must turn ready afterwards.
-- The database password is not stored here but in the secret store ("deploy-<name>-password").
CREATE TABLE deployment_environments (
    name                    text PRIMARY KEY CHECK (name ~ '^[a-z0-9_-]{1,40}$'),
    database_url            text NOT NULL,            -- without password
    node_urls               text[] NOT NULL DEFAULT '{}',
    require_typed_confirmation boolean NOT NULL DEFAULT false,
    ready_timeout_s         integer NOT NULL DEFAULT 120 CHECK (ready_timeout_s BETWEEN 1 AND 3600),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER deployment_environments_touch_updated_at BEFORE UPDATE ON deployment_environments
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

CREATE TABLE deployments (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    environment         text NOT NULL,
    app_version         text NOT NULL,
    migrations_applied  text[] NOT NULL DEFAULT '{}',
    snapshot_backup_id  uuid REFERENCES backups (id) ON DELETE SET NULL,
    requested_by        text NOT NULL,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    duration_ms         bigint,
    outcome             text NOT NULL DEFAULT 'running'
                        CHECK (outcome IN ('running', 'succeeded', 'failed', 'cancelled', 'rolled_back')),
    failed_step         text,
    log                 text NOT NULL DEFAULT '',
    rolled_back_at      timestamptz,
    rollback_restore_id uuid REFERENCES restores (id) ON DELETE SET NULL
);
CREATE INDEX deployments_env_idx ON deployments (environment, started_at DESC);
