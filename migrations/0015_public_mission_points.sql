-- 0015_public_mission_points: the marketplace filters, orders and measures distances on each
-- mission's *public* point (coordinates rounded to 2 decimals, ~1 km, as the cards show them), never
-- on the exact one: a radius or order over exact points let anyone bisect a mission's exact location
-- from a few anonymous queries. The exact `earth` stays for the people who need it (moderators
-- comparing evidence with the place). Append-only: never edit this file once released.

ALTER TABLE missions ADD COLUMN public_earth earth;

CREATE OR REPLACE FUNCTION bw_missions_sync_earth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.required_latitude IS NULL OR NEW.required_longitude IS NULL THEN
        NEW.earth := NULL;
        NEW.public_earth := NULL;
    ELSE
        NEW.earth := ll_to_earth(NEW.required_latitude::float8, NEW.required_longitude::float8);
        NEW.public_earth := ll_to_earth(round(NEW.required_latitude, 2)::float8, round(NEW.required_longitude, 2)::float8);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER missions_sync_earth ON missions;
CREATE TRIGGER missions_sync_earth
    BEFORE INSERT OR UPDATE OF required_latitude, required_longitude, earth, public_earth
    ON missions FOR EACH ROW EXECUTE FUNCTION bw_missions_sync_earth();

UPDATE missions SET public_earth = ll_to_earth(round(required_latitude, 2)::float8, round(required_longitude, 2)::float8)
WHERE required_latitude IS NOT NULL;

-- The marketplace's geo index moves to the public point (same partial predicate as before).
CREATE INDEX missions_market_public_earth_idx ON missions USING gist (public_earth)
    WHERE guardrail_status = 'approved' AND status = 'open';
DROP INDEX missions_market_earth_idx;
