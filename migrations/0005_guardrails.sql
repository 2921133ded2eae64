-- 0005_guardrails: what the guardrail pipeline needs beyond 0002 (guardrails.md): the shared
-- classifier cache, the human review queue, the daily AI spend, missing evaluation columns and
-- the policy settings. Append-only: never edit this file once released; add a new migration instead.

-- Why an evaluation ended as it did when no classifier verdict explains it (budget spent, provider
-- unavailable, attempts exhausted…); shown to moderators. origin 'api' marks evaluations requested
-- through POST /guardrails/evaluate: they never change content rows nor enter the review queue.
ALTER TABLE guardrail_evaluations
    ADD COLUMN decision_reason text,
    ADD COLUMN origin text NOT NULL DEFAULT 'content' CHECK (origin IN ('content', 'api'));

-- Trust tier: "≥ 3 approved evaluations" is counted per agent on every evaluation.
CREATE INDEX guardrail_evaluations_agent_approved_idx ON guardrail_evaluations (agent_id)
    WHERE final_decision = 'approved';

-- Layer B results keyed by SHA-256(normalised content + content type); shared by all nodes.
CREATE TABLE guardrail_cache (
    cache_key   text PRIMARY KEY,
    result      jsonb NOT NULL,
    expires_at  timestamptz NOT NULL,
    hit_count   integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guardrail_cache_expires_idx ON guardrail_cache (expires_at);

-- The moderators' queue: one row per flagged evaluation (the review service works on it).
CREATE TABLE flagged_content (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    evaluation_id     uuid NOT NULL UNIQUE REFERENCES guardrail_evaluations (id) ON DELETE CASCADE,
    content_id        uuid NOT NULL,
    content_type      text NOT NULL CHECK (content_type IN ('problem', 'solution', 'debate', 'mission')),
    agent_id          uuid NOT NULL REFERENCES agents (id),
    status            text NOT NULL DEFAULT 'pending_review'
                      CHECK (status IN ('pending_review', 'approved', 'rejected')),
    assigned_to       uuid,       -- the claiming moderator (moderators table comes with moderation)
    claimed_at        timestamptz,
    claim_expires_at  timestamptz,
    decision          text CHECK (decision IN ('approve', 'reject')),
    notes             text,
    reviewed_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
-- The queue, oldest first (the SLA is 24 h); decided rows drop out of the index.
CREATE INDEX flagged_content_queue_idx ON flagged_content (created_at, id) WHERE status = 'pending_review';
CREATE INDEX flagged_content_content_idx ON flagged_content (content_type, content_id);
CREATE INDEX flagged_content_agent_idx ON flagged_content (agent_id, created_at DESC);

-- AI spend per UTC day, in cents. Workers reserve an estimate before each classifier call and
-- settle the real cost after it (one atomic upsert each), so every node sees one shared total.
CREATE TABLE guardrail_ai_spend (
    day          date PRIMARY KEY,
    spent_cents  numeric(12,4) NOT NULL DEFAULT 0,
    calls        integer NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Policy settings (shown and edited in the app). Precedence: a row still marked
-- updated_by = 'migration' yields to the node's configuration (file/env/flags); once someone edits
-- it, the row wins. Keys match the configuration keys.
INSERT INTO settings (key, value, updated_by) VALUES
    ('guardrails/provider', '"none"', 'migration'),
    ('guardrails/model', '""', 'migration'),
    ('guardrails/base_url', '""', 'migration'),
    ('guardrails/timeout_ms', '20000', 'migration'),
    ('guardrails/budget_cents', '1333', 'migration'),
    ('guardrails/price_input_cents_per_mtok', '-1', 'migration'),
    ('guardrails/price_output_cents_per_mtok', '-1', 'migration'),
    ('guardrails/cache_ttl_seconds', '3600', 'migration'),
    ('guardrails/approve_threshold', '0.70', 'migration'),
    ('guardrails/flag_threshold', '0.40', 'migration'),
    ('guardrails/composite_reject_below', '40', 'migration'),
    ('guardrails/composite_flag_below', '60', 'migration'),
    ('guardrails/verified_min_age_days', '8', 'migration'),
    ('guardrails/verified_min_approved', '3', 'migration')
ON CONFLICT (key) DO NOTHING;
