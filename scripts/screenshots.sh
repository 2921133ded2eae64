#!/usr/bin/env bash
# Renders docs/screenshots/overview.png (and overview_es.png) from the real widgets, offscreen,
# with fixed sample values (tests/ui/bw_screenshot.cpp). No display needed.
# Usage: scripts/screenshots.sh [build-dir]     (default: build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
OUT="$ROOT/docs/screenshots"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja
fi
cmake --build "$BUILD" --target bw_screenshot -j2
mkdir -p "$OUT"
export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
"$BUILD/bin/bw_screenshot" "$OUT/overview.png"
"$BUILD/bin/bw_screenshot" "$OUT/overview_es.png" es
