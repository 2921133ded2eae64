#!/usr/bin/env bash
# Rate-limit store benchmark (BENCHMARKS.md "Rate limiting"; spec: api.md §4, performance.md).
#
#   tests/http/ratelimit_bench.sh [BUILD_DIR] [--duration SECONDS] [--hits N] [--out DIR]
#
# One embedded PostgreSQL, one `betterworld serve` restarted per configuration:
#   off       rate limiting disabled (baseline)
#   memory    InMemoryRateLimiter (one node)
#   postgres  PgRateLimiter, the shared store (forced with rate_limit/store=postgres)
# For each: wrk -t2 -c64 on GET /api/v1/agents/me with ONE key (every hit on one row: the worst case
# for row locks) and with 256 keys round-robin; wrk -t1 -c1 for the per-request cost; the server's
# own rate_limit_store_seconds histogram. Then N (default 1,000,000) upserts with pgbench over 1,000
# keys, and the table/index size, HOT ratio and live rows, next to the size a row-per-request design
# would reach. Needs wrk, curl, jq, psql, pgbench. Raw outputs go to --out.
set -Eeuo pipefail

BUILD_DIR=""
DURATION=10
HITS=1000000
OUT=""
while (($#)); do
    case "$1" in
        --duration) DURATION="$2"; shift ;;
        --hits) HITS="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
        *) BUILD_DIR="$1" ;;
    esac
    shift
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin/betterworld"
PORT="${BW_BENCH_PORT:-18490}"
OUT="${OUT:-/tmp/bw-ratelimit-bench-$(date +%Y%m%d-%H%M%S)}"
PG_BIN="$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
die() { echo "ratelimit bench: $*" >&2; exit 1; }
log() { echo "[rl-bench $(date +%H:%M:%S)] $*" >&2; }
for tool in wrk curl jq "$PG_BIN/psql" "$PG_BIN/pgbench"; do command -v "$tool" >/dev/null || die "missing $tool"; done
[[ -x "$BIN" ]] || die "$BIN not built"

TMP="$(mktemp -d /tmp/bw-rl-bench.XXXXXX)"
chmod 711 "$TMP" # as root the embedded cluster runs as `postgres`
DATA="$TMP/data"
mkdir -p "$OUT"
SERVER_PID=""
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() { local rc=$?; set +e; stop_server; rm -rf "$TMP"; exit $rc; }
trap cleanup EXIT
trap 'exit 130' INT TERM

