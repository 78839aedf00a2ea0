#!/usr/bin/env bash
# `./build.sh test` stops early, with a non-zero exit and the reason, when the port of its MariaDB is taken by
# something else (e.g. the MariaDB of another checkout's demo), instead of running every suite against no database.
# Run by ./build.sh test; by hand: tests/lib/selftest-port.sh
#
# A throwaway listener on a free port stands in for the other process; the inner `build.sh test` gets that port
# (MULOPIMFWC_TEST_DB_PORT) and a temporary run dir (MULOPIMFWC_TEST_RUN_DIR), so the shared test MariaDB is never
# touched. Ends with `selftest-port: N passed, M failed`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
passed=0
failed=0
check() { # NAME CONDITION-EXIT-STATUS [DETAIL]
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1${3:+: $3}"
    fi
}
finish() {
    echo "selftest-port: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

if [ "${MULOPIMFWC_SELFTEST_PORT_INNER:-0}" = 1 ]; then
    # only reached when the inner build.sh test went past the port check: fail, and do not recurse
    check "build.sh test stopped before its suites" 1 "it ran them (and this self-test again)"
    finish
    exit 1
fi

T="$(mktemp -d)"
lpid=
cleanup() {
    if [ -n "$lpid" ]; then kill "$lpid" 2>/dev/null || true; wait "$lpid" 2>/dev/null || true; fi
    # a MariaDB that a broken build.sh might have started in the temp run dir
    if [ -f "$T/db/mysqld.pid" ]; then kill "$(cat "$T/db/mysqld.pid")" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT

# the listener: a free port from the kernel, accepts and closes connections for at most 10 minutes
php -r '
    $s = stream_socket_server("tcp://127.0.0.1:0", $errno, $errstr);
    if (!$s) { fwrite(STDERR, "listen: $errstr\n"); exit(1); }
    $n = stream_socket_get_name($s, false);
    file_put_contents($argv[1], substr($n, strrpos($n, ":") + 1) . "\n");
    $end = time() + 600;
    while (time() < $end) { $c = @stream_socket_accept($s, 1); if ($c) { fclose($c); } }
' "$T/port" &
lpid=$!
for ((i = 0; i < 50; i++)); do [ -s "$T/port" ] && break; sleep 0.1; done
port="$(cat "$T/port" 2>/dev/null || true)"
if [ -z "$port" ]; then
    check "throwaway listener on a free port" 1 "it did not start"
    finish
    exit 1
fi

t0=$(date +%s)
rc=0
MULOPIMFWC_SELFTEST_PORT_INNER=1 MULOPIMFWC_TEST_DB_PORT="$port" MULOPIMFWC_TEST_RUN_DIR="$T/db" MULOPIMFWC_KEEP_DB=0 \
    timeout --kill-after=10 600 "$REPO/build.sh" test >"$T/out" 2>&1 </dev/null || rc=$?
secs=$(($(date +%s) - t0))
sed 's/^/    | /' "$T/out" | tail -n 12

check "build.sh test exits non-zero (exit $rc)" "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo 0 || echo 1)"
check "it names the taken port" "$(grep -q "port $port on 127.0.0.1 is already taken" "$T/out" && echo 0 || echo 1)"
check "it says that no suite ran" "$(grep -q 'stopping here: no suite ran' "$T/out" && echo 0 || echo 1)"
check "it ran no suite (no build, cargo, PHPUnit, e2e)" \
    "$(grep -qE '^==> (cargo build|cargo fmt|cargo clippy|cargo test|tests/e2e/run.sh|tests/reliability)' "$T/out" && echo 1 || echo 0)"
check "its last line is the count: 0 passed, 1 failed" "$([ "$(tail -n 1 "$T/out")" = '0 passed, 1 failed' ] && echo 0 || echo 1)" \
    "last line: $(tail -n 1 "$T/out")"
check "it stopped within 120 s (${secs}s)" "$([ "$secs" -le 120 ] && echo 0 || echo 1)"
check "the other process keeps its port" "$(kill -0 "$lpid" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && echo 0 || echo 1)"
check "no MariaDB was started in the run dir" "$([ ! -f "$T/db/mysqld.pid" ] && echo 0 || echo 1)"
finish
