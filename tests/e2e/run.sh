#!/usr/bin/env bash
# End-to-end tests (run by ./build.sh test): real WordPress (Debian's package) behind nginx + php-fpm, the plugin
# active, requests over HTTP with curl; the WP-CLI command; php/install.sh; the demo.
#
#   tests/e2e/run.sh
#
# 1. starts two sites with tests/e2e/lib/site.sh: e2e-native (extension loaded in php-fpm) and e2e-php (not);
# 2. tests/e2e/http-tests.php against both, in parallel: the seed's example, auth, whole-request errors, engine
#    choice, route precedence, /wp-json and ?rest_route=, caches, and every contract case (tests/contract/cases);
#    then tests/e2e/issue6-tests.php against both, in parallel (Idempotency-Key, dry runs, inventory/update,
#    webhook/inventory-update, export);
# 3. php/tests/cli (PHPUnit, WP-CLI stand-in inside the e2e-php site's WordPress), with and without the extension;
# 4. php/install.sh into a temp WordPress dir with --ext-dir / --php-conf-dir overrides (the machine's PHP is
#    not touched);
# 5. tests/e2e/demo.sh as site e2e-demo, then its stop.
# Prints one line per test and ends with `e2e: N passed, M failed, K skipped`. Logs: target/e2e/logs/.
#
# Environment: MULOPIMFWC_E2E_KEEP=1 leaves the sites running; MULOPIMFWC_EXT (default target/release/libmulopimfwc.so).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
SITE="$REPO/tests/e2e/lib/site.sh"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
EXT="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
export MULOPIMFWC_EXT="$EXT"
LOGS="$REPO/target/e2e/logs"
mkdir -p "$LOGS"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH
# shellcheck source=tests/lib/results.sh
. "$REPO/tests/lib/results.sh"

PASSED=0
FAILED=0
SKIPPED=0
T0=$(date +%s)
say() { printf '==> %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok    [%s] %s\n' "$1" "$2"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL  [%s] %s\n' "$1" "$2"; [ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/      /' | tail -n 30; }
# add_counts LOG: sum the E2E-COUNTS lines of a driver's log
add_counts() {
    local line p f s
    while read -r line; do
        p="$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")"
        f="$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")"
        s="$(sed -E 's/.*skipped=([0-9]+).*/\1/' <<<"$line")"
        PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
    done < <(grep -E '^E2E-COUNTS ' "$1" || true)
}

