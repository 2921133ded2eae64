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
# The build's precompiled headers are GCC's (.gch), which clang cannot read: give clang-tidy the same
# commands with each PCH header copied where no .gch sits beside it, so it parses the header as text.
DB="$(mktemp -d)"
trap 'rm -rf "$DB"' EXIT
python3 - "$BUILD/compile_commands.json" "$DB" <<'PY'
import json, re, shutil, sys, os
src, out = sys.argv[1], sys.argv[2]
cmds = json.load(open(src))
copies = {}
def text_copy(m):
    hxx = m.group(1)
    if hxx not in copies:
        copies[hxx] = os.path.join(out, 'pch%d.hxx' % len(copies))
        shutil.copyfile(hxx, copies[hxx])
    return '-include ' + copies[hxx]
for c in cmds:
    c['command'] = re.sub(r'-include (\S+cmake_pch\.hxx)', text_copy, c['command']).replace('-Winvalid-pch', '')
json.dump(cmds, open(os.path.join(out, 'compile_commands.json'), 'w'))
PY
clang-tidy -p "$DB" --quiet "${files[@]}"
