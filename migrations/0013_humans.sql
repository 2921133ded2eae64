-- 0013_humans: the people who carry out missions (humans.md §1–§2). Their sessions, verification
-- and reset codes live beside them in this file; claims, evidence and the token ledger come after.
-- Append-only: never edit this file once released; add a new migration instead.

CREATE TABLE humans (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email               text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
    display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash       text NOT NULL,            -- Argon2id, libsodium crypto_pwhash_str format
    email_verified_at   timestamptz,
    bio                 text CHECK (length(bio) <= 500),
    skills              text[] NOT NULL DEFAULT '{}' CHECK (cardinality(skills) <= 20),
    languages           text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 10),
    city                text CHECK (length(city) <= 200),
    latitude            numeric(10,7) CHECK (latitude BETWEEN -90 AND 90),
    longitude           numeric(10,7) CHECK (longitude BETWEEN -180 AND 180),
    service_radius_km   integer NOT NULL DEFAULT 10 CHECK (service_radius_km BETWEEN 1 AND 200),
    is_active           boolean NOT NULL DEFAULT true,   -- false: locked by an administrator
    failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until        timestamptz,                     -- set after 5 failed logins in 15 min
    failed_login_window_start timestamptz,               -- first failure of the current 15-min window
    last_login_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE UNIQUE INDEX humans_email_lower_key ON humans (lower(email));
CREATE INDEX humans_created_idx ON humans (created_at DESC, id DESC);
CREATE TRIGGER humans_touch_updated_at BEFORE UPDATE ON humans
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();
-- E-mail codes of humans: verification ('verify') and password reset ('reset'). 6 digits, stored
-- as SHA-256(humanId ":" purpose ":" code); at most 5 wrong tries; only the newest per purpose is
-- live. held_code is the sink's copy for administrators when no SMTP is configured; it is cleared
-- once the code is used or replaced.
CREATE TABLE human_email_codes (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    human_id        uuid NOT NULL REFERENCES humans (id) ON DELETE CASCADE,
    purpose         text NOT NULL CHECK (purpose IN ('verify', 'reset')),
    reason          text NOT NULL CHECK (reason IN ('registration', 'resend', 'request')),
    email           text NOT NULL,
    code_hash       text NOT NULL,
    tries           integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    expires_at      timestamptz NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('smtp', 'sink')),
    status          text NOT NULL CHECK (status IN ('queued', 'held', 'sent', 'failed', 'used', 'superseded')),
    held_code       text,
    error           text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX human_email_codes_human_idx ON human_email_codes (human_id, purpose, created_at DESC);
CREATE INDEX human_email_codes_held_idx ON human_email_codes (created_at DESC) WHERE held_code IS NOT NULL;

-- A session is a refresh-token family: login opens one, each refresh rotates its token, logout,
-- a password reset or the reuse of a spent refresh token revokes it (and with it its access tokens).
CREATE TABLE human_sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    human_id        uuid NOT NULL REFERENCES humans (id) ON DELETE CASCADE,
    ip              inet,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_refreshed_at timestamptz,
    revoked_at      timestamptz,
    revoked_reason  text CHECK (revoked_reason IN ('logout', 'password_reset', 'refresh_reuse', 'administrator'))
);
CREATE INDEX human_sessions_human_idx ON human_sessions (human_id) WHERE revoked_at IS NULL;

-- Refresh tokens: single use (used_at), SHA-256 of the token only.
CREATE TABLE human_refresh_tokens (
    token_hash      text PRIMARY KEY,
    session_id      uuid NOT NULL REFERENCES human_sessions (id) ON DELETE CASCADE,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX human_refresh_tokens_session_idx ON human_refresh_tokens (session_id);

-- Access tokens live here (hashed) rather than in one node's memory: every node sharing the
-- database validates them, and revoking a session ends them at once.
CREATE TABLE human_access_tokens (
    token_hash      text PRIMARY KEY,
    session_id      uuid NOT NULL REFERENCES human_sessions (id) ON DELETE CASCADE,
    human_id        uuid NOT NULL REFERENCES humans (id) ON DELETE CASCADE,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX human_access_tokens_session_idx ON human_access_tokens (session_id);
CREATE INDEX human_access_tokens_expiry_idx ON human_access_tokens (expires_at);
