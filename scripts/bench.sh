#!/usr/bin/env bash
# BetterWorld benchmark run (docs: BENCHMARKS.md, spec: performance.md).
#
#   scripts/bench.sh [BUILD_DIR] [--100k] [--duration SECONDS] [--out DIR] [--keep]
#
# Starts a fresh `betterworld serve` on an embedded PostgreSQL in a temp dir, measures startup to
# /ready (first run with initdb + migrations, then a restart on the existing cluster), seeds approved
# problems with generate_series SQL (10,000; 100,000 with --100k), then runs wrk (closed loop) and
# bw_load (open loop) scenarios, a bare Asio /health baseline, and samples RSS of betterworld and of
# the PostgreSQL processes. Prints one table (what | seed budget | our goal | measured); raw outputs
# go to --out (default /tmp/bw-bench-results-<time>). Needs: wrk, curl, jq, psql, and the load tools
# built (BUILD_TESTING=ON builds tests/load: bw_load, bare_responder). Run it as root or as a normal
# user; as root the embedded cluster runs as `postgres`, so the temp dir is made enterable (0711).
set -Eeuo pipefail

BUILD_DIR=""
PROBLEMS=10000
DURATION=10
OUT=""
KEEP=0
while (($#)); do
    case "$1" in
        --100k) PROBLEMS=100000 ;;
        --duration) DURATION="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        -*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
        *) BUILD_DIR="$1" ;;
    esac
    shift
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BIN="$BUILD_DIR/bin/betterworld"
BW_LOAD="$BUILD_DIR/bin/bw_load"
BARE="$BUILD_DIR/bin/bare_responder"
PORT="${BW_BENCH_PORT:-18480}"
BARE_PORT="${BW_BENCH_BARE_PORT:-18481}"
OUT="${OUT:-/tmp/bw-bench-results-$(date +%Y%m%d-%H%M%S)}"

die() { echo "bench.sh: $*" >&2; exit 1; }
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
for tool in wrk curl jq; do command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y --no-install-recommends $tool)"; done
PG_BIN="$(pg_config --bindir 2>/dev/null || true)"
PSQL="$PG_BIN/psql"; [[ -x "$PSQL" ]] || PSQL="$(command -v psql || true)"
[[ -x "$PSQL" ]] || die "psql not found (postgresql-client)"
for f in "$BIN" "$BW_LOAD" "$BARE"; do [[ -x "$f" ]] || die "$f not built (cmake --build $BUILD_DIR)"; done
BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
[[ "$BUILD_TYPE" == Release ]] || log "WARNING: build type is '${BUILD_TYPE:-unknown}', not Release: numbers are not comparable"

TMP="$(mktemp -d /tmp/bw-bench.XXXXXX)"
chmod 711 "$TMP"
DATA="$TMP/data"
mkdir -p "$OUT"
SERVER_PID=""
BARE_PID=""
SAMPLER_PID=""

