#!/usr/bin/env bash
# Runs every *.test.ts under src/ and test/ with node:test through tsx.
# Node 20's test runner does not expand globs itself, so bash does (globstar).
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
files=(src/**/*.test.ts test/**/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-reporter=spec "${files[@]}"
