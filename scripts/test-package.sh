#!/usr/bin/env bash
# Runs every *.test.ts under a package's src/ and test/ with Node's built-in test runner (Node 20 has
# no glob support). Called from a package folder (npm test -w <package>); extra arguments go to node.
set -euo pipefail
mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/.snippets/*' | sort)
exec node --import tsx --test --test-concurrency=2 "$@" "${files[@]}"
