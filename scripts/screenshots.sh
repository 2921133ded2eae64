#!/usr/bin/env bash
# Renders docs/screenshots/overview.png (and overview_es.png) from the real widgets, offscreen,
# with fixed sample values (tests/ui/bw_screenshot.cpp), and docs/screenshots/console/<panel>.png
# of every console panel on a throw-away embedded database (tests/ui/bw_console_screenshots.cpp).
# No display needed.
# Usage: scripts/screenshots.sh [build-dir]     (default: build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
OUT="$ROOT/docs/screenshots"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja
fi
cmake --build "$BUILD" --target bw_screenshot bw_console_screenshots -j2
mkdir -p "$OUT"
export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
"$BUILD/bin/bw_screenshot" "$OUT/overview.png"
"$BUILD/bin/bw_screenshot" "$OUT/overview_es.png" es
# Every console panel, signed in as an administrator, on a throw-away embedded database.
"$BUILD/bin/bw_console_screenshots" "$OUT/console"