BIG=10000000
start_server() { # extra --set flags
    "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --set secrets/backend=file --set log/level=warning \
        --set rate_limit/public=$BIG --set rate_limit/agent_pending=$BIG --set rate_limit/registration=$BIG "$@" \
        >>"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 1500); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || die "server exited (see $OUT/server.log)"
        sleep 0.02
    done
    die "server not ready"
}
db_password() { jq -r '."database-password"' "$DATA/secrets.json" | base64 -d; }
PGARGS=(-h "$DATA/postgres/run" -p 5432 -U betterworld -d betterworld)
psql_bw() { PGPASSWORD="$(db_password)" "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "${PGARGS[@]}" "$@"; }

# wrk → "rps p50_ms p99_ms non2xx"
wrk_sum() {
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
         /Requests\/sec:/ { rps = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /Non-2xx/ { n = $NF }
         END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, n }' "$1"
}
metric() { curl -fsS "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

log "results in $OUT; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
start_server --set rate_limit/store=memory
KEY="$(curl -fsS -d '{"username":"rl_bench","framework":"custom","specializations":["education_access"]}' \
    "http://127.0.0.1:$PORT/api/v1/auth/agents/register" | jq -r .data.apiKey)"
[[ "$KEY" =~ ^[0-9a-f]{64}$ ]] || die "registration failed"
: >"$TMP/keys"
for i in $(seq 1 256); do
    curl -fsS -d "{\"username\":\"rl_bench_$i\",\"framework\":\"custom\",\"specializations\":[\"education_access\"]}" \
        "http://127.0.0.1:$PORT/api/v1/auth/agents/register" | jq -r .data.apiKey >>"$TMP/keys"
done
stop_server
cat >"$TMP/keys.lua" <<'LUA'
local keys = {}
for line in io.lines(os.getenv("BW_KEYS_FILE")) do keys[#keys + 1] = line end
local i = math.random(#keys)
request = function()
    i = i % #keys + 1
    return wrk.format("GET", "/api/v1/agents/me", { ["Authorization"] = "Bearer " .. keys[i] })
end
LUA

declare -A R
for config in off memory postgres; do
    case "$config" in
        off) start_server --set rate_limit/enabled=false --set rate_limit/store=memory ;;
        *) start_server --set rate_limit/store="$config" ;;
    esac
    log "$config: warm-up, then wrk"
    wrk -t2 -c64 -d2s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/agents/me" >/dev/null
    wrk -t1 -c1 -d"${DURATION}s" --latency -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/agents/me" >"$OUT/wrk-$config-c1.txt"
    wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/agents/me" >"$OUT/wrk-$config-onekey.txt"
    BW_KEYS_FILE="$TMP/keys" wrk -t2 -c64 -d"${DURATION}s" --latency -s "$TMP/keys.lua" "http://127.0.0.1:$PORT/api/v1/agents/me" >"$OUT/wrk-$config-256keys.txt"
    R[$config-c1]="$(wrk_sum "$OUT/wrk-$config-c1.txt")"
    R[$config-onekey]="$(wrk_sum "$OUT/wrk-$config-onekey.txt")"
    R[$config-256keys]="$(wrk_sum "$OUT/wrk-$config-256keys.txt")"
    if [[ "$config" == postgres ]]; then
        SUM="$(metric rate_limit_store_seconds_sum)"; CNT="$(metric rate_limit_store_seconds_count)"
        R[store-mean-us]="$(awk -v s="$SUM" -v c="$CNT" 'BEGIN { printf "%.0f", c ? s / c * 1e6 : 0 }')"
        R[store-count]="$CNT"
        R[store-errors]="$(metric rate_limit_store_errors_total)"
        psql_bw -c "SELECT count(*), pg_relation_size('rate_limit_counters'), pg_relation_size('rate_limit_counters_pkey') FROM rate_limit_counters" >"$OUT/after-wrk-size.txt"
    fi
    stop_server
done

log "$HITS upserts with pgbench (1,000 keys, 4 clients), the statement PgRateLimiter sends"
start_server --set rate_limit/store=postgres
psql_bw -c "TRUNCATE rate_limit_counters; SELECT pg_stat_reset_single_table_counters('rate_limit_counters'::regclass)"
cat >"$TMP/hit.sql" <<'SQL'
\set k random(1, 1000)
INSERT INTO rate_limit_counters AS c (key, window_start, window_seconds, count) SELECT 'agent:' || :k, floor(t.now / w.s)::bigint * w.s, w.s, 1 FROM (SELECT extract(epoch FROM statement_timestamp()) AS now) t, (SELECT 60::int AS s) w ON CONFLICT (key) DO UPDATE SET count = CASE WHEN c.window_seconds = EXCLUDED.window_seconds AND c.window_start >= EXCLUDED.window_start THEN c.count + 1 ELSE 1 END, window_start = CASE WHEN c.window_seconds = EXCLUDED.window_seconds THEN greatest(c.window_start, EXCLUDED.window_start) ELSE EXCLUDED.window_start END, window_seconds = EXCLUDED.window_seconds RETURNING count, window_start + window_seconds, extract(epoch FROM statement_timestamp())::float8;
SQL
PGPASSWORD="$(db_password)" "$PG_BIN/pgbench" -n -M prepared -c 4 -j 2 -t $((HITS / 4)) -f "$TMP/hit.sql" "${PGARGS[@]}" >"$OUT/pgbench-1M.txt" 2>&1
PGPASSWORD="$(db_password)" "$PG_BIN/pgbench" -n -M prepared -c 1 -j 1 -T 5 -f "$TMP/hit.sql" "${PGARGS[@]}" >"$OUT/pgbench-c1.txt" 2>&1
sleep 1.5 # statistics are flushed asynchronously
psql_bw -F ' ' -c "SELECT pg_relation_size('rate_limit_counters'), pg_relation_size('rate_limit_counters_pkey'),
                         (SELECT count(*) FROM rate_limit_counters), n_tup_upd, n_tup_hot_upd, n_dead_tup
                  FROM pg_stat_user_tables WHERE relname = 'rate_limit_counters'" >"$OUT/size-after-1M.txt"
# What one row per request would weigh (an append-only log of hits with an index to count them).
psql_bw -F ' ' -c "CREATE UNLOGGED TABLE rl_naive AS SELECT 'agent:' || (g % 1000) AS key, now() AS at FROM generate_series(1, $HITS) g;
                  CREATE INDEX ON rl_naive (key, at);
                  SELECT pg_relation_size('rl_naive'), pg_indexes_size('rl_naive'); DROP TABLE rl_naive;" >"$OUT/size-naive.txt"
stop_server

tps() { awk '/^tps/ { printf "%.0f", $3 }' "$1"; }
lat() { awk '/latency average/ { printf "%.3f", $4 }' "$1"; }
read -r T_BYTES I_BYTES ROWS UPD HOT DEAD <"$OUT/size-after-1M.txt"
read -r N_T N_I <"$OUT/size-naive.txt"
{
    echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "build: $BUILD_DIR ($(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")) $(git -C "$ROOT" rev-parse --short HEAD)"
    printf "\n| GET /api/v1/agents/me | off | memory | postgres |\n|---|---|---|---|\n"
    for s in c1 onekey 256keys; do
        for f in rps p50 p99; do
            row="| $s $f"
            for c in off memory postgres; do
                read -r rps p50 p99 n2 <<<"${R[$c-$s]}"
                case $f in rps) v="$rps req/s" ;; p50) v="$p50 ms" ;; p99) v="$p99 ms" ;; esac
                [[ "$n2" != 0 && -n "$n2" ]] && v="$v ($n2 non-2xx)"
                row="$row | $v"
            done
            echo "$row |"
        done
    done
    echo
    echo "server-side store round trip under the 256-key load: mean ${R[store-mean-us]} µs over ${R[store-count]} hits, errors ${R[store-errors]:-0}"
    echo "pgbench upsert, 1 client: $(tps "$OUT/pgbench-c1.txt") tps, $(lat "$OUT/pgbench-c1.txt") ms mean"
    echo "pgbench upsert, 4 clients, $HITS hits over 1,000 keys: $(tps "$OUT/pgbench-1M.txt") tps, $(lat "$OUT/pgbench-1M.txt") ms mean"
    echo "after $HITS hits: table $T_BYTES B, index $I_BYTES B, $ROWS rows; updates $UPD, HOT $HOT, dead tuples $DEAD"
    echo "row-per-request design for the same hits: table $N_T B, indexes $N_I B"
} | tee "$OUT/summary.md"
