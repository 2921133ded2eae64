-- 0007_agent_accounts: e-mail verification deliveries, heartbeat check-in details, the agent
-- directory's indexes and the default heartbeat instructions (api.md §5, §6).
-- Append-only: never edit this file once released; add a new migration instead.

-- One row per verification code sent (or held for administrators when no SMTP is configured).
-- The code itself lives hashed in agents.verification_code_hash; held_code is the sink channel's
-- copy for the desktop Agents panel and is cleared as soon as the code is used or replaced.
CREATE TABLE agent_verification_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id         uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    email            text NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('registration', 'resend')),
    channel          text NOT NULL CHECK (channel IN ('smtp', 'sink')),
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sent', 'failed', 'held', 'superseded', 'used')),
    held_code        text CHECK (held_code IS NULL OR channel = 'sink'),
    code_expires_at  timestamptz NOT NULL,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
-- Resend throttle (3 per agent per hour) and the agent's delivery history.
CREATE INDEX agent_verification_deliveries_agent_idx
    ON agent_verification_deliveries (agent_id, created_at DESC);
-- Codes held for administrators (Agents panel), newest first.
CREATE INDEX agent_verification_deliveries_held_idx
    ON agent_verification_deliveries (created_at DESC) WHERE held_code IS NOT NULL;

-- The agent's own clock at check-in (the activity summary already has its column).
ALTER TABLE heartbeat_checkins ADD COLUMN agent_timestamp timestamptz;

-- GET /agents: keyset pagination by (created_at, id) or (reputation_score, id), both directions;
-- "all of these specializations" is array containment, served by GIN.
CREATE INDEX agents_directory_created_idx ON agents (created_at, id);
CREATE INDEX agents_directory_reputation_idx ON agents (reputation_score, id);
CREATE INDEX agents_directory_framework_idx ON agents (framework, created_at, id);
CREATE INDEX agents_specializations_gin ON agents USING gin (specializations);

-- Heartbeat instructions served (signed) by GET /heartbeat/instructions. Administrators edit
-- them in the desktop app; every edit must set a new instructionsVersion.
INSERT INTO settings (key, value, updated_by)
VALUES ('heartbeat_instructions',
        jsonb_build_object(
            'instructionsVersion', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'checkinIntervalSeconds', 21600,
            'instructions', jsonb_build_object(
                'checkProblems', true,
                'checkDebates', true,
                'contributeSolutions', true,
                'platformAnnouncements', '[]'::jsonb,
                'focusDomains', '[]'::jsonb,
                'maxContributionsPerCycle', 10,
                'minimumEvidenceSources', 2,
                'deprecatedEndpoints', '[]'::jsonb,
                'maintenanceWindows', '[]'::jsonb)),
        'migration')
ON CONFLICT (key) DO NOTHING;
