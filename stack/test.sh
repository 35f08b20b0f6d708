#!/usr/bin/env bash
# The project's test command (`npm test`): installs the Debian programs the integration tests
# drive, brings up the local stack (unless KAFKA_BROKERS points at a cluster), runs every vitest
# project, and ends with the plain summary line `N passed, N failed`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mkdir -p test-artifacts
if [[ "${FORESHADOW_SKIP_DEPS:-}" != "1" ]]; then bash stack/install-deps.sh; fi

started_stack=0
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  bash stack/stack.sh up >/dev/null
  started_stack=1
fi
# In CI nothing may outlive the run; on a laptop the stack stays up for the next run.
if [[ "${CI:-}" == "true" && $started_stack == 1 ]]; then trap 'bash stack/stack.sh down >/dev/null 2>&1 || true' EXIT; fi

# CI's short forms keep the suite inside CI's 25-minute budget: 2 split-brain trials, one
# actuator-crash PROMOTE case instead of two, the bench suite's pipeline throughput only (by hand:
# 10 trials, both cases, every pipeline part; long form: `npm run reliability:long`).
if [[ "${CI:-}" == "true" ]]; then
  export SPLIT_TRIALS="${SPLIT_TRIALS:-2}"
  export FORESHADOW_CI_SHORT="${FORESHADOW_CI_SHORT:-1}"
fi

status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?

node -e '
const fs = require("node:fs");
const f = "test-artifacts/vitest.json";
if (!fs.existsSync(f)) { console.log("0 passed, 1 failed"); process.exit(0); }
const r = JSON.parse(fs.readFileSync(f, "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit $status
