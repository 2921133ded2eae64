#!/usr/bin/env bash
# Content benchmark (BENCHMARKS.md "Content", spec: performance.md): GET /api/v1/missions/nearby
# against N seeded missions (default 5,000,000), the seed's load scenario (lat 37.7749,
# lng -122.4194, radius 50, limit 10).
#
#   scripts/bench-content.sh [BUILD_DIR] [--missions N] [--duration SECONDS] [--data DIR] [--out DIR]
#
# Starts `betterworld serve` on an embedded PostgreSQL in DATA (default: a temp dir, removed at the
# end; pass --data to keep a seeded cluster and reuse it: seeding 5M rows takes a while), seeds the
# missions with generate_series SQL (half uniform on the sphere, half around 8 cities, San Francisco
# included) unless DATA already holds N, records the EXPLAIN (ANALYZE, BUFFERS) plan, then runs
# bw_load: open loop at 30 req/s (the seed's budget rate) and 300 req/s (our goal rate), and closed
# loop (64 connections) for the throughput. Prints one table; raw outputs go to --out.
# Needs: curl, jq, psql, and the load tools built (tests/load: bw_load).
set -Eeuo pipefail

BUILD_DIR=""
MISSIONS=5000000
DURATION=20
DATA=""
OUT=""
while (($#)); do
    case "$1" in
        --missions) MISSIONS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --data) DATA="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        -*) echo "bench-content.sh: unknown option $1" >&2; exit 2 ;;
        *) BUILD_DIR="$1" ;;
    esac
    shift
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin/betterworld"
BW_LOAD="$BUILD_DIR/bin/bw_load"
PORT="${BW_BENCH_PORT:-18490}"
OUT="${OUT:-/tmp/bw-bench-content-$(date +%Y%m%d-%H%M%S)}"
URL_PATH="/api/v1/missions/nearby?lat=37.7749&lng=-122.4194&radius=50&limit=10"

die() { echo "bench-content.sh: $*" >&2; exit 1; }
log() { echo "[bench-content $(date +%H:%M:%S)] $*" >&2; }
for tool in curl jq; do command -v "$tool" >/dev/null || die "missing $tool"; done
PSQL="$(pg_config --bindir 2>/dev/null || true)/psql"; [[ -x "$PSQL" ]] || PSQL="$(command -v psql || true)"
[[ -x "$PSQL" ]] || die "psql not found"
for f in "$BIN" "$BW_LOAD"; do [[ -x "$f" ]] || die "$f not built"; done

TMP=""
if [[ -z "$DATA" ]]; then
    TMP="$(mktemp -d /tmp/bw-bench-content.XXXXXX)"
    DATA="$TMP/data"
