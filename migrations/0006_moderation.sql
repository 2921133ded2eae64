-- 0006_moderation: admin users (moderators), their API sessions, and a restricted database role
-- for the application whose privileges make audit_log append-only by grant as well as by trigger.
-- Independent of 0004/0005 on purpose (it may be applied before or after them).
-- Append-only: never edit this file once released; add a new migration instead.

CREATE TABLE moderators (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
    display_name    text CHECK (length(display_name) <= 200),
    role            text NOT NULL CHECK (role IN ('admin', 'moderator')),
    password_hash   text NOT NULL,            -- Argon2id, libsodium crypto_pwhash_str format
    is_active       boolean NOT NULL DEFAULT true,
    failed_logins   integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until    timestamptz,
    last_login_at   timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX moderators_email_lower_key ON moderators (lower(email));
CREATE TRIGGER moderators_touch_updated_at BEFORE UPDATE ON moderators
    FOR EACH ROW EXECUTE FUNCTION bw_touch_updated_at();

-- Opaque bearer tokens for the admin API: only SHA-256 (hex) of the token is stored.
CREATE TABLE admin_sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash    text NOT NULL UNIQUE,
    moderator_id  uuid NOT NULL REFERENCES moderators (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    ip            inet
);
CREATE INDEX admin_sessions_moderator_idx ON admin_sessions (moderator_id);
CREATE INDEX admin_sessions_expires_idx ON admin_sessions (expires_at);

-- A NOLOGIN role holding exactly the privileges the running application needs: everything on
-- every table except UPDATE/DELETE/TRUNCATE on audit_log. A deployment that connects as a
-- non-owner member of this role (or that does SET ROLE betterworld_app after connecting) cannot
-- rewrite history even with the trigger disabled. Roles are cluster-wide: create it once, and
-- skip quietly where the migrating role may not create roles (managed PostgreSQL).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'betterworld_app') THEN
        CREATE ROLE betterworld_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'role betterworld_app not created (no CREATEROLE privilege)';
    WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by a migration of another database in the same cluster
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'betterworld_app') THEN
        RETURN;
    END IF;
    GRANT USAGE ON SCHEMA public TO betterworld_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO betterworld_app;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO betterworld_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM betterworld_app;
    -- Tables created by later migrations (run by this same owner) get the same grants.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO betterworld_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO betterworld_app;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'grants for betterworld_app not applied (insufficient privilege)';
END
$$;
