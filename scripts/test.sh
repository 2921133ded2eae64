#!/usr/bin/env bash
# Installs dependencies, builds everything and runs the whole test suite (unit, db, api, ui, fuzz, tsan).
# Tests start their own throw-away PostgreSQL clusters and servers; nothing else must be running.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BW_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/install-deps.sh" --test
"$ROOT/scripts/format.sh" --check # the house style (.clang-format), before spending minutes on a build
# -Werror: CI refuses new warnings (a local build without BW_WERROR only shows them).
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DBW_WERROR=ON
cmake --build "$BUILD" -j"$(nproc)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 900

# The request/JSON fuzz target under libFuzzer with ASan/UBSan (clang), fuzzing for 30 s.
# Only the libraries it needs are built, instrumented, in a separate tree.
FUZZ_BUILD="$BUILD-fuzz"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$FUZZ_BUILD" -G Ninja -DBW_BUILD_GUI=OFF -DBW_BUILD_FUZZERS=ON \
  -DBW_SKIP_TEST_SUITES="core;secrets;db;domain;http;app;ui;load;jobs;guardrails;moderation;ops;monitoring"
cmake --build "$FUZZ_BUILD" --target fuzz_request -j"$(nproc)"
ctest --test-dir "$FUZZ_BUILD" -L fuzz --output-on-failure

# The concurrency tests under ThreadSanitizer, in a third tree (GCC: clang 14's TSan runtime aborts
# when QProcess starts a child, see tests/support/tsanclone.cpp). The tests labelled `tsan` are those
# that drive our own threads (request pool, HTTP server, rate limiters in memory and in PostgreSQL,
# job system, operation registry, metric sampler, thread roles, logging, SMTP cancellation, runtime
# shutdown); only they and the server libraries are built. Debian's Qt is not instrumented:
# tests/tsan.supp names the Qt internals whose synchronisation TSan cannot see.
TSAN_BUILD="$BUILD-tsan"
CC=gcc CXX=g++ cmake -S "$ROOT" -B "$TSAN_BUILD" -G Ninja -DBW_BUILD_GUI=OFF -DBW_TSAN=ON -DBUILD_TESTING=ON \
  -DBW_SKIP_TEST_SUITES="secrets;ui;fuzz;load"
cmake --build "$TSAN_BUILD" --target bw_tsan_tests -j"$(nproc)"
ctest --test-dir "$TSAN_BUILD" -L tsan --output-on-failure -j2 --timeout 900
