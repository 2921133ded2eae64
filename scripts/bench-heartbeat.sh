#!/usr/bin/env bash
# Heartbeat benchmark (BENCHMARKS.md "Heartbeats"; spec: performance.md "100 agents' heartbeats in
# 1 min": seed budget < 100 ms each, our goal p99 ≤ 5 ms; seed scenario 6: k6 shared-iterations).
#
#   scripts/bench-heartbeat.sh [BUILD_DIR] [--agents N] [--duration SECONDS] [--out DIR]
#
# Starts `betterworld serve` on a fresh embedded PostgreSQL (rate limiting ON with the default memory
# store, limits raised so nothing is rejected: the limiter's cost is included), registers N agents
# (default 100) through the API, then POST /api/v1/heartbeat/checkin (the body tst_heartbeatapi sends:
# timestamp + instructionsVersion + activitySummary + clientVersion):
#   seed    the seed's rate: each agent checks in once, evenly spread over 60 s, a fresh connection
#           per check-in like a real agent (curl; latency = curl's time_total incl. TCP connect)
#   burst   all N agents at the same moment (k6 shared-iterations with N VUs), fresh connections
#   closed  wrk -t2 -c64 for DURATION s, a Lua script rotating the N keys (throughput + p50/p95/p99)
# and CPU time per check-in (server and PostgreSQL, /proc/PID/stat). Needs curl, jq, wrk, psql.
set -Eeuo pipefail

BUILD_DIR=""
AGENTS=100
DURATION=10
OUT=""
while (($#)); do
    case "$1" in
        --agents) AGENTS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) echo "bench-heartbeat.sh: unknown option $1" >&2; exit 2 ;;
        *) BUILD_DIR="$1" ;;
    esac
    shift
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin/betterworld"
PORT="${BW_BENCH_PORT:-18495}"
OUT="${OUT:-/tmp/bw-bench-heartbeat-$(date +%Y%m%d-%H%M%S)}"
URL="http://127.0.0.1:$PORT/api/v1/heartbeat/checkin"

die() { echo "bench-heartbeat.sh: $*" >&2; exit 1; }
log() { echo "[bench-heartbeat $(date +%H:%M:%S)] $*" >&2; }
for tool in curl jq wrk; do command -v "$tool" >/dev/null || die "missing $tool"; done
[[ -x "$BIN" ]] || die "$BIN not built"

