#!/usr/bin/env bash
# The reliability suite (issue 5) over HTTP: concurrency, racing stock decrements, a php-fpm worker killed
# mid-write, lock waits, dropped connections, MariaDB stopped or killed, hostile input, security, on real
# WooCommerce stores (issue 10).
#
#   tests/reliability/run.sh     about 2-3 minutes on 2 cores; last line `reliability: N passed, M failed, K skipped`
#
# It runs the groups once per stack (MULOPIMFWC_REL_STACKS, default "wc79 wc105": WordPress 6.1 + WooCommerce
# 7.9.0 and WordPress 7.1 + WooCommerce 10.5.0, WooCommerce active, see tests/e2e/lib/site.sh), each time with
# both engines (the native site's requests ask for the PHP engine with X-E2E-Force-PHP where a test runs both).
# A stack whose software is missing (site.sh exits 3) is skipped, counted and named. Per stack it starts (in
# parallel, before the first stack runs) and stops three throwaway sites under target/reliability/sites:
#   relSTACK-main  native engine, 4 fpm workers   concurrency, decrements, hostile input, security; then kill -9
#                                                 of the worker running a 100,000-item request
#   relSTACK-down  native engine, 4 fpm workers, on its OWN MariaDB (target/reliability/db2, port 33327,
#                  innodb_lock_wait_timeout=1): lock waits, killed connections/statements, MariaDB stopped /
#                  killed. The shared test MariaDB (tests/lib/mariadb.sh) is never stopped or killed by a test.
#   relSTACK-dml   native engine, 1 fpm worker    wp-config.php switched to a user with only SELECT/INSERT/UPDATE/DELETE
# The heavy parts (a second kill run, later in the write; the 1,000,000-item and 50 MB hostile bodies) run on the
# last stack only (MULOPIMFWC_REL_KILL_STACK, default wc105): they test the engines' parsing and transaction,
# which the stack does not change. The others run the first kill run. The kill group's 100,000-item positive
# control runs in the soak profile, or with MULOPIMFWC_REL_KILL_POSITIVE=1 (on the last stack).
# The shared test MariaDB is started when it is not running, and stopped again then.
# Figures for the README go to target/reliability/summary.md (per stack: target/reliability/STACK/stats.json).
#
# Environment: MULOPIMFWC_REL_PROFILE=quick|soak, MULOPIMFWC_REL_GROUPS=g1,g2 (see reliability.php),
# MULOPIMFWC_REL_STACKS, MULOPIMFWC_REL_KILL_STACK, MULOPIMFWC_REL_KILL_POSITIVE=0|1, MULOPIMFWC_REL_OUT (default target/reliability),
# MULOPIMFWC_REL_DB_PORT (own MariaDB, default 33327), MULOPIMFWC_REL_KEEP=1 (leave the sites running).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

PROFILE="${MULOPIMFWC_REL_PROFILE:-quick}"
OUT="${MULOPIMFWC_REL_OUT:-$REPO/target/reliability}"
SUITE="${MULOPIMFWC_REL_SUITE:-reliability}"
STACKS="${MULOPIMFWC_REL_STACKS:-wc79 wc105}"
SITES_DIR="$OUT/sites"
DB2_DIR="$OUT/db2"
DB2_PORT="${MULOPIMFWC_REL_DB_PORT:-33327}"
SITE_SH="$REPO/tests/e2e/lib/site.sh"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
SO="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
mkdir -p "$OUT"
LOG="$OUT/run.log"
: >"$LOG"
T_START=$(date +%s)

