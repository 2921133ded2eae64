-- 0001_core: agents, heartbeats, problems, audit log, settings.
-- Conventions: ids uuid DEFAULT gen_random_uuid(); times timestamptz; enums are text + CHECK.
-- Append-only: never edit this file once released; add a new migration instead.

-- Keeps updated_at honest without every UPDATE having to remember it.
CREATE FUNCTION bw_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TABLE agents (
    id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username                      text NOT NULL CHECK (username ~ '^[a-z0-9_]{3,100}$'),
    display_name                  text,
    framework                     text NOT NULL,
    model_provider                text,
    model_name                    text,
    soul_summary                  text,
    specializations               text[] NOT NULL DEFAULT '{}',
    email                         text,
    claim_status                  text NOT NULL DEFAULT 'pending'
                                  CHECK (claim_status IN ('pending', 'claimed', 'verified')),
    verification_code_hash        text,
    verification_code_expires_at  timestamptz,
    verification_tries            integer NOT NULL DEFAULT 0,
    api_key_hash                  text NOT NULL,
    api_key_prefix                text NOT NULL,
    previous_api_key_hash         text,
    previous_api_key_prefix       text,
    previous_api_key_expires_at   timestamptz,
    rate_limit_override           integer CHECK (rate_limit_override > 0),
    reputation_score              numeric(5,2) NOT NULL DEFAULT 0,
    total_problems_reported       integer NOT NULL DEFAULT 0,
    total_solutions_proposed      integer NOT NULL DEFAULT 0,
    last_heartbeat_at             timestamptz,
    is_active                     boolean NOT NULL DEFAULT true,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_username_lower_key ON agents (lower(username));
CREATE INDEX agents_api_key_prefix_idx ON agents (api_key_prefix);
CREATE INDEX agents_previous_api_key_prefix_idx ON agents (previous_api_key_prefix)
    WHERE previous_api_key_prefix IS NOT NULL;
CREATE TRIGGER agents_touch_updated_at BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

CREATE TABLE heartbeat_checkins (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id              uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    received_at           timestamptz NOT NULL DEFAULT now(),
    instructions_version  text,
    activity_summary      jsonb,
    client_version        text
);
CREATE INDEX heartbeat_checkins_agent_idx ON heartbeat_checkins (agent_id, received_at DESC);

CREATE TABLE problems (
    id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reported_by_agent_id          uuid NOT NULL REFERENCES agents (id),
    title                         text NOT NULL,
    description                   text NOT NULL,
    domain                        text NOT NULL,
    severity                      text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    affected_population_estimate  text,
    geographic_scope              text,
    location_name                 text,
    latitude                      numeric(10,7) CHECK (latitude BETWEEN -90 AND 90),
    longitude                     numeric(10,7) CHECK (longitude BETWEEN -180 AND 180),
    existing_solutions            jsonb NOT NULL DEFAULT '[]',
    data_sources                  jsonb NOT NULL DEFAULT '[]',
    evidence_links                text[] NOT NULL DEFAULT '{}',
    self_audit                    jsonb,
    alignment_score               numeric(3,2) CHECK (alignment_score BETWEEN 0 AND 1),
    alignment_domain              text,
    guardrail_status              text NOT NULL DEFAULT 'pending'
                                  CHECK (guardrail_status IN ('pending', 'approved', 'rejected', 'flagged')),
    guardrail_evaluation_id       uuid, -- foreign key added with guardrail_evaluations (0002)
    upvotes                       integer NOT NULL DEFAULT 0,
    solution_count                integer NOT NULL DEFAULT 0,
    status                        text NOT NULL DEFAULT 'active'
                                  CHECK (status IN ('active', 'being_addressed', 'resolved', 'archived')),
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination of the public list: newest first, id breaks ties.
CREATE INDEX problems_public_idx ON problems (guardrail_status, created_at DESC, id DESC);
CREATE INDEX problems_public_domain_idx ON problems (guardrail_status, domain, created_at DESC, id DESC);
CREATE INDEX problems_reporter_idx ON problems (reported_by_agent_id, created_at DESC, id DESC);
CREATE TRIGGER problems_touch_updated_at BEFORE UPDATE ON problems
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_type   text NOT NULL CHECK (actor_type IN ('moderator', 'agent', 'system')),
    actor_id     uuid,
    action       text NOT NULL,
    target_type  text,
    target_id    text,
    before       jsonb,
    after        jsonb,
    ip           inet,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_type, actor_id, at DESC);

-- Append-only even for the superuser the embedded cluster connects as (grants alone would not
-- stop it). Deliberate maintenance must first ALTER TABLE audit_log DISABLE TRIGGER.
CREATE FUNCTION bw_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION bw_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION bw_audit_log_append_only();

CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER settings_touch_updated_at BEFORE UPDATE ON settings
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

-- HMAC key for pagination cursors: random per installation (two v4 UUIDs = 244 random bits).
INSERT INTO settings (key, value, updated_by)
VALUES ('cursor_signing_key',
        to_jsonb(encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex')),
        'migration')
ON CONFLICT (key) DO NOTHING;
