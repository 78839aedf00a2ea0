#!/usr/bin/env bash
# End-to-end tests (run by ./build.sh test): real WordPress (Debian's package) behind nginx + php-fpm, the plugin
# active, requests over HTTP with curl; the WP-CLI command; php/install.sh; the demo.
#
#   tests/e2e/run.sh
#
# 1. starts the sites with tests/e2e/lib/site.sh: e2e-wc79-native / e2e-wc79-php (WordPress 6.1 + WooCommerce 7.9.0
#    active; the extension loaded in php-fpm or not), e2e-wc105-native / e2e-wc105-php (WordPress 7.1 +
#    WooCommerce 10.5.0), e2e-nowc-native (no WooCommerce); a stack whose software is missing is skipped;
# 2. tests/e2e/http-tests.php against every site, in parallel: the seed's example, auth, whole-request errors, engine
#    choice, route precedence, /wp-json and ?rest_route=, caches, and every contract case (tests/contract/cases);
#    then tests/e2e/idempotency-routes-tests.php against every site, in parallel (Idempotency-Key, dry runs, inventory/update,
#    webhook/inventory-update, export);
# 2b. tests/e2e/wc-run.sh: what WooCommerce reports after a sync (tests/e2e/wc-tests.php) on WooCommerce 7.9 / 10.5,
#    with and without Redis, and with WooCommerce 10.5's product object cache; tests/e2e/slug-run.sh; and
#    tests/e2e/jobs-run.sh: bulk-sync jobs worked by real Action Scheduler runners (tests/e2e/jobs-tests.php);
# 2c. tests/e2e/statements-tests.php: the server's statements of a whole request for 10 and for 5,000 items are
#    equal, WooCommerce 7.9 / 10.5 active, both engines (sites e2e-st-wc79, e2e-st-wc105);
# 3. php/tests/cli (PHPUnit driving the real WP-CLI as a process) on sites e2e-cli-wc79 and e2e-cli-wc105
#    (WooCommerce 7.9 / 10.5 active), with and without the extension;
# 4. php/install.sh into a temp WordPress dir with --ext-dir / --php-conf-dir overrides (the machine's PHP is
#    not touched);
# 5. tests/e2e/demo.sh as site e2e-demo (WooCommerce 7.9, a MariaDB of its own), the shop it opens (table, product
#    page, wp-admin login), then `demo stop` (site and that MariaDB stopped, the tests' MariaDB untouched).
# Prints one line per test and ends with `e2e: N passed, M failed, K skipped`. Logs: target/e2e/logs/.
#
# Environment: MULOPIMFWC_E2E_KEEP=1 leaves the sites running; MULOPIMFWC_EXT (default target/release/libmulopimfwc.so).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
EXT="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
export MULOPIMFWC_EXT="$EXT"
LOGS="$REPO/target/e2e/logs"
mkdir -p "$LOGS"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH
# shellcheck source=tests/lib/results.sh
. "$REPO/tests/lib/results.sh"
# shellcheck source=tests/lib/e2e-common.sh
. "$REPO/tests/lib/e2e-common.sh"