say() { printf '==> %s\n' "$*"; }
fail_setup() { # print the result line for a run that could not start, exit 1
    echo "$SUITE: setup failed: $*" >&2
    echo "$SUITE: 0 passed, 1 failed, 0 skipped"
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
stop_sites() { # NAME...: in parallel (each stop waits for its php-fpm and nginx to quit)
    local n pids=()
    for n in "$@"; do
        MULOPIMFWC_E2E_DIR="$SITES_DIR" "$SITE_SH" stop "$n" >>"$LOG" 2>&1 &
        pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || true; done
}
cleanup() {
    if [ "${MULOPIMFWC_REL_KEEP:-0}" != 1 ]; then
        stop_sites "${SITES[@]}"
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

# ---------------------------------------------------------------------------------------------------
# sites: every stack's three, started in parallel (each site.sh mostly waits on MariaDB and the installer)
site_name() { echo "rel${1#wc}-$2"; } # STACK ROLE: rel79-main, rel105-down, ...
declare -A START_PID=()
start_bg() { # STACK ROLE WORKERS [env assignments...]
    local stack=$1 role=$2 workers=$3 name
    shift 3
    name="$(site_name "$stack" "$role")"
    SITES+=("$name")
    env "$@" MULOPIMFWC_E2E_DIR="$SITES_DIR" "$SITE_SH" start "$name" --stack "$stack" --engine native --workers "$workers" \
        >"$OUT/start-$name.log" 2>&1 &
    START_PID[$name]=$!
}
for stack in $STACKS; do
    case "$stack" in wc79 | wc105) ;; *) fail_setup "unknown stack '$stack' in MULOPIMFWC_REL_STACKS (wc79, wc105)" ;; esac
    start_bg "$stack" main 4
    start_bg "$stack" down 4 MULOPIMFWC_TEST_RUN_DIR="$DB2_DIR" MULOPIMFWC_TEST_DB_PORT="$DB2_PORT"
    start_bg "$stack" dml 1
done
say "starting ${#SITES[@]} sites (stacks: $STACKS)"
declare -A STACK_SKIP=() STACK_FAIL=()
for stack in $STACKS; do
    for role in main down dml; do
        name="$(site_name "$stack" "$role")"
        rc=0
        wait "${START_PID[$name]}" || rc=$?
        cat "$OUT/start-$name.log" >>"$LOG"
        if [ "$rc" -eq 3 ]; then
            STACK_SKIP[$stack]="$(grep -m1 'skip:' "$OUT/start-$name.log" | sed 's/^site.sh: skip: //')"
        elif [ "$rc" -ne 0 ]; then
            STACK_FAIL[$stack]="site.sh start $name failed (exit $rc): $(tail -n 3 "$OUT/start-$name.log" | tr '\n' ' ')"
        fi
        rm -f "$OUT/start-$name.log"
    done
done
say "sites ready in $(($(date +%s) - T_START)) s"

KILL_STACK="${MULOPIMFWC_REL_KILL_STACK:-}"
if [ -z "$KILL_STACK" ]; then # the last stack that runs
    for stack in $STACKS; do
        if [ -z "${STACK_SKIP[$stack]:-}" ] && [ -z "${STACK_FAIL[$stack]:-}" ]; then KILL_STACK=$stack; fi
    done
