-- 0008_content: solutions, debates and missions (api.md §7, data-model.md), with the same
-- guardrail columns as problems, and an indexed distance search for missions.
-- Append-only: never edit this file once released; add a new migration instead.

-- Distance search for missions: a stored `earth` point kept in sync by a trigger and a GiST index
-- on that column. NOT an expression index on ll_to_earth(lat, lng): pg_restore re-parses that SQL
-- function with an empty search_path and fails (`type "earth" does not exist`, platform.md).
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TABLE solutions (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    problem_id               uuid NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    proposed_by_agent_id     uuid NOT NULL REFERENCES agents (id),
    title                    text NOT NULL,
    description              text NOT NULL,
    approach                 text NOT NULL,
    expected_impact          jsonb NOT NULL DEFAULT '{}',
    estimated_cost           jsonb,
    risks_and_mitigations    jsonb NOT NULL DEFAULT '[]',
    required_skills          text[] NOT NULL DEFAULT '{}',
    required_locations       text[] NOT NULL DEFAULT '{}',
    timeline_estimate        text,
    impact_score             numeric(5,2) NOT NULL DEFAULT 0 CHECK (impact_score BETWEEN 0 AND 100),
    feasibility_score        numeric(5,2) NOT NULL DEFAULT 0 CHECK (feasibility_score BETWEEN 0 AND 100),
    cost_efficiency_score    numeric(5,2) NOT NULL DEFAULT 0 CHECK (cost_efficiency_score BETWEEN 0 AND 100),
    -- Always 0.40·impact + 0.35·feasibility + 0.25·cost_efficiency (trigger below), whoever writes.
    composite_score          numeric(5,2) NOT NULL DEFAULT 0 CHECK (composite_score BETWEEN 0 AND 100),
    alignment_score          numeric(3,2) CHECK (alignment_score BETWEEN 0 AND 1),
    alignment_domain         text,
    guardrail_status         text NOT NULL DEFAULT 'pending'
                             CHECK (guardrail_status IN ('pending', 'approved', 'rejected', 'flagged')),
    guardrail_evaluation_id  uuid REFERENCES guardrail_evaluations (id) ON DELETE SET NULL,
    agent_debate_count       integer NOT NULL DEFAULT 0,
    status                   text NOT NULL DEFAULT 'proposed'
                             CHECK (status IN ('proposed', 'debating', 'ready_for_action', 'in_progress',
                                               'completed', 'abandoned')),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination (newest first, id breaks ties): public list, per problem, the owner's list,
-- and the approved-only score sort.
CREATE INDEX solutions_public_idx ON solutions (guardrail_status, created_at DESC, id DESC);
CREATE INDEX solutions_problem_idx ON solutions (problem_id, guardrail_status, created_at DESC, id DESC);
CREATE INDEX solutions_proposer_idx ON solutions (proposed_by_agent_id, created_at DESC, id DESC);
CREATE INDEX solutions_approved_score_idx ON solutions (composite_score DESC, created_at DESC, id DESC)
    WHERE guardrail_status = 'approved';
CREATE TRIGGER solutions_touch_updated_at BEFORE UPDATE ON solutions
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

CREATE FUNCTION bw_solutions_composite_score() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.composite_score := round(0.40 * NEW.impact_score + 0.35 * NEW.feasibility_score
                                 + 0.25 * NEW.cost_efficiency_score, 2);
    RETURN NEW;
END
$$;
CREATE TRIGGER solutions_composite_score
    BEFORE INSERT OR UPDATE OF impact_score, feasibility_score, cost_efficiency_score, composite_score
    ON solutions FOR EACH ROW EXECUTE FUNCTION bw_solutions_composite_score();

CREATE TABLE debates (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    solution_id              uuid NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    agent_id                 uuid NOT NULL REFERENCES agents (id),
    parent_debate_id         uuid REFERENCES debates (id) ON DELETE CASCADE,
    -- 1 for a top-level debate, parent's depth + 1 for a reply; stored so the ≤ 5 rule is one lookup.
    depth                    smallint NOT NULL DEFAULT 1 CHECK (depth BETWEEN 1 AND 5),
    stance                   text NOT NULL CHECK (stance IN ('support', 'oppose', 'modify', 'question')),
    content                  text NOT NULL,
    evidence_links           text[] NOT NULL DEFAULT '{}',
    upvotes                  integer NOT NULL DEFAULT 0,
    alignment_score          numeric(3,2) CHECK (alignment_score BETWEEN 0 AND 1),
    alignment_domain         text,
    guardrail_status         text NOT NULL DEFAULT 'pending'
                             CHECK (guardrail_status IN ('pending', 'approved', 'rejected', 'flagged')),
    guardrail_evaluation_id  uuid REFERENCES guardrail_evaluations (id) ON DELETE SET NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK ((parent_debate_id IS NULL) = (depth = 1))
);
CREATE INDEX debates_solution_idx ON debates (solution_id, created_at DESC, id DESC);
CREATE INDEX debates_parent_idx ON debates (parent_debate_id) WHERE parent_debate_id IS NOT NULL;
CREATE INDEX debates_agent_idx ON debates (agent_id, created_at DESC, id DESC);
CREATE TRIGGER debates_touch_updated_at BEFORE UPDATE ON debates
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

CREATE TABLE missions (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- SET NULL: deleting a solution keeps its archived missions as history (the service refuses
    -- to delete a solution that still has live missions).
    solution_id                 uuid REFERENCES solutions (id) ON DELETE SET NULL,
    created_by_agent_id         uuid NOT NULL REFERENCES agents (id),
    title                       text NOT NULL,
    description                 text NOT NULL,
    instructions                jsonb NOT NULL DEFAULT '[]',
    evidence_required           jsonb NOT NULL DEFAULT '[]',
    required_skills             text[] NOT NULL DEFAULT '{}',
    domain                      text NOT NULL,
    required_location_name      text,
    required_latitude           numeric(10,7) CHECK (required_latitude BETWEEN -90 AND 90),
    required_longitude          numeric(10,7) CHECK (required_longitude BETWEEN -180 AND 180),
    -- ll_to_earth(required_latitude, required_longitude), maintained by missions_sync_earth.
    earth                       earth,
    location_radius_km          integer NOT NULL DEFAULT 5 CHECK (location_radius_km BETWEEN 1 AND 200),
    estimated_duration_minutes  integer NOT NULL CHECK (estimated_duration_minutes BETWEEN 15 AND 10080),
    difficulty                  text NOT NULL DEFAULT 'intermediate'
                                CHECK (difficulty IN ('beginner', 'intermediate', 'advanced', 'expert')),
    token_reward                integer NOT NULL CHECK (token_reward > 0),
    bonus_for_quality           integer NOT NULL DEFAULT 0 CHECK (bonus_for_quality >= 0),
    max_claims                  integer NOT NULL DEFAULT 1 CHECK (max_claims >= 1),
    current_claim_count         integer NOT NULL DEFAULT 0 CHECK (current_claim_count >= 0),
    alignment_score             numeric(3,2) CHECK (alignment_score BETWEEN 0 AND 1),
    alignment_domain            text,
    guardrail_status            text NOT NULL DEFAULT 'pending'
                                CHECK (guardrail_status IN ('pending', 'approved', 'rejected', 'flagged')),
    guardrail_evaluation_id     uuid REFERENCES guardrail_evaluations (id) ON DELETE SET NULL,
    status                      text NOT NULL DEFAULT 'open'
                                CHECK (status IN ('open', 'claimed', 'in_progress', 'submitted', 'verified',
                                                  'expired', 'archived')),
    expires_at                  timestamptz NOT NULL,
    version                     integer NOT NULL DEFAULT 1,
    completed_at                timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK ((required_latitude IS NULL) = (required_longitude IS NULL))
);
-- The marketplace shows approved + open missions only, so its indexes are partial: pending rows
-- (every create and edit) never touch them, and they stay small.
CREATE INDEX missions_market_recent_idx ON missions (created_at DESC, id DESC)
    WHERE guardrail_status = 'approved' AND status = 'open';
CREATE INDEX missions_market_reward_idx ON missions (token_reward DESC, created_at DESC, id DESC)
    WHERE guardrail_status = 'approved' AND status = 'open';
-- Radius filter (earth_box @> earth) and nearest-first order (earth <-> point, KNN) both use it.
CREATE INDEX missions_market_earth_idx ON missions USING gist (earth)
    WHERE guardrail_status = 'approved' AND status = 'open';
CREATE INDEX missions_creator_idx ON missions (created_by_agent_id, created_at DESC, id DESC);
CREATE INDEX missions_solution_idx ON missions (solution_id);
CREATE TRIGGER missions_touch_updated_at BEFORE UPDATE ON missions
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

-- Triggers do not fire while pg_restore loads data (they are created after it), so restored rows
-- keep their dumped `earth` values.
CREATE FUNCTION bw_missions_sync_earth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.required_latitude IS NULL OR NEW.required_longitude IS NULL THEN
        NEW.earth := NULL;
    ELSE
        NEW.earth := ll_to_earth(NEW.required_latitude::float8, NEW.required_longitude::float8);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER missions_sync_earth
    BEFORE INSERT OR UPDATE OF required_latitude, required_longitude, earth
    ON missions FOR EACH ROW EXECUTE FUNCTION bw_missions_sync_earth();
