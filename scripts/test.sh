#!/usr/bin/env bash
# Runs every *.test.ts under src/ and test/ with Node's built-in test runner (Node 20 has no glob support).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 "$@" "${files[@]}"