SITES=()
DB_STARTED=0
cleanup() {
    if [ "${MULOPIMFWC_E2E_KEEP:-0}" = 1 ]; then
        say "sites left running (MULOPIMFWC_E2E_KEEP=1): ${SITES[*]:-none}; stop with tests/e2e/lib/site.sh stop NAME"
    else
        local s
        for s in "${SITES[@]}"; do "$SITE" stop "$s" >/dev/null 2>&1 || true; done
    fi
    if [ "$DB_STARTED" = 1 ] && [ "${MULOPIMFWC_E2E_KEEP:-0}" != 1 ]; then
        "$MARIADB_SH" stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

finish() {
    local secs=$(($(date +%s) - T0))
    say "e2e took ${secs}s; logs in ${LOGS#"$REPO"/}"
    printf 'e2e: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
    [ "$FAILED" -eq 0 ]
    exit $?
}

# ------------------------------------------------------------------------------------------------ setup
if ! "$MARIADB_SH" status >/dev/null 2>&1; then
    say "starting MariaDB"
    if "$MARIADB_SH" start; then DB_STARTED=1; else fail setup "MariaDB (tests/lib/mariadb.sh start)"; finish; fi
fi

have_native=1
if [ ! -f "$EXT" ]; then
    have_native=0
    fail setup "extension $EXT missing (./build.sh build): the native site cannot run"
fi

say "starting sites e2e-native and e2e-php (tests/e2e/lib/site.sh)"
declare -A SITE_OK=()
start_site() { # NAME ENGINE
    if "$SITE" start "$1" --engine "$2" --workers 2 >"$LOGS/site-$1.log" 2>&1; then
        return 0
    fi
    return 1
}
pids=()
names=()
if [ "$have_native" = 1 ]; then start_site e2e-native native & pids+=($!); names+=(e2e-native); fi
start_site e2e-php php & pids+=($!); names+=(e2e-php)
for i in "${!pids[@]}"; do
    SITES+=("${names[$i]}")
    if wait "${pids[$i]}"; then
        SITE_OK[${names[$i]}]=1
        pass site "tests/e2e/lib/site.sh start ${names[$i]}"
    else
        fail site "tests/e2e/lib/site.sh start ${names[$i]}" "$(tail -n 30 "$LOGS/site-${names[$i]}.log")"
    fi
done

# ------------------------------------------------------------------------------------------------ HTTP
say "HTTP tests (tests/e2e/http-tests.php), both sites in parallel"
hpids=()
hnames=()
for s in e2e-native e2e-php; do
    [ -n "${SITE_OK[$s]:-}" ] || continue
    php "$REPO/tests/e2e/http-tests.php" "$REPO/target/e2e/$s/env" >"$LOGS/http-$s.log" 2>&1 &
    hpids+=($!)
    hnames+=("$s")
done
for i in "${!hpids[@]}"; do
    rc=0
    wait "${hpids[$i]}" || rc=$?
    log="$LOGS/http-${hnames[$i]}.log"
    cat "$log"
    if ! grep -q '^E2E-COUNTS ' "$log"; then
        fail http "tests/e2e/http-tests.php on ${hnames[$i]} ended (exit $rc) without counts" "$(tail -n 20 "$log")"
    else
        add_counts "$log"
    fi
done

# ------------------------------------------------------------------------------------------------ issue 6
say "issue 6 over HTTP (tests/e2e/issue6-tests.php: idempotency, dry runs, update/webhook routes, export), both sites in parallel"
ipids=()
inames=()
for s in e2e-native e2e-php; do
    [ -n "${SITE_OK[$s]:-}" ] || continue
    php "$REPO/tests/e2e/issue6-tests.php" "$REPO/target/e2e/$s/env" >"$LOGS/issue6-$s.log" 2>&1 &
    ipids+=($!)
    inames+=("$s")
done
for i in "${!ipids[@]}"; do
    rc=0
    wait "${ipids[$i]}" || rc=$?
    log="$LOGS/issue6-${inames[$i]}.log"
    cat "$log"
    if ! grep -q '^E2E-COUNTS ' "$log"; then
        fail issue6 "tests/e2e/issue6-tests.php on ${inames[$i]} ended (exit $rc) without counts" "$(tail -n 20 "$log")"
    else
        add_counts "$log"
    fi
done

# ------------------------------------------------------------------------------------------------ WP-CLI
if [ -n "${SITE_OK[e2e-php]:-}" ]; then
    say "WP-CLI command tests (php/tests/cli, WP-CLI stand-in inside the e2e-php site's WordPress)"
    for engine in native php; do
        cmd=(php)
        if [ "$engine" = native ]; then
            if [ "$have_native" != 1 ]; then continue; fi
            cmd+=(-d "extension=$EXT")
        fi
        cmd+=("$(command -v phpunit || echo /usr/bin/phpunit)" -c "$REPO/php/tests/cli/phpunit.xml" --log-junit "$LOGS/cli-$engine.xml" --testdox)
        rm -f "$LOGS/cli-$engine.xml"
        rc=0
        MULOPIMFWC_E2E_SITE_ENV="$REPO/target/e2e/e2e-php/env" MULOPIMFWC_CLI_ENGINE=$engine "${cmd[@]}" >"$LOGS/cli-$engine.log" 2>&1 || rc=$?
        sed "s/^/[cli-$engine] /" "$LOGS/cli-$engine.log" | grep -v '^\[cli-[a-z]*\] *$'
        if read -r t f e s < <(parse_junit "$LOGS/cli-$engine.xml"); then
            f=$((f + e))
            PASSED=$((PASSED + t - f - s)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
            if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "cli-$engine" "phpunit exited $rc with no failing test"; fi
        else
            fail "cli-$engine" "phpunit wrote no JUnit log (exit $rc): bootstrap failed?" "$(tail -n 20 "$LOGS/cli-$engine.log")"
        fi
    done
fi

# ------------------------------------------------------------------------------------------------ install.sh
if [ -f "$REPO/php/install.sh" ]; then
    say "php/install.sh into a temp WordPress dir (--ext-dir / --php-conf-dir overrides)"
    bash "$REPO/tests/e2e/install-test.sh" >"$LOGS/install.log" 2>&1
    cat "$LOGS/install.log"
    add_counts "$LOGS/install.log"
    grep -q '^E2E-COUNTS ' "$LOGS/install.log" || fail install "tests/e2e/install-test.sh ended without counts"
fi

# ------------------------------------------------------------------------------------------------ demo
if [ -f "$REPO/tests/e2e/demo.sh" ] && [ "$have_native" = 1 ]; then
    say "demo (tests/e2e/demo.sh as site e2e-demo)"
    SITES+=(e2e-demo)
    rc=0
    MULOPIMFWC_DEMO_NAME=e2e-demo bash "$REPO/tests/e2e/demo.sh" >"$LOGS/demo.log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ] && grep -q '"message": "Processed 2 items. 2 succeeded, 0 failed."' "$LOGS/demo.log" \
        && grep -q 'X-Mulopimfwc-Engine: native' "$LOGS/demo.log" && grep -q 'main-store' "$LOGS/demo.log"; then
        pass demo "demo.sh: the seed's example over HTTP, 2 succeeded, native engine, rows printed"
    else
        fail demo "demo.sh (exit $rc)" "$(tail -n 40 "$LOGS/demo.log")"
    fi
    if MULOPIMFWC_DEMO_NAME=e2e-demo bash "$REPO/tests/e2e/demo.sh" stop >>"$LOGS/demo.log" 2>&1 \
        && ! curl -s -o /dev/null --max-time 3 "$(. "$REPO/target/e2e/e2e-demo/env" && echo "$E2E_URL")/?rest_route=/"; then
        pass demo "demo.sh stop: the demo site no longer answers"
    else
        fail demo "demo.sh stop"
    fi
fi

finish