cleanup() {
    local rc=$?
    set +e
    [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null
    [[ -n "$BARE_PID" ]] && kill "$BARE_PID" 2>/dev/null && wait "$BARE_PID" 2>/dev/null
    stop_server
    if ((KEEP)); then log "kept $TMP"; else rm -rf "$TMP"; fi
    ((rc == 0)) || echo "bench.sh: FAILED (exit $rc); server log: $OUT/server.log" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "bench.sh: error at line $LINENO: $BASH_COMMAND" >&2' ERR

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

start_server() {
    "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" \
        --set rate_limit/enabled=false --set secrets/backend=file "$@" >>"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
}

# Sets READY_S: seconds from spawn to the first 200 from /ready. (Not in $(...): SERVER_PID must stick.)
# shellcheck disable=SC2120 # extra args are --set options for the server
start_and_time_ready() {
    local t0
    t0="$(now)"
    start_server "$@"
    for _ in $(seq 1 1500); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/ready" 2>/dev/null; then
            READY_S="$(elapsed "$t0" "$(now)")"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during startup (see $OUT/server.log)"
        sleep 0.02
    done
    die "the server was not ready after 30 s (see $OUT/server.log)"
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$SERVER_PID" 2>/dev/null && { log "server did not stop in 15 s: SIGKILL"; kill -KILL "$SERVER_PID"; }
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# CPU time (ms, user + system) used so far by the given PIDs; with wall-clock rates on a shared
# machine, CPU per request is the number that does not depend on what else is running.
CLK_TCK="$(getconf CLK_TCK)"
cpu_ms() {
    local p t=0
    for p in "$@"; do
        t=$((t + $(awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pss_kb() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# The postmaster of our cluster and its children (backends, walwriter, ...).
pg_pids() {
    local pm
    pm="$(head -1 "$DATA/postgres/postmaster.pid" 2>/dev/null || true)"
    [[ -n "$pm" ]] || return 0
    echo "$pm"
    pgrep -P "$pm" || true
}
pg_rss_kb() { local s=0 p; for p in $(pg_pids); do s=$((s + $(rss_kb "$p"))); done; echo "$s"; }
pg_pss_kb() { local s=0 p; for p in $(pg_pids); do s=$((s + $(pss_kb "$p"))); done; echo "$s"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Max memory (kB) while a load runs: "bw_rss pg_rss_sum pg_pss_sum". Summed RSS counts PostgreSQL's
# shared buffers once per backend; PSS splits shared pages between the processes (the honest total).
start_sampler() {
    (
        local bw=0 pg=0 pgp=0 a b c
        trap 'echo "$bw $pg $pgp" > "$OUT/rss-$1.txt"; exit 0' TERM
        while true; do
            a="$(rss_kb "$SERVER_PID")"; b="$(pg_rss_kb)"; c="$(pg_pss_kb)"
            if ((a > bw)); then bw=$a; fi
            if ((b > pg)); then pg=$b; fi
            if ((c > pgp)); then pgp=$c; fi
            echo "$bw $pg $pgp" > "$OUT/rss-$1.txt"
            sleep 0.25
        done
    ) &
    SAMPLER_PID=$!
}
stop_sampler() { kill -TERM "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""; }

db_password() { jq -r '."database-password"' "$DATA/secrets.json" | base64 -d; }
psql_bw() {
    PGPASSWORD="$(db_password)" "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$DATA/postgres/run" -p 5432 -U betterworld -d betterworld "$@"
}

# wrk → $OUT/wrk-NAME.sum: "rps p50_ms p99_ms non2xx socket_errors requests app_cpu_us_per_req pg_cpu_us_per_req"
# (CPU of APP_PIDS, default the server, and of the PostgreSQL processes, per request)
wrk_run() {
    local name="$1" url="$2" app0 pg0 app1 pg1 pgp
    local app_pids="${APP_PIDS:-$SERVER_PID}"
    pgp="$(pg_pids | tr '\n' ' ')"
    # shellcheck disable=SC2086
    app0="$(cpu_ms $app_pids)"; pg0="$(cpu_ms $pgp)"
    wrk -t2 -c64 -d"${DURATION}s" --latency "$url" >"$OUT/wrk-$name.txt" 2>&1 || die "wrk failed ($name)"
    # shellcheck disable=SC2086
    app1="$(cpu_ms $app_pids)"; pg1="$(cpu_ms $pgp)"
    grep -q "Requests/sec" "$OUT/wrk-$name.txt" || die "wrk produced no result ($name)"
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        /Non-2xx/ { non2xx = $NF }
        /Socket errors/ { err = $4 + $6 + $8 + $10 }
        / requests in / { n = $1 }
        END { printf "%.0f %.2f %.2f %d %d %d %.1f %.1f\n", rps, p50, p99, non2xx, err, n,
                     n ? 1000 * (a1 - a0) / n : 0, n ? 1000 * (g1 - g0) / n : 0 }' \
        a0="$app0" a1="$app1" g0="$pg0" g1="$pg1" "$OUT/wrk-$name.txt" >"$OUT/wrk-$name.sum"
}

# bw_load → the JSON summary file; extract fields with jq.
# (also CPU per completed request: $OUT/load-NAME.cpu = "app_us pg_us")
load_run() {
    local name="$1" app0 pg0 app1 pg1 pgp n; shift
    pgp="$(pg_pids | tr '\n' ' ')"
    # shellcheck disable=SC2086
    app0="$(cpu_ms "$SERVER_PID")"; pg0="$(cpu_ms $pgp)"
    "$BW_LOAD" "$@" >"$OUT/load-$name.json" 2>"$OUT/load-$name.err" || die "bw_load failed ($name): $(cat "$OUT/load-$name.err")"
    # shellcheck disable=SC2086
    app1="$(cpu_ms "$SERVER_PID")"; pg1="$(cpu_ms $pgp)"
    n="$(jq -r .completed "$OUT/load-$name.json")"
    awk -v n="$n" -v a="$((app1 - app0))" -v g="$((pg1 - pg0))" \
        'BEGIN { if (n > 0) printf "%.0f %.0f\n", 1000 * a / n, 1000 * g / n; else print "0 0" }' >"$OUT/load-$name.cpu"
}
cpuf() { local a g; read -r a g <"$OUT/load-$1.cpu"; echo "CPU/req app $a µs + pg $g µs"; }
jqf() { jq -r "$2" "$OUT/load-$1.json"; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------------------------------------
log "results in $OUT; load average at start: $(loadavg)"
{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
    echo "ram: $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "build: $BUILD_DIR ($BUILD_TYPE) $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || true)"
    echo "loadavg at start: $(loadavg)"
} >"$OUT/machine.txt"

log "first start (initdb + migrations)"
start_and_time_ready
T_FIRST="$READY_S"
stop_server
log "restart on the existing cluster"
start_and_time_ready
T_RESTART="$READY_S"
sleep 2
RSS_IDLE_BW="$(rss_kb "$SERVER_PID")"; RSS_IDLE_PG="$(pg_rss_kb)"; PSS_IDLE_PG="$(pg_pss_kb)"

log "registering the bench agent and seeding $PROBLEMS approved problems"
REG="$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"username":"bench_agent","framework":"custom","specializations":["education_access"]}' \
    "http://127.0.0.1:$PORT/api/v1/auth/agents/register")" || die "registration failed"
API_KEY="$(jq -r '.data.apiKey' <<<"$REG")"
AGENT_ID="$(jq -r '.data.agentId' <<<"$REG")"
[[ "$API_KEY" =~ ^[0-9a-f]{64}$ ]] || die "unexpected registration answer: $REG"
T0="$(now)"
psql_bw <<SQL
INSERT INTO problems (reported_by_agent_id, title, description, domain, severity, geographic_scope,
                      guardrail_status, created_at)
SELECT '$AGENT_ID'::uuid,
       'Seeded problem number ' || g,
       'Seeded by scripts/bench.sh: a description long enough to look like a real report, number ' || g,
       (ARRAY['poverty_reduction','education_access','healthcare_improvement','environmental_protection',
              'food_security','mental_health_wellbeing','community_building','disaster_response',
              'digital_inclusion','human_rights','clean_water_sanitation','sustainable_energy',
              'gender_equality','biodiversity_conservation','elder_care'])[1 + g % 15],
       (ARRAY['low','medium','high','critical'])[1 + g % 4],
       'local', 'approved', now() - make_interval(secs => g)
FROM generate_series(1, $PROBLEMS) AS g;
ANALYZE problems;
SQL
T_SEED="$(elapsed "$T0" "$(now)")"
log "seeded in ${T_SEED}s"
# Per-statement timings for the notes (the library is preloaded by the embedded cluster).
psql_bw -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 \
    || log "pg_stat_statements not available"
# Eight more agents: POST /problems from one agent vs spread over several.
AGENT_KEYS=""
for i in 1 2 3 4 5 6 7 8; do
    R="$(curl -fsS -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench_agent_$i\",\"framework\":\"custom\",\"specializations\":[\"education_access\"]}" \
        "http://127.0.0.1:$PORT/api/v1/auth/agents/register")" || die "registration $i failed"
    AGENT_KEYS="$AGENT_KEYS${AGENT_KEYS:+,}$(jq -r '.data.apiKey' <<<"$R")"
done

LIST_URL="http://127.0.0.1:$PORT/api/v1/problems?limit=20"
DOMAIN_URL="$LIST_URL&domain=education_access"
curl -fsS "$DOMAIN_URL" | jq -e '.data | length == 20' >/dev/null || die "list does not return 20 items"

log "GET /health vs a bare Asio responder on :$BARE_PORT, interleaved twice (best of each; the machine is shared)"
"$BARE" "$BARE_PORT" 2 >/dev/null 2>&1 &
BARE_PID=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$BARE_PORT/health" 2>/dev/null && break; sleep 0.05; done
BARE_RPS=0; H_RPS=0
for round in 1 2; do
    APP_PIDS="$BARE_PID" wrk_run "bare-health-$round" "http://127.0.0.1:$BARE_PORT/health"
    read -r r p50 p99 _ _ _ cpu _ <"$OUT/wrk-bare-health-$round.sum"
    if ((r > BARE_RPS)); then BARE_RPS=$r; BARE_P99=$p99; BARE_CPU=$cpu; fi
    wrk_run "health-$round" "http://127.0.0.1:$PORT/health"
    read -r r p50 p99 non2xx err _ cpu _ <"$OUT/wrk-health-$round.sum"
    if ((r > H_RPS)); then H_RPS=$r; H_P50=$p50; H_P99=$p99; H_NON2XX=$non2xx; H_ERR=$err; H_CPU=$cpu; fi
done
kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true; BARE_PID=""

log "wrk list, list+domain (RSS sampled)"
start_sampler list
wrk_run list "$LIST_URL"
read -r L_RPS L_P50 L_P99 L_NON2XX L_ERR _ L_CPU L_PGCPU <"$OUT/wrk-list.sum"
wrk_run list-domain "$DOMAIN_URL"
read -r D_RPS D_P50 D_P99 D_NON2XX D_ERR _ D_CPU D_PGCPU <"$OUT/wrk-list-domain.sum"
stop_sampler
read -r RSS_LOAD_BW RSS_LOAD_PG PSS_LOAD_PG <"$OUT/rss-list.txt"

log "bw_load open loop 1,000 req/s on list+domain"
load_run open-list --url "$DOMAIN_URL" --rate 1000 --duration "${DURATION}s" -c 64
log "bw_load ramp 100 → 4,000 req/s on list+domain"
load_run ramp-list --url "$DOMAIN_URL" --start-rate 100 --stages "$((DURATION / 2))s:4000,$((DURATION / 2))s:4000" -c 64

log "POST /api/v1/problems closed loop, one agent key"
start_sampler post
load_run create-problems --url "http://127.0.0.1:$PORT" --scenario create-problems --api-key "$API_KEY" \
    --rate 0 -c 32 --duration "${DURATION}s"
stop_sampler
read -r RSS_POST_BW RSS_POST_PG PSS_POST_PG <"$OUT/rss-post.txt"
log "POST /api/v1/problems closed loop, 8 agents"
load_run create-problems-8 --url "http://127.0.0.1:$PORT" --scenario create-problems --api-key "$AGENT_KEYS" \
    --rate 0 -c 32 --duration "${DURATION}s"

log "registration: open loop at 2,000/s, then closed loop (capacity)"
load_run register-open --url "http://127.0.0.1:$PORT" --scenario register-burst --rate 2000 --duration "$((DURATION / 2))s" -c 64
load_run register-closed --url "http://127.0.0.1:$PORT" --scenario register-burst --rate 0 -c 32 --duration "$((DURATION / 2))s"

RSS_AFTER_BW="$(rss_kb "$SERVER_PID")"
# Which statements cost the most (pg_stat_statements is preloaded by the embedded cluster).
psql_bw -c "SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms, round(total_exec_time::numeric) AS total_ms,
                   left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
            FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12" >"$OUT/pg_stat_statements.txt" 2>&1 \
    || echo "(pg_stat_statements unavailable)" >"$OUT/pg_stat_statements.txt"
echo "loadavg at end: $(loadavg)" >>"$OUT/machine.txt"

# ---------------------------------------------------------------------------------------------
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }
MAX_RSS_BW=$(( RSS_LOAD_BW > RSS_POST_BW ? RSS_LOAD_BW : RSS_POST_BW ))
MAX_RSS_BW=$(( MAX_RSS_BW > RSS_AFTER_BW ? MAX_RSS_BW : RSS_AFTER_BW ))
MAX_RSS_PG=$(( RSS_LOAD_PG > RSS_POST_PG ? RSS_LOAD_PG : RSS_POST_PG ))
MAX_PSS_PG=$(( PSS_LOAD_PG > PSS_POST_PG ? PSS_LOAD_PG : PSS_POST_PG ))
row() { printf '| %s | %s | %s | %s |\n' "$@"; }
{
    echo "BetterWorld bench: $(sed -n 's/^cpu: //p' "$OUT/machine.txt"); $PROBLEMS problems; ${DURATION}s per run"
    echo "load average: $(sed -n 's/^loadavg at start: //p' "$OUT/machine.txt") (start), $(loadavg) (end)"
    echo
    row "what" "seed budget" "our goal" "measured"
    row "---" "---" "---" "---"
    row "GET /health (wrk -t2 -c64)" "—" "≥ 70 % of bare Asio" \
        "$H_RPS req/s = $(pct "$H_RPS" "$BARE_RPS") of bare $BARE_RPS req/s; p50 $H_P50 ms, p99 $H_P99 ms (bare $BARE_P99 ms), non-2xx $H_NON2XX, socket errors $H_ERR; CPU/req $H_CPU µs vs bare $BARE_CPU µs ($(pct "$BARE_CPU" "$H_CPU"))"
    row "GET /problems?limit=20 (wrk -c64)" "p95 < 200 ms at 50 req/s" "≥ 8,000 req/s, p99 ≤ 25 ms" \
        "$L_RPS req/s, p50 $L_P50 ms, p99 $L_P99 ms, non-2xx $L_NON2XX, socket errors $L_ERR; CPU/req app $L_CPU µs + pg $L_PGCPU µs"
    row "GET /problems?limit=20&domain= (wrk -c64)" "p95 < 200 ms at 50 req/s" "≥ 8,000 req/s, p99 ≤ 25 ms" \
        "$D_RPS req/s, p50 $D_P50 ms, p99 $D_P99 ms, non-2xx $D_NON2XX, socket errors $D_ERR; CPU/req app $D_CPU µs + pg $D_PGCPU µs"
    row "same, open loop 1,000 req/s (bw_load)" "—" "p99 ≤ 10 ms" \
        "achieved $(jqf open-list '.achieved_rps|floor') req/s, p50 $(jqf open-list .latency_ms.p50) ms, p99 $(jqf open-list .latency_ms.p99) ms, max $(jqf open-list .latency_ms.max) ms, errors $(jqf open-list .errors)"
    row "same, ramp 100 → 4,000 req/s (bw_load)" "—" "(capacity probe)" \
        "achieved $(jqf ramp-list '.achieved_rps|floor') req/s; p99 at 4,000/s $(jqf ramp-list '.stages[1].latency_ms.p99') ms; dropped $(jqf ramp-list .dropped)"
    row "POST /api/v1/problems (closed, 32 conn, 1 key)" "5/s" "≥ 2,000 req/s, p99 ≤ 50 ms" \
        "$(jqf create-problems '.achieved_rps|floor') req/s, p50 $(jqf create-problems .latency_ms.p50) ms, p99 $(jqf create-problems .latency_ms.p99) ms, errors $(jqf create-problems .errors); $(cpuf create-problems)"
    row "POST /api/v1/problems (closed, 32 conn, 8 keys)" "5/s" "≥ 2,000 req/s, p99 ≤ 50 ms" \
        "$(jqf create-problems-8 '.achieved_rps|floor') req/s, p50 $(jqf create-problems-8 .latency_ms.p50) ms, p99 $(jqf create-problems-8 .latency_ms.p99) ms, errors $(jqf create-problems-8 .errors); $(cpuf create-problems-8)"
    row "POST /auth/agents/register (open 2,000/s)" "50/s burst, < 1 % errors" "≥ 2,000/s, 0 errors" \
        "achieved $(jqf register-open '.achieved_rps|floor')/s, p99 $(jqf register-open .latency_ms.p99) ms, errors $(jqf register-open .errors) ($(jqf register-open '.error_rate*100|.*100|floor/100') %)"
    row "POST /auth/agents/register (closed, 32 conn)" "—" "≥ 2,000/s, 0 errors" \
        "$(jqf register-closed '.achieved_rps|floor')/s, p99 $(jqf register-closed .latency_ms.p99) ms, errors $(jqf register-closed .errors); $(cpuf register-closed)"
    row "startup to /ready, first run (initdb + migrations)" "—" "≤ 10 s" "$T_FIRST s"
    row "startup to /ready, existing cluster" "—" "≤ 3 s" "$T_RESTART s"
    row "RSS idle: betterworld / postgres (sum)" "—" "≤ 80 MB (headless app)" \
        "$(mb "$RSS_IDLE_BW") MB / $(mb "$RSS_IDLE_PG") MB (PSS $(mb "$PSS_IDLE_PG") MB)"
    row "RSS under load (max): betterworld / postgres" "—" "≤ 250 MB" "$(mb "$MAX_RSS_BW") MB / $(mb "$MAX_RSS_PG") MB (PSS $(mb "$MAX_PSS_PG") MB)"
    row "seed $PROBLEMS problems (generate_series)" "—" "—" "$T_SEED s"
} | tee "$OUT/table.md"
log "done; raw outputs in $OUT"