TMP="$(mktemp -d /tmp/bw-bench-heartbeat.XXXXXX)"
chmod 711 "$TMP" # as root the embedded cluster runs as `postgres`
DATA="$TMP/data"
mkdir -p "$OUT"
SERVER_PID=""
cleanup() {
    local rc=$?
    set +e
    if [[ -n "$SERVER_PID" ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BIG=10000000
"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --set secrets/backend=file \
    --set rate_limit/enabled=true --set rate_limit/store=memory --set rate_limit/registration=$BIG \
    --set rate_limit/agent_pending=$BIG --set rate_limit/public=$BIG >>"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 1500); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited (see $OUT/server.log)"
    sleep 0.02
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" || die "server not ready"

CLK_TCK="$(getconf CLK_TCK)"
cpu_ms() {
    local p t=0
    for p in "$@"; do
        t=$((t + $(awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
pg_pids() { local pm; pm="$(head -1 "$DATA/postgres/postmaster.pid" 2>/dev/null || true)"; [[ -n "$pm" ]] && { echo "$pm"; pgrep -P "$pm" || true; }; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

log "results in $OUT; load average $(loadavg); registering $AGENTS agents"
{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
    echo "build: $BUILD_DIR ($(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)) $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
    echo "loadavg at start: $(loadavg)"
} >"$OUT/machine.txt"
: >"$TMP/keys.txt"
for i in $(seq 1 "$AGENTS"); do
    curl -fsS -H 'Content-Type: application/json' \
        -d "{\"username\":\"hb_bench_$i\",\"framework\":\"custom\",\"specializations\":[\"education_access\"]}" \
        "http://127.0.0.1:$PORT/api/v1/auth/agents/register" | jq -r .data.apiKey >>"$TMP/keys.txt"
done
[[ "$(grep -cE '^[0-9a-f]{64}$' "$TMP/keys.txt")" == "$AGENTS" ]] || die "registration failed (API answers: $TMP/keys.txt)"

body() {
    printf '{"timestamp":"%s","instructionsVersion":"bench","clientVersion":"bench-heartbeat/1",' "$(date -u +%FT%T.%3NZ)"
    printf '"activitySummary":{"problemsReviewed":3,"problemsReported":1,"evidenceAdded":0,"solutionsProposed":1,'
    printf '"debatesContributed":2,"messagesReceived":4,"messagesResponded":4}}'
}
# One check-in with a fresh connection; prints "http_code time_total_ms".
checkin() {
    curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' -d "$(body)" "$URL" | awk '{ printf "%s %.3f\n", $1, $2 * 1000 }'
}
# "n p50 p95 p99 max non200" over the lines "code ms" of a file.
summarise() {
    local bad
    bad="$(awk '$1 != 200' "$1" | wc -l)"
    awk '{ print $2 }' "$1" | sort -n | awk -v bad="$bad" '
        { v[NR] = $1 }
        function q(p) { i = int(p * (NR - 1) + 0.5) + 1; return v[i] }
        END { printf "%d %.2f %.2f %.2f %.2f %d\n", NR, q(0.5), q(0.95), q(0.99), v[NR], bad }'
}
mapfile -t KEYS <"$TMP/keys.txt"
# The seed-rate run is each agent's first check-in (cold key lookup, as in the seed scenario); the
# burst and the closed loop run with the keys in the auth cache.

log "seed rate: $AGENTS check-ins evenly over 60 s (fresh connection each)"
echo "loadavg before seed: $(loadavg)" >>"$OUT/machine.txt"
: >"$OUT/seed.txt"
INTERVAL="$(awk -v n="$AGENTS" 'BEGIN { printf "%.4f", 60 / n }')"
T0="$(date +%s.%N)"
PIDS=()
for i in $(seq 0 $((AGENTS - 1))); do
    due="$(awk -v t="$T0" -v i="$i" -v d="$INTERVAL" 'BEGIN { printf "%.4f", t + i * d }')"
    wait_s="$(awk -v due="$due" -v now="$(date +%s.%N)" 'BEGIN { w = due - now; printf "%.4f", (w > 0 ? w : 0) }')"
    sleep "$wait_s"
    checkin "${KEYS[$i]}" >>"$OUT/seed.txt" &
    PIDS+=($!)
done
wait "${PIDS[@]}" # not a bare `wait`: the server is a child too
echo "loadavg after seed: $(loadavg)" >>"$OUT/machine.txt"

log "burst: $AGENTS check-ins at once"
: >"$OUT/burst.txt"
PIDS=()
for i in $(seq 0 $((AGENTS - 1))); do checkin "${KEYS[$i]}" >>"$OUT/burst.txt" & PIDS+=($!); done
wait "${PIDS[@]}"
sleep 1

log "closed loop: wrk -t2 -c64 -d${DURATION}s rotating $AGENTS keys"
cat >"$TMP/checkin.lua" <<'LUA'
local keys = {}
for line in io.lines(os.getenv("BW_KEYS_FILE")) do keys[#keys + 1] = line end
local i = math.random(#keys)
local body = '{"timestamp":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '","instructionsVersion":"bench",'
    .. '"clientVersion":"bench-heartbeat/1","activitySummary":{"problemsReviewed":3,"problemsReported":1,'
    .. '"evidenceAdded":0,"solutionsProposed":1,"debatesContributed":2,"messagesReceived":4,"messagesResponded":4}}'
request = function()
    i = i % #keys + 1
    return wrk.format("POST", "/api/v1/heartbeat/checkin",
        { ["Authorization"] = "Bearer " .. keys[i], ["Content-Type"] = "application/json" }, body)
end
done = function(summary, latency, requests)
    io.write(string.format("SUMMARY %d %.0f %.3f %.3f %.3f %.3f %d %d\n", summary.requests,
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
mapfile -t PGP < <(pg_pids)
A0="$(cpu_ms "$SERVER_PID")"; G0="$(cpu_ms "${PGP[@]}")"
echo "loadavg before closed: $(loadavg)" >>"$OUT/machine.txt"
BW_KEYS_FILE="$TMP/keys.txt" wrk -t2 -c64 -d"${DURATION}s" --latency -s "$TMP/checkin.lua" "$URL" >"$OUT/wrk-closed.txt" 2>&1 \
    || die "wrk failed"
A1="$(cpu_ms "$SERVER_PID")"; G1="$(cpu_ms "${PGP[@]}")"
echo "loadavg at end: $(loadavg)" >>"$OUT/machine.txt"
read -r _ W_N W_RPS W_P50 W_P95 W_P99 W_MAX W_NON2XX W_ERR <<<"$(grep '^SUMMARY' "$OUT/wrk-closed.txt")"
read -r CPU_APP CPU_PG <<<"$(awk -v n="$W_N" -v a="$((A1 - A0))" -v g="$((G1 - G0))" \
    'BEGIN { if (n > 0) printf "%.0f %.0f\n", 1000 * a / n, 1000 * g / n; else print "0 0" }')"

read -r S_N S_P50 S_P95 S_P99 S_MAX S_BAD <<<"$(summarise "$OUT/seed.txt")"
read -r B_N B_P50 B_P95 B_P99 B_MAX B_BAD <<<"$(summarise "$OUT/burst.txt")"
ROWS="$(curl -fsS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ready")"
{
    echo "BetterWorld heartbeat bench: $(sed -n 's/^cpu: //p' "$OUT/machine.txt"); $AGENTS agents"
    sed -n 's/^loadavg /load average /p' "$OUT/machine.txt"
    echo
    echo "| run | seed budget | our goal | req/s | p50 ms | p95 ms | p99 ms | max ms | non-200 / errors |"
    echo "|---|---|---|---|---|---|---|---|---|"
    echo "| seed rate: $S_N check-ins over 60 s, fresh connection each (curl) | < 100 ms each | p99 ≤ 5 ms | $(awk -v n="$S_N" 'BEGIN { printf "%.2f", n / 60 }') | $S_P50 | $S_P95 | $S_P99 | $S_MAX | $S_BAD |"
    echo "| burst: $B_N check-ins at once, fresh connections (curl) | < 100 ms each | p99 ≤ 5 ms | — | $B_P50 | $B_P95 | $B_P99 | $B_MAX | $B_BAD |"
    echo "| closed loop, wrk -t2 -c64 ${DURATION}s, $AGENTS keys | — | — | $W_RPS | $W_P50 | $W_P95 | $W_P99 | $W_MAX | $W_NON2XX / $W_ERR |"
    echo
    echo "CPU per check-in (closed loop): app $CPU_APP µs + PostgreSQL $CPU_PG µs; /ready after the run: $ROWS"
} | tee "$OUT/table.md"
log "raw outputs in $OUT"
