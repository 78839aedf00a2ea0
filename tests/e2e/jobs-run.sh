#!/usr/bin/env bash
# Bulk-sync jobs end to end (issue 12): tests/e2e/jobs-tests.php on each WooCommerce stack, both engines:
#
#   jobs-wc79-native / jobs-wc79-php      WordPress 6.1 + WooCommerce 7.9.0
#   jobs-wc105-native / jobs-wc105-php    WordPress 7.1 + WooCommerce 10.5.0
#
# (tests/e2e/lib/site.sh; a native site loads the extension in php-fpm and its `wp` runners, a php site in neither).
# The two sites of a stack share one store, made once on the native site and copied into the other's database
# (jobs-tests.php). The stacks run at once (MULOPIMFWC_JOBS_PARALLEL, default 2; 1: one after the other); their logs
# are printed in order, then
#
#   E2E-COUNTS jobs passed=N failed=M skipped=K
#   jobs: N passed, M failed, K skipped (T s)
#
# A stack whose software is missing (site.sh exit 3) is one skipped test, with the reason. Without the extension
# (target/release/libmulopimfwc.so) only the php sites run. Environment: MULOPIMFWC_E2E_KEEP=1 leaves the sites
# running; MULOPIMFWC_JOBS_STACKS="wc79" runs a subset; MULOPIMFWC_JOBS_ARGS adds arguments to jobs-tests.php
# (e.g. "--items 20000", "--primary both").
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
LOGS="$REPO/target/e2e/logs"
mkdir -p "$LOGS"
# shellcheck source=tests/lib/e2e-common.sh
. "$REPO/tests/lib/e2e-common.sh"
EXT="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
PARALLEL="${MULOPIMFWC_JOBS_PARALLEL:-2}"
read -r -a STACKS <<<"${MULOPIMFWC_JOBS_STACKS:-wc79 wc105}"
read -r -a EXTRA <<<"${MULOPIMFWC_JOBS_ARGS:-}"
ENGINES=(native php)
if [ ! -f "$EXT" ]; then
    ENGINES=(php)
    skip jobs "native engine: the extension $EXT is missing (./build.sh build)"
fi

STARTED=()
cleanup() {
    local s
    for s in "${STARTED[@]}"; do stop_site "$s"; done
}
trap cleanup EXIT

# stack STACK: its sites, then jobs-tests.php on them; prints ok/FAIL/skip lines and the driver's counts
stack() {
    local st=$1 e name rc pids=() envs=() i
    PASSED=0 FAILED=0 SKIPPED=0
    for e in "${ENGINES[@]}"; do
        name="jobs-$st-$e"
        "$SITE" start "$name" --engine "$e" --stack "$st" --workers 2 >"$LOGS/site-$name.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!ENGINES[@]}"; do
        name="jobs-$st-${ENGINES[$i]}"
        rc=0
        wait "${pids[$i]}" || rc=$?
        if site_result "jobs-$st" "$name" "$rc" "tests/e2e/lib/site.sh start $name --stack $st --engine ${ENGINES[$i]}"; then
            envs+=("$REPO/target/e2e/$name/env")
        fi
    done
    if [ "${#envs[@]}" -eq "${#ENGINES[@]}" ]; then
        rc=0
        php "$REPO/tests/e2e/jobs-tests.php" "${envs[@]}" "${EXTRA[@]}" >"$LOGS/jobs-tests-$st.log" 2>&1 || rc=$?
        cat "$LOGS/jobs-tests-$st.log"
        if ! grep -q "^E2E-COUNTS jobs-$st " "$LOGS/jobs-tests-$st.log"; then
            fail "jobs-$st" "tests/e2e/jobs-tests.php ended (exit $rc) without counts" "$(tail -n 20 "$LOGS/jobs-tests-$st.log")"
        fi
    fi
    printf 'E2E-COUNTS jobs-%s-sites passed=%d failed=%d skipped=%d\n' "$st" "$PASSED" "$FAILED" "$SKIPPED"
    for e in "${ENGINES[@]}"; do stop_site "jobs-$st-$e"; done
}

RUN=()
PIDS=()
for st in "${STACKS[@]}"; do
    for e in "${ENGINES[@]}"; do STARTED+=("jobs-$st-$e"); done
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do
        wait -n 2>/dev/null || sleep 1
    done
    stack "$st" >"$LOGS/jobs-$st.log" 2>&1 &
    PIDS+=($!)
    RUN+=("$st")
done
for i in "${!RUN[@]}"; do
    wait "${PIDS[$i]}"
    st=${RUN[$i]}
    printf '==> tests/e2e/jobs-tests.php on %s (sites %s)\n' "$st" "$(printf "jobs-$st-%s " "${ENGINES[@]}")"
    cat "$LOGS/jobs-$st.log"
    collect jobs "$LOGS/jobs-$st.log" "tests/e2e/jobs-tests.php on $st" "?" "jobs-$st"
done

printf 'E2E-COUNTS jobs passed=%d failed=%d skipped=%d\n' "$PASSED" "$FAILED" "$SKIPPED"
printf 'jobs: %d passed, %d failed, %d skipped (%d s)\n' "$PASSED" "$FAILED" "$SKIPPED" "$(($(date +%s) - T0))"
[ "$FAILED" = 0 ]
