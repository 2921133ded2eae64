#!/usr/bin/env bash
# Installs dependencies, builds everything and runs the whole test suite (unit, db, api, ui, fuzz).
# Tests start their own throw-away PostgreSQL clusters and servers; nothing else must be running.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BW_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/install-deps.sh" --test
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON
cmake --build "$BUILD" -j"$(nproc)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 900
