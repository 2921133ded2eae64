-- 0002_guardrail_queue: guardrail evaluations and the job queue.
-- Append-only: never edit this file once released; add a new migration instead.

CREATE TABLE guardrail_evaluations (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    content_id              uuid NOT NULL,
    content_type            text NOT NULL CHECK (content_type IN ('problem', 'solution', 'debate', 'mission')),
    agent_id                uuid NOT NULL REFERENCES agents (id),
    submitted_content       jsonb NOT NULL,
    layer_a_result          jsonb,
    layer_b_result          jsonb,
    final_decision          text CHECK (final_decision IN ('approved', 'rejected', 'flagged')), -- NULL until done
    alignment_score         numeric(3,2) CHECK (alignment_score BETWEEN 0 AND 1),
    alignment_domain        text,
    cache_hit               boolean NOT NULL DEFAULT false,
    cache_key               text,
    trust_tier              text,
    provider                text,
    cost_cents              numeric(12,4) NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    completed_at            timestamptz,
    evaluation_duration_ms  integer
);
CREATE INDEX guardrail_evaluations_content_idx ON guardrail_evaluations (content_type, content_id);
CREATE INDEX guardrail_evaluations_agent_idx ON guardrail_evaluations (agent_id, created_at DESC);
CREATE INDEX guardrail_evaluations_pending_idx ON guardrail_evaluations (created_at)
    WHERE final_decision IS NULL;

ALTER TABLE problems
    ADD CONSTRAINT problems_guardrail_evaluation_fkey
    FOREIGN KEY (guardrail_evaluation_id) REFERENCES guardrail_evaluations (id) ON DELETE SET NULL;

CREATE TABLE jobs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    queue         text NOT NULL,
    kind          text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}',
    state         text NOT NULL DEFAULT 'available'
                  CHECK (state IN ('available', 'running', 'retryable', 'completed', 'discarded', 'cancelled')),
    priority      integer NOT NULL DEFAULT 0,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    unique_key    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
-- At most one live job per (queue, unique_key); finished ones do not block a new one.
CREATE UNIQUE INDEX jobs_unique_live_key ON jobs (queue, unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'running', 'retryable');
-- Claiming: WHERE queue = ? AND state IN (...) AND run_at <= now() ORDER BY priority DESC, run_at.
CREATE INDEX jobs_claim_idx ON jobs (queue, state, priority DESC, run_at);
-- Lease rescue: running jobs whose lock expired.
CREATE INDEX jobs_running_lease_idx ON jobs (locked_until) WHERE state = 'running';
-- Retention of finished jobs.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_schedules (
    name         text PRIMARY KEY,
    cron         text NOT NULL,
    last_run_at  timestamptz
);
