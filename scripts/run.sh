#!/usr/bin/env bash
# Installs dependencies, builds, and starts BetterWorld on its embedded PostgreSQL:
# the desktop console when a display exists, the headless API server (`serve`) otherwise.
# Extra arguments go to the program, e.g.  scripts/run.sh --listen 127.0.0.1:4100
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BW_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j"$(nproc)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$BUILD/bin/betterworld" "$@"
else
  exec "$BUILD/bin/betterworld" serve "$@"
fi