fi
mkdir -p "$DATA" "$OUT"
chmod 711 "$(dirname "$DATA")" "$DATA" 2>/dev/null || true # as root the cluster runs as postgres
SERVER_PID=""
cleanup() {
    local rc=$?
    set +e
    if [[ -n "$SERVER_PID" ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        wait "$SERVER_PID" 2>/dev/null
    fi
    [[ -n "$TMP" ]] && rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT

"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --set rate_limit/enabled=false \
    --set secrets/backend=file >>"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 3000); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $OUT/server.log)"
    sleep 0.05
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" || die "server not ready"

psql_bw() {
    PGPASSWORD="$(jq -r '."database-password"' "$DATA/secrets.json" | base64 -d)" \
        "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$DATA/postgres/run" -p 5432 -U betterworld -d betterworld "$@"
}

HAVE="$(psql_bw -Atc "SELECT count(*) FROM missions")"
if ((HAVE < MISSIONS)); then
    log "seeding $((MISSIONS - HAVE)) missions (have $HAVE)"
    psql_bw <<'SQL'
INSERT INTO agents (id, username, framework, api_key_hash, api_key_prefix)
VALUES ('00000000-0000-4000-8000-0000000000b1', 'bench_geo_seed', 'custom', 'x', 'x') ON CONFLICT DO NOTHING;
INSERT INTO problems (id, reported_by_agent_id, title, description, domain, severity, guardrail_status)
VALUES ('00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000b1', 'Bench problem',
        'Bench problem for the geo benchmark', 'education_access', 'high', 'approved') ON CONFLICT DO NOTHING;
INSERT INTO solutions (id, problem_id, proposed_by_agent_id, title, description, approach, guardrail_status)
VALUES ('00000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000b2',
        '00000000-0000-4000-8000-0000000000b1', 'Bench solution', 'd', 'a', 'approved') ON CONFLICT DO NOTHING;
SQL
    T0=$(date +%s)
    BATCH=250000
    for ((start = HAVE + 1; start <= MISSIONS; start += BATCH)); do
        end=$((start + BATCH - 1)); ((end > MISSIONS)) && end=$MISSIONS
        psql_bw -v s="$start" -v e="$end" <<'SQL'
SET synchronous_commit = off;
INSERT INTO missions (solution_id, created_by_agent_id, title, description, instructions, evidence_required, domain,
    required_latitude, required_longitude, estimated_duration_minutes, difficulty, token_reward, guardrail_status,
    status, expires_at, created_at)
SELECT '00000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000b1', 'Bench mission ' || g,
    'Seeded mission for the nearby benchmark', '[{"step":1,"text":"Go","optional":false}]',
    '[{"type":"photo","description":"Photo","required":true}]', 'education_access',
    CASE WHEN g % 2 = 0 THEN degrees(asin(2 * random() - 1)) ELSE greatest(-90, least(90, c.lat + (random() - 0.5) * 2)) END,
    CASE WHEN g % 2 = 0 THEN random() * 360 - 180 ELSE ((c.lng + (random() - 0.5) * 2.5 + 540)::numeric % 360) - 180 END,
    60, 'beginner', 10 + g % 100, 'approved', 'open', now() + interval '365 days', now() - g * interval '1 second'
FROM generate_series(:s, :e) g
JOIN (VALUES (0, 37.7749, -122.4194), (1, 40.7128, -74.0060), (2, 51.5074, -0.1278), (3, -23.5505, -46.6333),
             (4, 28.6139, 77.2090), (5, 35.6762, 139.6503), (6, -1.2921, 36.8219), (7, 64.1466, -21.9426))
     AS c(i, lat, lng) ON c.i = (g / 2) % 8;
SQL
        log "  $end / $MISSIONS ($(( $(date +%s) - T0 )) s)"
    done
    log "seeded in $(( $(date +%s) - T0 )) s; VACUUM ANALYZE"
    echo "$(( $(date +%s) - T0 ))" >"$OUT/seed-seconds.txt"
    psql_bw -c "VACUUM ANALYZE missions"
fi
psql_bw -Atc "SELECT count(*), pg_size_pretty(pg_total_relation_size('missions')),
                     pg_size_pretty(pg_relation_size('missions_market_public_earth_idx')) FROM missions" >"$OUT/missions.txt"
log "missions: $(cat "$OUT/missions.txt")"
# Within 50 km of the point: how many candidates the search ranks.
psql_bw -Atc "SELECT count(*) FROM missions WHERE earth_box(ll_to_earth(37.7749, -122.4194), 50000) @> public_earth
              AND earth_distance(ll_to_earth(37.7749, -122.4194), public_earth) <= 50000" >"$OUT/within-50km.txt"

curl -fsS "http://127.0.0.1:$PORT$URL_PATH" >"$OUT/sample.json"
[[ "$(jq '.data | length' "$OUT/sample.json")" == 10 ]] || die "unexpected answer: $(head -c 300 "$OUT/sample.json")"

# The plan of the statement the service runs (logged by PostgreSQL's auto_explain is not set up;
# reproduce it: same SQL shape, literal values).
psql_bw >"$OUT/explain.txt" <<'SQL'
EXPLAIN (ANALYZE, BUFFERS)
WITH edge AS (SELECT (m.public_earth <-> ll_to_earth(37.7749, -122.4194)) AS d FROM missions m
  WHERE m.guardrail_status = 'approved' AND m.status = 'open' AND m.expires_at > now()
    AND earth_box(ll_to_earth(37.7749, -122.4194), 50000) @> m.public_earth
    AND earth_distance(ll_to_earth(37.7749, -122.4194), m.public_earth) <= 50000
  ORDER BY m.public_earth <-> ll_to_earth(37.7749, -122.4194) LIMIT 1 OFFSET 10),
page AS (SELECT m.*, (m.public_earth <-> ll_to_earth(37.7749, -122.4194)) AS _k0, m.id AS _k1 FROM missions m
  WHERE m.guardrail_status = 'approved' AND m.status = 'open' AND m.expires_at > now()
    AND earth_box(ll_to_earth(37.7749, -122.4194), 50000) @> m.public_earth
    AND earth_distance(ll_to_earth(37.7749, -122.4194), m.public_earth) <= 50000
    AND earth_box(ll_to_earth(37.7749, -122.4194), sec_to_gc(coalesce((SELECT d FROM edge), 1e9)) + 1) @> m.public_earth
    AND (m.public_earth <-> ll_to_earth(37.7749, -122.4194)) <= coalesce((SELECT d FROM edge), 1e9)
  ORDER BY _k0, _k1 LIMIT 11)
SELECT count(*) FROM page;
SQL
grep -q "missions_market_public_earth_idx" "$OUT/explain.txt" || die "the plan does not use the GiST index (see $OUT/explain.txt)"
grep -q "Seq Scan on missions" "$OUT/explain.txt" && die "sequential scan in the plan (see $OUT/explain.txt)"

run() { # name rate [connections]
    "$BW_LOAD" --url "http://127.0.0.1:$PORT$URL_PATH" --rate "$2" --duration "${DURATION}s" -c "${3:-64}" \
        >"$OUT/load-$1.json" 2>"$OUT/load-$1.err" || die "bw_load failed ($1): $(cat "$OUT/load-$1.err")"
}
log "warm-up"; DURATION_SAVE=$DURATION; DURATION=3; run warmup 0 16; DURATION=$DURATION_SAVE
log "open loop 30 req/s"; run open30 30 16
log "open loop 300 req/s"; run open300 300 32
log "closed loop, 64 connections"; run closed 0 64

row() { # name label budget goal
    jq -r --arg n "$2" --arg b "$3" --arg g "$4" \
        '"| \($n) | \($b) | \($g) | \(.achieved_rps | floor) req/s | \(.latency_ms.p50) | \(.latency_ms.p95) | \(.latency_ms.p99) | \(.errors // 0) |"' \
        "$OUT/load-$1.json"
}
{
    echo "missions: $(cut -d'|' -f1 "$OUT/missions.txt") (table+indexes $(cut -d'|' -f2 "$OUT/missions.txt"), GiST $(cut -d'|' -f3 "$OUT/missions.txt")); within 50 km: $(cat "$OUT/within-50km.txt")"
    echo "| run | seed budget | our goal | req/s | p50 ms | p95 ms | p99 ms | errors |"
    echo "|---|---|---|---|---|---|---|---|"
    row open30 "open loop 30 req/s" "p95 < 150 ms" "—"
    row open300 "open loop 300 req/s" "—" "p95 ≤ 10 ms"
    row closed "closed loop, 64 conn." "—" "—"
} | tee "$OUT/table.md"
log "raw outputs in $OUT"
