#!/usr/bin/env bash
# The soak: a longer, bounded run of the reliability suite's concurrency, decrement and kill tests with
# larger counts (8 clients x 60 rounds over 120 products x 4 locations; 20,000 decrements racing up to 3,000
# syncs; three kill -9 runs), through ./build.sh soak. Minutes, not hours: every loop has a count and a deadline.
# Ends with `soak: N passed, M failed`; figures in target/soak/summary.md.
#
# Environment: MULOPIMFWC_SOAK_GROUPS (default concurrency,decrements,kill), plus those of tests/reliability/run.sh.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export MULOPIMFWC_REL_PROFILE=soak
export MULOPIMFWC_REL_SUITE=soak
export MULOPIMFWC_REL_OUT="${MULOPIMFWC_REL_OUT:-$REPO/target/soak}"
export MULOPIMFWC_REL_GROUPS="${MULOPIMFWC_SOAK_GROUPS:-concurrency,decrements,kill}"
export MULOPIMFWC_REL_DB_PORT="${MULOPIMFWC_REL_DB_PORT:-33328}"
exec "$REPO/tests/reliability/run.sh" "$@"
