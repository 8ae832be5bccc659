#!/usr/bin/env bash
# The README's test command (`npm test`). Prepares what the tests need, runs every test project once,
# and ends with the line `N passed, N failed`.
#   1. a Docker engine (installs Debian's docker.io and starts dockerd when none answers);
#   2. the gateway's own dependencies (gateway-image/ is its own package: it is the image's build context);
#   3. the local base images (no registry here: built from this machine's node and busybox, and its haproxy for
#      the socket proxy);
#   4. vitest: stack, gateway-unit and gateway-e2e projects (the e2e global setup builds the gateway image).
# The engine is stopped at the end if this script started it (set KEEP_DOCKERD=1 to keep it).
set -uo pipefail
cd "$(dirname "$0")/.."
results=test-results
mkdir -p "$results"

stop_engine() { [ -n "${KEEP_DOCKERD:-}" ] || bash scripts/docker-engine.sh stop; }
fail_setup() { echo "test setup failed: $1" >&2; echo "0 passed, 1 failed"; stop_engine; exit 1; }

bash scripts/docker-engine.sh start || fail_setup "no Docker engine (see the lines above)"
if [ ! -d gateway-image/node_modules ] || [ gateway-image/package-lock.json -nt gateway-image/node_modules/.package-lock.json ]; then
  npm ci --prefix gateway-image --no-audit --no-fund || fail_setup "npm ci in gateway-image"
fi
bash scripts/build-base-image.sh || fail_setup "building the local base image"
bash scripts/build-socket-proxy-base.sh || fail_setup "building the socket proxy's local base image"

npx vitest run --reporter=default --reporter=json --outputFile="$results/vitest.json" "$@"
rc=$?
summary=$(node scripts/test-summary.mjs "$results/vitest.json") || summary="0 passed, 1 failed"
stop_engine
echo "$summary"
exit $rc
