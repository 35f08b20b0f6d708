#!/usr/bin/env bash
# Long forms of the reliability suite, run by hand (`npm run reliability:long`): the same tests as
# CI with the figures of issue #10 (≥1M records and ≥10 SIGKILLs, a 60 s registry outage, 50+
# split-brain trials, 100k new hosts in the fuzz burst). Figures land in
# test-artifacts/reliability/*.jsonl; copy the latest into RELIABILITY.md. Takes about an hour on
# two busy cores; the shared stack must be up (`npm run stack:up`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export RELIABILITY_TIMEOUT_MS=5400000
export KILLS_RECORDS="${KILLS_RECORDS:-1000000}" KILLS="${KILLS:-12}"
export REGISTRY_OUTAGE_MS="${REGISTRY_OUTAGE_MS:-60000}"
export SPLIT_TRIALS="${SPLIT_TRIALS:-50}"
export FUZZ_NEW_HOSTS="${FUZZ_NEW_HOSTS:-100000}" FUZZ_PER_KIND="${FUZZ_PER_KIND:-50}"
export RESTART_RECORDS_PER_PHASE="${RESTART_RECORDS_PER_PHASE:-50000}" RESTART_DOWN_MS="${RESTART_DOWN_MS:-20000}"
exec npx vitest run --project integration --project exclusive --testTimeout="$RELIABILITY_TIMEOUT_MS" \
  test/reliability test/fuzz test/security "$@"