SITES=()
DB_STARTED=0
cleanup() {
    if [ "${MULOPIMFWC_E2E_KEEP:-0}" = 1 ]; then
        say "sites left running (MULOPIMFWC_E2E_KEEP=1): ${SITES[*]:-none}; stop with tests/e2e/lib/site.sh stop NAME"
    else
        local s
        for s in "${SITES[@]}"; do stop_site "$s"; done
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

# The matrix: every stack whose software tests/lib/deps.sh finds (WooCommerce 7.9 on WordPress 6.1, WooCommerce
# 10.5 on WordPress 7.1), both engines, WooCommerce active; and one site without WooCommerce (its "not active"
# path). A stack whose software is missing is skipped, and counted, with the reason.
STACKS=(wc79 wc105)
MATRIX=()
for st in "${STACKS[@]}"; do MATRIX+=("e2e-$st-native:$st:native" "e2e-$st-php:$st:php"); done
MATRIX+=("e2e-nowc-native:nowc:native")
say "starting the e2e sites (tests/e2e/lib/site.sh): ${MATRIX[*]%%:*}"
declare -A SITE_OK=()
declare -A SITE_STACK=()
pids=()
names=()
for m in "${MATRIX[@]}"; do
    IFS=: read -r name st eng <<<"$m"
    SITE_STACK[$name]=$st
    if [ "$eng" = native ] && [ "$have_native" != 1 ]; then continue; fi
    "$SITE" start "$name" --engine "$eng" --stack "$st" --workers 2 >"$LOGS/site-$name.log" 2>&1 &
    pids+=($!)
    names+=("$name")
done
for i in "${!pids[@]}"; do
    name=${names[$i]}
    SITES+=("$name")
    rc=0
    wait "${pids[$i]}" || rc=$?
    if site_result site "$name" "$rc" "tests/e2e/lib/site.sh start $name"; then
        SITE_OK[$name]=1
        pass site "tests/e2e/lib/site.sh start $name --stack ${SITE_STACK[$name]} ($(. "$REPO/target/e2e/$name/env" && echo "WordPress $E2E_WP_VERSION${E2E_WC_VERSION:+, WooCommerce $E2E_WC_VERSION}"))"
    fi
done

# run_driver LABEL SCRIPT [ARGS_FOR_NOWC...]: SCRIPT on every site that started, in parallel; logs and counts
# summed. The site without WooCommerce gets ARGS_FOR_NOWC (its contract cases run in tests/php, both engines).
run_driver() {
    local label=$1 script=$2 dpids=() dnames=() s i rc log extra
    shift 2
    for s in "${!SITE_OK[@]}"; do
        extra=()
        if [ "${SITE_STACK[$s]}" = nowc ]; then extra=("$@"); fi
        php "$REPO/$script" "$REPO/target/e2e/$s/env" "${extra[@]}" >"$LOGS/$label-$s.log" 2>&1 &
        dpids+=($!)
        dnames+=("$s")
    done
    for i in "${!dpids[@]}"; do
        rc=0
        wait "${dpids[$i]}" || rc=$?
        log="$LOGS/$label-${dnames[$i]}.log"
        sed "s/^/[${dnames[$i]}] /" "$log"
        collect "$label" "$log" "$script on ${dnames[$i]}" "$rc"
    done
}

# ------------------------------------------------------------------------------------------------ HTTP
say "HTTP tests (tests/e2e/http-tests.php) on every site, in parallel"
run_driver http tests/e2e/http-tests.php --group basic,auth,errors,cache,logs

# ------------------------------------------------------------------------------------------ idempotency, routes
say "idempotency, dry runs, update/webhook routes, export over HTTP (tests/e2e/idempotency-routes-tests.php) on every site, in parallel"
run_driver routes tests/e2e/idempotency-routes-tests.php
run_driver schema tests/e2e/schema-tests.php # the routes describe themselves: OPTIONS, the namespace index, real answers against their schemas

# ------------------------------------------------------------------------------------------------ WooCommerce
# What a shop owner sees after a sync (tests/e2e/wc-run.sh: tests/e2e/wc-tests.php on WooCommerce 7.9 and 10.5,
# without and with Redis, and with WooCommerce 10.5's product object cache; both engines on each site).
if [ "$have_native" = 1 ]; then
    say "what WooCommerce reports after a sync (tests/e2e/wc-run.sh)"
    rc=0
    bash "$REPO/tests/e2e/wc-run.sh" >"$LOGS/wc-run.log" 2>&1 || rc=$?
    cat "$LOGS/wc-run.log"
    collect wc "$LOGS/wc-run.log" tests/e2e/wc-run.sh "$rc" 'wc '
    say "location slugs as the site resolves them: en_US, de_DE, a transliteration filter (tests/e2e/slug-run.sh)"
    rc=0
    bash "$REPO/tests/e2e/slug-run.sh" >"$LOGS/slug-run.log" 2>&1 || rc=$?
    cat "$LOGS/slug-run.log"
    collect slug "$LOGS/slug-run.log" tests/e2e/slug-run.sh "$rc" 'slug '
    say "bulk-sync jobs on Action Scheduler: a 50,000-item job by 3 runners = one synchronous run, SIGKILL, cancel, status (tests/e2e/jobs-run.sh)"
    rc=0
    bash "$REPO/tests/e2e/jobs-run.sh" >"$LOGS/jobs-run.log" 2>&1 || rc=$?
    cat "$LOGS/jobs-run.log"
    collect jobs "$LOGS/jobs-run.log" tests/e2e/jobs-run.sh "$rc" 'jobs '

fi

# ------------------------------------------------------------------------------------------------ statements
# Statements of a whole HTTP request for 10 and for 5,000 items do not differ, WooCommerce active:
# tests/e2e/statements-tests.php on sites of their own, e2e-st-wc79 and e2e-st-wc105 (the extension loaded; both
# engines on each), counted by the server for a database user of the site's own; one site at a time.
if [ "$have_native" = 1 ]; then
    say "statements per request, 10 vs 5,000 items (tests/e2e/statements-tests.php)"
    for stack in wc79 wc105; do
        name="e2e-st-$stack"
        start_site statements "$name" --stack "$stack" --workers 2 || continue
        SITES+=("$name")
        rc=0
        php "$REPO/tests/e2e/statements-tests.php" --report "$REPO/target/e2e/$name/env" >"$LOGS/statements-$name.log" 2>&1 || rc=$?
        grep -v '^E2E-COUNTS ' "$LOGS/statements-$name.log"
        collect statements "$LOGS/statements-$name.log" "tests/e2e/statements-tests.php on $name" "$rc" 'statements '
        stop_site "$name"
    done
fi

# ------------------------------------------------------------------------------------------------ WP-CLI
# php/tests/cli: the real WP-CLI (tests/lib/deps.sh wp) run as a process against sites of their own with
# WooCommerce active, e2e-cli-wc79 and e2e-cli-wc105, each with both engines (php-fpm runs the php engine; the wp
# processes of the native run load the extension through PHP_ARGS). A stack whose software is missing (site.sh
# exit 3) is counted as skipped, with the reason.
say "WP-CLI command tests (php/tests/cli: the real WP-CLI on WooCommerce sites e2e-cli-wc79 and e2e-cli-wc105, both engines; the two stacks in parallel)"
cli_engines=(php)
if [ "$have_native" = 1 ]; then cli_engines=(native php); fi
# cli_stack STACK: its site, then each engine in turn; prints ok/FAIL/skip lines and `E2E-COUNTS cli-STACK ...`
cli_stack() {
    local stack=$1 name="e2e-cli-$1" rc engine junit log t f e s
    PASSED=0 FAILED=0 SKIPPED=0
    rc=0
    "$SITE" start "$name" --engine php --stack "$stack" --workers 2 >"$LOGS/site-$name.log" 2>&1 || rc=$?
    if [ "$rc" -eq 3 ]; then
        # one skipped test per engine, as the runs would count
        for engine in "${cli_engines[@]}"; do skip "cli-$stack-$engine" "$(skip_reason "$name")"; done
    elif site_result "cli-$stack" "$name" "$rc" "tests/e2e/lib/site.sh start $name --stack $stack"; then
        pass site "tests/e2e/lib/site.sh start $name --stack $stack"
        for engine in "${cli_engines[@]}"; do
            junit="$LOGS/cli-$stack-$engine.xml"
            log="$LOGS/cli-$stack-$engine.log"
            rm -f "$junit"
            rc=0
            MULOPIMFWC_E2E_SITE_ENV="$REPO/target/e2e/$name/env" MULOPIMFWC_CLI_ENGINE=$engine \
                "$(command -v phpunit || echo /usr/bin/phpunit)" -c "$REPO/php/tests/cli/phpunit.xml" --log-junit "$junit" --testdox \
                >"$log" 2>&1 || rc=$?
            sed "s/^/[cli-$stack-$engine] /" "$log" | grep -v '^\[cli-[a-z0-9]*-[a-z]*\] *$'
            if read -r t f e s < <(parse_junit "$junit"); then
                f=$((f + e))
                PASSED=$((PASSED + t - f - s)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
                if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "cli-$stack-$engine" "phpunit exited $rc with no failing test"; fi
            else
                fail "cli-$stack-$engine" "phpunit wrote no JUnit log (exit $rc): bootstrap failed?" "$(tail -n 20 "$log")"
            fi
        done
    fi
    printf 'E2E-COUNTS cli-%s passed=%d failed=%d skipped=%d\n' "$stack" "$PASSED" "$FAILED" "$SKIPPED"
}
cpids=()
for stack in wc79 wc105; do
    SITES+=("e2e-cli-$stack")
    cli_stack "$stack" >"$LOGS/cli-$stack.log" 2>&1 &
    cpids+=($!)
done
for i in "${!cpids[@]}"; do
    wait "${cpids[$i]}" || true
done
for stack in wc79 wc105; do
    cat "$LOGS/cli-$stack.log"
    collect "cli-$stack" "$LOGS/cli-$stack.log" "the WP-CLI tests on $stack" "?" "cli-$stack "
done

# ------------------------------------------------------------------------------------------------ install.sh
if [ -f "$REPO/php/install.sh" ]; then
    say "php/install.sh into a temp WordPress dir (--ext-dir / --php-conf-dir overrides)"
    rc=0
    bash "$REPO/tests/e2e/install-test.sh" >"$LOGS/install.log" 2>&1 || rc=$?
    cat "$LOGS/install.log"
    collect install "$LOGS/install.log" tests/e2e/install-test.sh "$rc"
fi

# ------------------------------------------------------------------------------------------------ demo
# tests/e2e/demo.sh as site e2e-demo on a MariaDB of its own (run dir target/e2e-demo-db, a free port), so that
# `demo stop` can be checked to stop the MariaDB the demo started, and never the tests' shared one.
if [ -f "$REPO/tests/e2e/demo.sh" ] && [ "$have_native" = 1 ]; then
    say "demo (tests/e2e/demo.sh as site e2e-demo, a MariaDB of its own)"
    SITES+=(e2e-demo)
    demo_db="$REPO/target/e2e-demo-db"
    demo_port="$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);')"
    demo_env=(MULOPIMFWC_DEMO_NAME=e2e-demo MULOPIMFWC_TEST_RUN_DIR="$demo_db" MULOPIMFWC_TEST_DB_PORT="$demo_port"
        MULOPIMFWC_TEST_DB_EXTRA_ARGS=--innodb-buffer-pool-size=64M)
    # a server left by an interrupted earlier run would be "already running" for the demo
    MULOPIMFWC_TEST_RUN_DIR="$demo_db" "$MARIADB_SH" stop >/dev/null 2>&1 || true
    rm -f "$REPO/target/demo/e2e-demo.state"
    rc=0
    env "${demo_env[@]}" bash "$REPO/tests/e2e/demo.sh" >"$LOGS/demo.log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ] && grep -q '"message": "Processed 2 items. 2 succeeded, 0 failed."' "$LOGS/demo.log" \
        && grep -q 'X-Mulopimfwc-Engine: native' "$LOGS/demo.log"; then
        pass demo "demo.sh: the seed's example over HTTP, 2 succeeded, native engine"
    else
        fail demo "demo.sh (exit $rc)" "$(tail -n 40 "$LOGS/demo.log")"
    fi
    # what the demo prints after the request (the part of its output after "after the request")
    after="$(sed -n '/^==> after the request/,$p' "$LOGS/demo.log")"
    demo_url="$(. "$REPO/target/e2e/e2e-demo/env" 2>/dev/null && echo "${E2E_URL:-}")" || demo_url=
    if grep -q 'WooCommerce is not available on this machine' "$LOGS/demo.log"; then
        SKIPPED=$((SKIPPED + 3))
        printf 'skip  [demo] the shop checks (WooCommerce table, product page, wp-admin login): WooCommerce is not available (tests/lib/deps.sh)\n'
        if grep -qE '^\| PROD-001 +\| main-store \([0-9]+\) +\| 100 +\| 29\.99 +\| 24\.99 +\|' <<<"$after"; then
            pass demo "demo.sh without WooCommerce: falls back to WordPress alone, says so, prints the rows"
        else
            fail demo "demo.sh without WooCommerce: rows" "$after"
        fi
    else
        # WooCommerce's view after the request: PROD-001 followed the main store (stock 100, in stock, lookup row),
        # PROD-002 kept WooCommerce's stock (0, out of stock: only the warehouse changed), both locations' rows
        if grep -qE "^What WooCommerce reports \(wc_get_product\(\) in a new PHP process; WooCommerce 7\.9\.0" <<<"$after" \
            && grep -qE '^\| *[0-9]+ \| PROD-001 +\| simple +\| 100 +\| instock +\| yes +\| 29\.99 +\| +\| 100 / instock +\| no +\|' <<<"$after" \
            && grep -qE '^\| *[0-9]+ \| PROD-002 +\| simple +\| 0 +\| outofstock +\| no +\| 14\.50 +\| +\| 0 / outofstock +\| yes +\|' <<<"$after" \
            && grep -qE '^\| *[0-9]+ \| PROD-003 +\| variable +\|' <<<"$after" \
            && grep -qE '^\| *[0-9]+ \|   PROD-003-S +\| variation +\| 12 +\| instock' <<<"$after" \
            && grep -qE '^\| PROD-001 +\| main-store \([0-9]+\) +\| 100 +\| 29\.99 +\| 24\.99 +\|' <<<"$after" \
            && grep -qE '^\| PROD-002 +\| warehouse \([0-9]+\) +\| 50 +\| 19\.99 +\| +\|' <<<"$after"; then
            pass demo "demo.sh on WooCommerce 7.9: the table shows what WooCommerce reports after the request (stock, status, lookup row, term, each location's stock and prices)"
        else
            fail demo "demo.sh on WooCommerce 7.9: the table after the request" "$after"
        fi
        product_url="$(sed -n 's/^Product page: *//p' "$LOGS/demo.log")"
        page="$(curl -s --max-time 30 "${product_url:-http://127.0.0.1:1/}" || true)"
        if [ -n "$product_url" ] && grep -q 'Demo T-Shirt' <<<"$page" && grep -q '100 in stock' <<<"$page"; then
            pass demo "the product page it prints shows the product, 100 in stock ($product_url)"
        else
            fail demo "the product page '$product_url'" "$(head -c 600 <<<"$page")"
        fi
        admin_user="$(sed -n 's/^wp-admin: .*user: \([^ ]*\) .*/\1/p' "$LOGS/demo.log")"
        admin_pw="$(sed -n 's/^wp-admin: .*password: \([^ ]*\).*/\1/p' "$LOGS/demo.log")"
        jar="$(mktemp)"
        login="$(curl -s --max-time 30 -c "$jar" -b 'wordpress_test_cookie=WP%20Cookie%20check' -o /dev/null -w '%{http_code} %{redirect_url}' \
            --data-urlencode "log=$admin_user" --data-urlencode "pwd=$admin_pw" -d 'wp-submit=Log+In&testcookie=1' "$demo_url/wp-login.php" || true)"
        products="$(curl -s --max-time 30 -b "$jar" "$demo_url/wp-admin/edit.php?post_type=product" || true)"
        rm -f "$jar"
        if [ -n "$admin_pw" ] && [[ "$login" == "302 $demo_url/wp-admin/"* ]] && grep -q 'Demo T-Shirt' <<<"$products" && grep -q 'Demo Cap' <<<"$products"; then
            pass demo "the wp-admin login it prints works ($admin_user at $demo_url/wp-login.php; Products lists the demo's products)"
        else
            fail demo "the wp-admin login it prints (user '$admin_user', login answer '$login')" "$(head -c 400 <<<"$products")"
        fi
    fi
    demo_pid="$(cat "$demo_db/mysqld.pid" 2>/dev/null || true)"
    if grep -qx 'mariadb_started=1' "$REPO/target/demo/e2e-demo.state" 2>/dev/null && [ -n "$demo_pid" ]; then
        pass demo "demo.sh records that it started its MariaDB (target/demo/e2e-demo.state, pid $demo_pid)"
    else
        fail demo "demo.sh did not record the MariaDB it started" "$(cat "$REPO/target/demo/e2e-demo.state" 2>/dev/null)"
    fi
    rc=0
    env "${demo_env[@]}" bash "$REPO/tests/e2e/demo.sh" stop >>"$LOGS/demo.log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ] && [ -n "$demo_url" ] && ! curl -s -o /dev/null --max-time 3 "$demo_url/?rest_route=/"; then
        pass demo "demo.sh stop: the demo site no longer answers"
    else
        fail demo "demo.sh stop (exit $rc): the site" "$(tail -n 10 "$LOGS/demo.log")"
    fi
    if [ -n "$demo_pid" ] && ! kill -0 "$demo_pid" 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$demo_port") 2>/dev/null \
        && [ ! -f "$REPO/target/demo/e2e-demo.state" ]; then
        pass demo "demo.sh stop: the MariaDB the demo started is stopped (pid $demo_pid gone, port $demo_port free)"
    else
        fail demo "demo.sh stop: the demo's MariaDB (pid ${demo_pid:-?}, port $demo_port) is still running" "$(tail -n 10 "$LOGS/demo.log")"
        MULOPIMFWC_TEST_RUN_DIR="$demo_db" "$MARIADB_SH" stop >/dev/null 2>&1 || true
    fi
    if "$MARIADB_SH" status >/dev/null 2>&1; then
        pass demo "demo.sh stop: the tests' own MariaDB still answers"
    else
        fail demo "demo.sh stop: the tests' own MariaDB no longer answers"
    fi
fi

finish
