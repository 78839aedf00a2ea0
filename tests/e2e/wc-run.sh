#!/usr/bin/env bash
# What a shop owner sees after a sync, on real WooCommerce stores: tests/e2e/wc-tests.php on
#
#   e2e-wc-79          WordPress 6.1 + WooCommerce 7.9.0
#   e2e-wc-79-redis    the same with Redis (the Redis Object Cache drop-in)
#   e2e-wc-105         WordPress 7.1 + WooCommerce 10.5.0
#   e2e-wc-105-rpc     the same with Redis and WooCommerce's product object cache (product_instance_caching)
#
# every site with the extension loaded in php-fpm; the suite runs the native engine and then the PHP engine (header
# X-E2E-Force-PHP) on each. Sites are started one by one, the suites run in parallel (MULOPIMFWC_WC_JOBS at a time,
# default 2), their logs are printed in order, and the last line sums them:
#
#   E2E-COUNTS wc passed=N failed=M skipped=K
#
# A stack whose software is missing (site.sh exit 3) is counted as one skipped test, with the reason printed.
# Environment: MULOPIMFWC_REDIS_DIR (default target/redis-wc); MULOPIMFWC_E2E_KEEP=1 leaves the sites running; MULOPIMFWC_WC_SITES="e2e-wc-79 ..." runs a subset.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
LOGS="$REPO/target/e2e/logs"
mkdir -p "$LOGS"
# shellcheck source=tests/lib/e2e-common.sh
. "$REPO/tests/lib/e2e-common.sh"
JOBS="${MULOPIMFWC_WC_JOBS:-2}"
# A Redis of this suite's own (tests/lib/redis.sh in its own dir; sites keep apart by prefix anyway).
OWN_REDIS=""
[ -n "${MULOPIMFWC_REDIS_DIR:-}" ] || OWN_REDIS=1
export MULOPIMFWC_REDIS_DIR="${MULOPIMFWC_REDIS_DIR:-$REPO/target/redis-wc}"

declare -A OPTS=(
    [e2e-wc-79]="--stack wc79"
    [e2e-wc-79-redis]="--stack wc79 --redis"
    [e2e-wc-105]="--stack wc105"
    [e2e-wc-105-rpc]="--stack wc105 --redis --product-cache"
)
ORDER=(e2e-wc-79 e2e-wc-79-redis e2e-wc-105 e2e-wc-105-rpc)
if [ -n "${MULOPIMFWC_WC_SITES:-}" ]; then
    read -r -a ORDER <<<"$MULOPIMFWC_WC_SITES"
fi

STARTED=()
cleanup() {
    [ "${MULOPIMFWC_E2E_KEEP:-0}" = 1 ] && return
    local s
    for s in "${STARTED[@]}"; do stop_site "$s"; done
    # our own Redis (not one named by the caller)
    [ -n "$OWN_REDIS" ] && "$REPO/tests/lib/redis.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

RUN=()
PIDS=()
for s in "${ORDER[@]}"; do
    [ -n "${OPTS[$s]:-}" ] || { fail wc "unknown site $s"; continue; }
    # shellcheck disable=SC2086
    start_site wc "$s" --engine native --workers 2 ${OPTS[$s]} || continue
    STARTED+=("$s")
    # at most JOBS suites at a time
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n 2>/dev/null || sleep 1
    done
    php "$REPO/tests/e2e/wc-tests.php" "$REPO/target/e2e/$s/env" >"$LOGS/wc-$s.log" 2>&1 &
    PIDS+=($!)
    RUN+=("$s")
done

for i in "${!RUN[@]}"; do
    wait "${PIDS[$i]}"
    rc=$?
    s="${RUN[$i]}"
    log="$LOGS/wc-$s.log"
    printf '==> tests/e2e/wc-tests.php on %s (%s)\n' "$s" "${OPTS[$s]}"
    cat "$log"
    collect wc "$log" "tests/e2e/wc-tests.php on $s" "$rc"
done

printf 'wc: %d passed, %d failed, %d skipped (%d s)\n' "$PASSED" "$FAILED" "$SKIPPED" "$(($(date +%s) - T0))"
printf 'E2E-COUNTS wc passed=%d failed=%d skipped=%d\n' "$PASSED" "$FAILED" "$SKIPPED"
[ "$FAILED" = 0 ]
