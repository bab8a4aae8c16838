#!/usr/bin/env bash
# Rebuilds the playground bundle from the locked npm packages (`npm ci && npm run build` in
# playground/) and fails when the result differs from the committed playground/dist/.
set -euo pipefail
cd "$(dirname "$0")/../playground"
npm ci --no-audit --no-fund --silent
npm run --silent build >/dev/null
if ! git diff --quiet -- dist; then
  git --no-pager diff --stat -- dist
  echo "playground/dist is stale: run \`npm ci && npm run build\` in playground/ and commit dist/" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- dist)" ]; then
  git status --short -- dist
  echo "playground/dist has files that are not committed" >&2
  exit 1
fi
echo "playground/dist matches its sources"
