#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy on the given files (default: the C++ files changed
# against main), using the compile commands of the build tree ($BW_BUILD_DIR or build/).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BW_BUILD_DIR:-build}"
[ -f "$BUILD/compile_commands.json" ] || { echo "configure $BUILD first (scripts/test.sh does)" >&2; exit 2; }
if [ $# -eq 0 ]; then
    mapfile -t files < <(git diff --name-only --diff-filter=AM main -- '*.cpp')
else
    files=("$@")
fi
[ ${#files[@]} -gt 0 ] || { echo "tidy: nothing to check"; exit 0; }
clang-tidy -p "$BUILD" --quiet "${files[@]}"