fi
# The 100,000-item positive control of the kill group: in the soak, or when asked (it takes minutes with
# WooCommerce active, see README.md).
KILL_POSITIVE="${MULOPIMFWC_REL_KILL_POSITIVE:-$([ "$PROFILE" = soak ] && echo 1 || echo 0)}"
GROUPS_DEFAULT=hostile,security,concurrency,decrements,dbfaults,kill,dml,secrets
TOTAL_P=0 TOTAL_F=0 TOTAL_S=0
RESULTS=()
: >"$OUT/summary.md"
for stack in $STACKS; do
    if [ -n "${STACK_SKIP[$stack]:-}" ]; then
        say "stack $stack: skipped: ${STACK_SKIP[$stack]}"
        RESULTS+=("$SUITE [$stack]: skipped (${STACK_SKIP[$stack]})")
        TOTAL_S=$((TOTAL_S + 1))
        continue
    fi
    if [ -n "${STACK_FAIL[$stack]:-}" ]; then
        say "stack $stack: ${STACK_FAIL[$stack]}"
        RESULTS+=("$SUITE [$stack]: setup failed: ${STACK_FAIL[$stack]}")
        TOTAL_F=$((TOTAL_F + 1))
        continue
    fi
    main="$SITES_DIR/$(site_name "$stack" main)"
    down="$SITES_DIR/$(site_name "$stack" down)"
    dml="$SITES_DIR/$(site_name "$stack" dml)"
    cp "$REPO/tests/reliability/site/rel-pause.php" "$down/wp-content/mu-plugins/rel-pause.php"
    out="$OUT/$stack"
    mkdir -p "$out"
    args=(--main "$main/env" --kill "$main/env" --down "$down/env" --down-db "$DB2_DIR:$DB2_PORT" --dml "$dml/env"
        --profile "$PROFILE" --out "$out" --stack "$stack" --groups "${MULOPIMFWC_REL_GROUPS:-$GROUPS_DEFAULT}")
    if [ "$stack" != "$KILL_STACK" ]; then
        args+=(--kill-runs 1 --kill-positive 0 --hostile-big 0)
    else
        args+=(--kill-positive "$KILL_POSITIVE")
    fi
    say "stack $stack: php tests/reliability/reliability.php (profile $PROFILE)"
    t0=$(date +%s)
    : >"$out/run.log"
    php -d memory_limit=2G "$REPO/tests/reliability/reliability.php" "${args[@]}" 2>&1 | tee -a "$LOG" "$out/run.log"
    secs=$(($(date +%s) - t0))
    if [ "${MULOPIMFWC_REL_KEEP:-0}" != 1 ]; then stop_sites "$(site_name "$stack" main)" "$(site_name "$stack" down)" "$(site_name "$stack" dml)"; fi
    p=0 f=1 s=0
    line="$(grep -a '^RELIABILITY-COUNTS ' "$out/run.log" | tail -n 1)"
    if [[ "$line" =~ passed=([0-9]+)\ failed=([0-9]+)\ skipped=([0-9]+) ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
    else
        echo "$SUITE [$stack]: reliability.php ended without its counts line (crashed?)" >&2
    fi
    TOTAL_P=$((TOTAL_P + p)) TOTAL_F=$((TOTAL_F + f)) TOTAL_S=$((TOTAL_S + s))
    RESULTS+=("$SUITE [$stack]: $p passed, $f failed, $s skipped ($secs s)")

    # Figures for the README: target/reliability/summary.md, one section per stack
    if [ -f "$out/stats.json" ]; then
        php -r '
            [$_, $file, $out, $secs, $suite] = $argv;
            $s = json_decode(file_get_contents($file), true);
            $faults = [];
            foreach ($s["fault_kinds"] as $k => $n) { $faults[] = "$n × $k"; }
            $md = "# " . ucfirst($suite) . " figures, stack {$s["stack"]} ({$s["versions"]}; " . gmdate("Y-m-d H:i") . " UTC, profile {$s["profile"]}, {$secs} s)\n\n"
                . "| figure | value |\n|---|---|\n"
                . "| tests | {$s["passed"]} passed, {$s["failed"]} failed, {$s["skipped"]} skipped |\n"
                . "| HTTP requests sent | {$s["requests"]} |\n"
                . "| concurrent clients (most in flight) | {$s["max_clients"]} |\n"
                . "| faults injected | {$s["faults"]} (" . implode(", ", $faults) . ") |\n"
                . "| hostile inputs tried (per engine) | {$s["inputs"]} |\n"
                . "| WooCommerce decrements raced against syncs | {$s["decrements"]} |\n"
                . "| rows checked | {$s["rows_checked"]} |\n"
                . "| decrements or items lost | {$s["lost"]} |\n\n## Measures\n\n";
            foreach ($s["measures"] as $k => $v) { $md .= "- **$k**: $v\n"; }
            if ($s["notes"]) { $md .= "\n## Notes\n\n"; foreach ($s["notes"] as $n) { $md .= "- $n\n"; } }
            if ($s["failures"]) { $md .= "\n## Failing tests\n\n"; foreach ($s["failures"] as $n) { $md .= "- $n\n"; } }
            file_put_contents($out, $md . "\n", FILE_APPEND);
            echo "\n", $md;
        ' "$out/stats.json" "$OUT/summary.md" "$secs" "$SUITE"
    fi
done

cleanup
trap - EXIT
echo
for r in "${RESULTS[@]}"; do echo "$r"; done
echo "$SUITE: total time $(($(date +%s) - T_START)) s (sites included)"
echo "$SUITE: $TOTAL_P passed, $TOTAL_F failed, $TOTAL_S skipped"
[ "$TOTAL_F" -eq 0 ]
