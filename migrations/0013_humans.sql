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
    last_login_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE UNIQUE INDEX humans_email_lower_key ON humans (lower(email));
CREATE INDEX humans_created_idx ON humans (created_at DESC, id DESC);
CREATE TRIGGER humans_touch_updated_at BEFORE UPDATE ON humans
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();
