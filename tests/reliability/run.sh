#!/usr/bin/env bash
# The reliability suite (issue 5) over HTTP: concurrency, racing stock decrements, a php-fpm worker killed
# mid-write, lock waits, dropped connections, MariaDB stopped or killed, hostile input, security.
#
#   tests/reliability/run.sh            about 3-5 minutes on 2 cores; last line `reliability: N passed, M failed`
#
# It starts (and stops again) four throwaway sites with tests/e2e/lib/site.sh under target/reliability/sites:
#   rel-main  native engine, 4 fpm workers   concurrency, decrements, hostile input (both engines), security
#   rel-kill  native engine, 4 fpm workers   kill -9 of the worker running a 100,000-item request
#   rel-down  native engine, 4 fpm workers, on its OWN MariaDB (target/reliability/db2, innodb_lock_wait_timeout=1)
#             lock waits, killed connections/statements, MariaDB stopped / killed (the other suites never see it)
#   rel-dml   native engine, 2 fpm workers   wp-config.php switched to a user with only SELECT/INSERT/UPDATE/DELETE
# The shared test MariaDB (tests/lib/mariadb.sh) is started when it is not running, and stopped again then.
# Figures for the README go to target/reliability/summary.md (and stats.json).
#
# Environment: MULOPIMFWC_REL_PROFILE=quick|soak, MULOPIMFWC_REL_GROUPS=g1,g2 (see reliability.php),
# MULOPIMFWC_REL_OUT (default target/reliability), MULOPIMFWC_REL_DB_PORT (own MariaDB, default 33327),
# MULOPIMFWC_REL_KEEP=1 (leave the sites running).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

PROFILE="${MULOPIMFWC_REL_PROFILE:-quick}"
OUT="${MULOPIMFWC_REL_OUT:-$REPO/target/reliability}"
SUITE="${MULOPIMFWC_REL_SUITE:-reliability}"
SITES_DIR="$OUT/sites"
DB2_DIR="$OUT/db2"
DB2_PORT="${MULOPIMFWC_REL_DB_PORT:-33327}"
SITE_SH="$REPO/tests/e2e/lib/site.sh"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
SO="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
mkdir -p "$OUT"
LOG="$OUT/run.log"
: >"$LOG"

say() { printf '==> %s\n' "$*"; }
fail_setup() { # print the result line for a run that could not start, exit 1
    echo "$SUITE: setup failed: $*" >&2
    echo "$SUITE: 0 passed, 1 failed"
    exit 1
}

[ -x "$SITE_SH" ] || fail_setup "tests/e2e/lib/site.sh missing"
if [ ! -f "$SO" ]; then
    say "building the extension (./build.sh build)"
    "$REPO/build.sh" build >>"$LOG" 2>&1 || fail_setup "./build.sh build failed (see $LOG)"
fi
export MULOPIMFWC_EXT="$SO"

