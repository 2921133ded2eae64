#!/usr/bin/env bash
# Applies .clang-format to every C++ file in the repository, or with --check lists the files that
# differ from it and fails (scripts/test.sh runs the check, so CI refuses unformatted code).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--check" ]; then
    bad=()
    for f in "${files[@]}"; do
        clang-format --style=file "$f" | cmp -s - "$f" || bad+=("$f")
    done
    if [ ${#bad[@]} -gt 0 ]; then
        printf 'not formatted (run scripts/format.sh):\n' >&2
        printf '  %s\n' "${bad[@]}" >&2
        exit 1
    fi
    echo "format: ${#files[@]} files match .clang-format"
else
    clang-format --style=file -i "${files[@]}"
fi
