-- 0014_claims_ledger: people claiming missions (humans.md §3) and the ImpactToken ledger (§6).
-- Append-only: never edit this file once released; add a new migration instead.

-- A human's claim on a mission. active → submitted (evidence sent) → completed (evidence approved),
-- or active → abandoned (by the human) / expired (deadline passed, the daily claims-expiry job).
-- missions.current_claim_count counts the active + submitted claims of a mission; ClaimService
-- keeps it in step under the mission's row lock.
CREATE TABLE mission_claims (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    mission_id    uuid NOT NULL REFERENCES missions (id),
    human_id      uuid NOT NULL REFERENCES humans (id),
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'submitted', 'completed', 'abandoned', 'expired')),
    deadline_at   timestamptz NOT NULL,
    notes         text CHECK (length(notes) <= 2000),   -- the human's own notes
    reason        text CHECK (length(reason) <= 2000),  -- why it was abandoned, expired or sent back
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz,
    completed_at  timestamptz,
    closed_at     timestamptz,                           -- abandoned or expired
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One claim per human per mission while it is live (and once it completed: no second reward).
-- Abandoned and expired claims do not block a new attempt.
CREATE UNIQUE INDEX mission_claims_one_per_human ON mission_claims (mission_id, human_id)
    WHERE status IN ('active', 'submitted', 'completed');
-- GET /missions/mine (keyset on claimed_at, id) and the 3-active-claims rule.
CREATE INDEX mission_claims_human_idx ON mission_claims (human_id, claimed_at DESC, id DESC);
-- The daily expiry job.
CREATE INDEX mission_claims_due_idx ON mission_claims (deadline_at) WHERE status = 'active';
CREATE INDEX mission_claims_mission_idx ON mission_claims (mission_id);
CREATE TRIGGER mission_claims_touch_updated_at BEFORE UPDATE ON mission_claims
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

-- ImpactTokens: a double-entry ledger. One treasury account (the issuing side: rewards flow out of
-- it, spends flow back) and one account per human, created on its first transaction.
-- A human account stores its balance and totals, updated under its row lock in the same statement
-- that writes the entries; the CHECKs make an overdraft impossible even for a buggy writer.
-- The treasury keeps no running balance: that would serialise every transfer on one row; its
-- balance is the sum of its entries.
CREATE TABLE token_accounts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind          text NOT NULL CHECK (kind IN ('treasury', 'human')),
    human_id      uuid UNIQUE REFERENCES humans (id),
    balance       numeric(20,8) NOT NULL DEFAULT 0,
    earned_total  numeric(20,8) NOT NULL DEFAULT 0 CHECK (earned_total >= 0),  -- sum of its positive entries
    spent_total   numeric(20,8) NOT NULL DEFAULT 0 CHECK (spent_total >= 0),   -- minus the sum of its negative entries
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'human') = (human_id IS NOT NULL)),
    CHECK (kind = 'treasury' OR (balance >= 0 AND balance = earned_total - spent_total)),
    CHECK (kind = 'human' OR (balance = 0 AND earned_total = 0 AND spent_total = 0))
);
CREATE UNIQUE INDEX token_accounts_one_treasury ON token_accounts (kind) WHERE kind = 'treasury';
INSERT INTO token_accounts (kind) VALUES ('treasury');

-- One transfer. History is never edited (trigger below): a mistake is reversed by a new transaction.
CREATE TABLE token_transactions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type             text NOT NULL CHECK (type IN ('mission_reward', 'quality_bonus', 'grant', 'spend', 'adjustment')),
    reference        text CHECK (length(reference) <= 200),   -- e.g. evidence:<id>, mission:<id>
    description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL CHECK (created_by ~ '^(system|human:[0-9a-f-]{36}|moderator:[0-9a-f-]{36})$')
);
CREATE INDEX token_transactions_created_idx ON token_transactions (created_at);

-- The entries of a transaction sum to 0. balance_after: the account's balance once this entry was
-- applied (NULL for the treasury, which keeps no running balance). Entry ids grow in commit order
-- per account (entries of one account are written under its row lock): GET /tokens/transactions
-- pages on them.
CREATE TABLE token_entries (
    id              bigserial PRIMARY KEY,
    transaction_id  uuid NOT NULL REFERENCES token_transactions (id),
    account_id      uuid NOT NULL REFERENCES token_accounts (id),
    amount          numeric(20,8) NOT NULL CHECK (amount <> 0),
    balance_after   numeric(20,8),
    UNIQUE (transaction_id, account_id)
);
CREATE INDEX token_entries_account_idx ON token_entries (account_id, id DESC);

CREATE FUNCTION bw_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the token ledger is append-only: % on % is not allowed (post a correcting transaction)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER token_transactions_append_only BEFORE UPDATE OR DELETE ON token_transactions
    FOR EACH ROW EXECUTE FUNCTION bw_ledger_append_only();
CREATE TRIGGER token_entries_append_only BEFORE UPDATE OR DELETE ON token_entries
    FOR EACH ROW EXECUTE FUNCTION bw_ledger_append_only();

-- Outcomes of `ledger verify` runs (the weekly job and the CLI). The LedgerInvariantBroken alert
-- reads the newest row: it fires while violation_count > 0 and resolves after a clean run.
CREATE TABLE ledger_verifications (
    id               bigserial PRIMARY KEY,
    ran_at           timestamptz NOT NULL DEFAULT now(),
    source           text NOT NULL CHECK (source IN ('job', 'cli', 'api')),
    violation_count  integer NOT NULL CHECK (violation_count >= 0),
    violations       jsonb NOT NULL DEFAULT '[]',
    duration_ms      integer NOT NULL DEFAULT 0
);
CREATE INDEX ledger_verifications_ran_idx ON ledger_verifications (ran_at DESC);
