#!/usr/bin/env bash
# The whole test suite from a fresh machine: install what the tests need (scripts/test-deps.sh), build the CLI and
# the renet bundle, make the test-host image and the Traefik binary (both cached under /var/cache/rdc-testhost, so
# their time shows here once rather than inside a test's setup), then every unit, command and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
npm run --silent build
npx tsx scripts/testhost.ts build
npx tsx -e "import('./test/support/traefik/image.ts').then((m) => m.ensureTraefikRootfsTar((l) => console.log('traefik: ' + l)))"
if [ $# -gt 0 ]; then
  npx vitest run "$@"
else
  # Unit tests first, files in parallel; then the integration suites, one file at a time on real test hosts.
  npx vitest run --project unit
  npx vitest run --project integration
fi