STARTED_MAIN_DB=0
SITES=()
cleanup() {
    if [ "${MULOPIMFWC_REL_KEEP:-0}" != 1 ]; then
        local n
        for n in "${SITES[@]}"; do
            MULOPIMFWC_E2E_DIR="$SITES_DIR" "$SITE_SH" stop "$n" >>"$LOG" 2>&1 || true
        done
        MULOPIMFWC_TEST_RUN_DIR="$DB2_DIR" MULOPIMFWC_TEST_DB_PORT="$DB2_PORT" "$MARIADB_SH" stop >>"$LOG" 2>&1 || true
        if [ "$STARTED_MAIN_DB" = 1 ]; then "$MARIADB_SH" stop >>"$LOG" 2>&1 || true; fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$MARIADB_SH" status >/dev/null 2>&1; then
    say "starting the test MariaDB (tests/lib/mariadb.sh start)"
    "$MARIADB_SH" start >>"$LOG" 2>&1 || fail_setup "tests/lib/mariadb.sh start failed (see $LOG)"
    STARTED_MAIN_DB=1
fi
eval "$("$MARIADB_SH" env)"

say "own MariaDB for the database faults: $DB2_DIR (port $DB2_PORT, innodb_lock_wait_timeout=1)"
MULOPIMFWC_TEST_RUN_DIR="$DB2_DIR" MULOPIMFWC_TEST_DB_PORT="$DB2_PORT" MULOPIMFWC_TEST_DB_EXTRA_ARGS=--innodb-lock-wait-timeout=1 \
    "$MARIADB_SH" restart >>"$LOG" 2>&1 || fail_setup "could not start the second MariaDB (see $LOG)"

start_site() { # NAME WORKERS [env assignments for the DB...]
    local name=$1 workers=$2
    shift 2
    SITES+=("$name")
    say "site $name ($workers workers)"
    env "$@" MULOPIMFWC_E2E_DIR="$SITES_DIR" "$SITE_SH" start "$name" --engine native --workers "$workers" >>"$LOG" 2>&1 \
        || fail_setup "site.sh start $name failed (see $LOG)"
}
start_site rel-main 4
start_site rel-kill 4
start_site rel-down 4 MULOPIMFWC_TEST_RUN_DIR="$DB2_DIR" MULOPIMFWC_TEST_DB_PORT="$DB2_PORT"
cp "$REPO/tests/reliability/site/rel-pause.php" "$SITES_DIR/rel-down/wp-content/mu-plugins/rel-pause.php"
start_site rel-dml 2

args=(--main "$SITES_DIR/rel-main/env" --kill "$SITES_DIR/rel-kill/env" --down "$SITES_DIR/rel-down/env"
    --down-db "$DB2_DIR:$DB2_PORT" --dml "$SITES_DIR/rel-dml/env" --profile "$PROFILE" --out "$OUT")
if [ -n "${MULOPIMFWC_REL_GROUPS:-}" ]; then args+=(--groups "$MULOPIMFWC_REL_GROUPS"); fi
say "php tests/reliability/reliability.php (profile $PROFILE)"
t0=$(date +%s)
php -d memory_limit=2G "$REPO/tests/reliability/reliability.php" "${args[@]}" 2>&1 | tee -a "$LOG"
secs=$(($(date +%s) - t0))

passed=0 failed=1
line="$(grep -a '^RELIABILITY-COUNTS ' "$LOG" | tail -n 1)"
if [[ "$line" =~ passed=([0-9]+)\ failed=([0-9]+) ]]; then
    passed=${BASH_REMATCH[1]}
    failed=${BASH_REMATCH[2]}
else
    echo "$SUITE: reliability.php ended without its counts line (crashed?)" >&2
fi

# Figures for the README: target/reliability/summary.md
if [ -f "$OUT/stats.json" ]; then
    php -r '
        [$_, $file, $out, $secs, $suite] = $argv;
        $s = json_decode(file_get_contents($file), true);
        $faults = [];
        foreach ($s["fault_kinds"] as $k => $n) { $faults[] = "$n × $k"; }
        $md = "# " . ucfirst($suite) . " figures (" . gmdate("Y-m-d H:i") . " UTC, profile {$s["profile"]}, {$secs} s)\n\n"
            . "| figure | value |\n|---|---|\n"
            . "| tests | {$s["passed"]} passed, {$s["failed"]} failed, {$s["skipped"]} skipped |\n"
            . "| HTTP requests sent | {$s["requests"]} |\n"
            . "| concurrent clients (most in flight) | {$s["max_clients"]} |\n"
            . "| faults injected | {$s["faults"]} (" . implode(", ", $faults) . ") |\n"
            . "| hostile inputs tried (per engine) | {$s["inputs"]} |\n"
            . "| WooCommerce-style decrements raced against syncs | {$s["decrements"]} |\n"
            . "| rows checked | {$s["rows_checked"]} |\n"
            . "| decrements or items lost | {$s["lost"]} |\n\n## Measures\n\n";
        foreach ($s["measures"] as $k => $v) { $md .= "- **$k**: $v\n"; }
        if ($s["notes"]) { $md .= "\n## Notes\n\n"; foreach ($s["notes"] as $n) { $md .= "- $n\n"; } }
        if ($s["failures"]) { $md .= "\n## Failing tests\n\n"; foreach ($s["failures"] as $n) { $md .= "- $n\n"; } }
        file_put_contents($out, $md);
        echo "\n", $md;
    ' "$OUT/stats.json" "$OUT/summary.md" "$secs" "$SUITE"
fi

cleanup
trap - EXIT
echo "$SUITE: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
