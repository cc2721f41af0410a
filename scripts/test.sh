#!/usr/bin/env bash
# The whole test suite: build (the CLI, the renet bundle), then every unit, command and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
npx vitest run "$@"
