#!/usr/bin/env bash
# The self-describing routes on sites of their own (issue 14, part 3): tests/e2e/schema-tests.php on schema-wc79
# (WordPress 6.1 + WooCommerce 7.9.0) and schema-wc105 (WordPress 7.1 + WooCommerce 10.5.0), the extension loaded
# (the driver runs every test for the native engine and, through X-E2E-Force-PHP, the PHP engine), in parallel.
# tests/e2e/run.sh runs the same driver on its own sites; this runner is for working on the schemas alone.
#
#   tests/e2e/schema-run.sh [--filter SUBSTRING]
#
# Prints one line per test and `E2E-COUNTS schema ...`; exits non-zero on a failure. A stack whose software is missing
# is skipped and counted. MULOPIMFWC_E2E_KEEP=1 leaves the sites running. Logs: target/e2e/logs/schema-*.log.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
LOGS="$REPO/target/e2e/logs"
mkdir -p "$LOGS"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH
# shellcheck source=tests/lib/e2e-common.sh
. "$REPO/tests/lib/e2e-common.sh"

EXT="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
export MULOPIMFWC_EXT="$EXT"
engine=native
if [ ! -f "$EXT" ]; then
    engine=php
    say "extension $EXT missing (./build.sh build): the PHP engine only"
fi
"$REPO/tests/lib/mariadb.sh" status >/dev/null 2>&1 || "$REPO/tests/lib/mariadb.sh" start || { fail schema "MariaDB (tests/lib/mariadb.sh start)"; exit 1; }

pids=()
names=()
for stack in wc79 wc105; do
    (
        PASSED=0 FAILED=0 SKIPPED=0
        name="schema-$stack"
        if start_site schema "$name" --engine "$engine" --stack "$stack" --workers 2; then
            rc=0
            php "$REPO/tests/e2e/schema-tests.php" "$REPO/target/e2e/$name/env" "$@" >"$LOGS/schema-$name.log" 2>&1 || rc=$?
            sed "s/^/[$name] /" "$LOGS/schema-$name.log" | grep -v '\] E2E-COUNTS '
            collect schema "$LOGS/schema-$name.log" "tests/e2e/schema-tests.php on $name" "$rc" schema-
            stop_site "$name"
        fi
        printf 'E2E-COUNTS schema-%s passed=%d failed=%d skipped=%d\n' "$stack" "$PASSED" "$FAILED" "$SKIPPED"
    ) >"$LOGS/schema-run-$stack.log" 2>&1 &
    pids+=($!)
    names+=("$stack")
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || true
    cat "$LOGS/schema-run-${names[$i]}.log"
    collect schema "$LOGS/schema-run-${names[$i]}.log" "the schema tests on ${names[$i]}" 0 "schema-${names[$i]} "
done
printf 'E2E-COUNTS schema passed=%d failed=%d skipped=%d\n' "$PASSED" "$FAILED" "$SKIPPED"
[ "$FAILED" -eq 0 ]
