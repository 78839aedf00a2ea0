#!/usr/bin/env bash
# Profiles of the engines on the bench site (bench/run.sh --profile / --profile-only call this with the
# site's environment exported). Writes bench/results/profile.txt:
#   1. MariaDB's slow log (long_query_time 0, query plans) for one direct call of the native engine at each
#      size in PROFILE_SIZES (default 10000,100000) and of the PHP engine at 100 items: every statement with
#      its time, rows examined and rows sent, and the engine's wall time beside the sum;
#   2. where the machine's CPU time goes during a native call (perf record -a -e cpu-clock: split by process
#      and shared object, then the top symbols of the php process), when perf can sample here.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$REPO/target/bench-work"
OUT="${PROFILE_OUT:-$REPO/bench/results/profile.txt}"
SIZES="${PROFILE_SIZES:-10000,100000}"
: "${E2E_WP_DIR:?}" "${MULOPIMFWC_DB_ROOT_SOCKET:?}" "${BENCH_SO:?}"
R=(mariadb --no-defaults -S "$MULOPIMFWC_DB_ROOT_SOCKET" -uroot)
CLI="$REPO/bench/lib/cli.php"

die() { printf 'profile.sh: %s\n' "$*" >&2; exit 1; }
reset() {
    local max
    max=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["seed_max_meta_id"];' "$WORK/state.json")
    "${R[@]}" "$E2E_DB_NAME" -e "DELETE FROM wp_postmeta WHERE meta_id > $max"
    sleep 1
}

# slowlog NAME CMD...: run CMD with the slow log on, then summarise the statements it logged
slowlog() {
    local name=$1 log="$WORK/slow-$1.log"
    shift
    rm -f "$log"
    "${R[@]}" -e "SET GLOBAL slow_query_log_file='$log'; SET GLOBAL long_query_time=0; SET GLOBAL log_slow_verbosity='query_plan'; SET GLOBAL slow_query_log=1"
    local res
    res="$("$@")"
    "${R[@]}" -e "SET GLOBAL slow_query_log=0; SET GLOBAL long_query_time=10"
    echo "### $name"
    echo "engine result: $res"
    awk -v who="$E2E_DB_USER" '
        /^# User@Host:/ { mine = (index($0, "[" who "]") > 0 || index($0, who "[") > 0) }
        /^# Query_time:/ { qt = $3; ex = $9; se = $7 }
        /^# Full_scan:/ { fs = $3 }
        /^SET timestamp/ { getline q; if (!mine || q ~ /Questions/ || q ~ /^SHOW GLOBAL STATUS/) next
            total += qt; n++
            printf "  %8.4f s  examined %9d  sent %7d  full_scan %-3s  %s\n", qt, ex, se, fs, substr(q, 1, 150) }
        END { printf "  statements: %d, SQL time (server): %.3f s\n", n, total }
    ' "$log" | sort -t's' -k1 -r -n | head -40 || true
    echo
}

{
    echo "# Profiles ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs)"
    echo
    echo "Statements below: the server's slow log (long_query_time=0) for one direct call (bench/lib/cli.php),"
    echo "sorted by time; 'engine result' carries the wall time of the call (seconds)."
    echo
    IFS=, read -r -a sizes <<<"$SIZES"
    for n in "${sizes[@]}"; do
        f="$WORK/payload-$n-0.json"
        [ -f "$f" ] || { echo "(no payload for $n items: skipped)"; continue; }
        reset
        slowlog "native engine, $n items" php -d "extension=$BENCH_SO" "$CLI" "$E2E_WP_DIR" native "$f"
    done
    if [ -f "$WORK/payload-100-0.json" ]; then
        reset
        slowlog "PHP engine, 100 items" php "$CLI" "$E2E_WP_DIR" php "$WORK/payload-100-0.json"
    fi
    n=${sizes[-1]}
    f="$WORK/payload-$n-0.json"
    if [ -f "$f" ] && command -v perf >/dev/null 2>&1 && perf record -q -e cpu-clock -o "$WORK/perf-probe.data" -- true >/dev/null 2>&1; then
        reset
        echo "### CPU time during one native call at $n items (perf record -a -e cpu-clock, whole machine)"
        perf record -q -a -g -e cpu-clock -o "$WORK/perf.data" -- php -d "extension=$BENCH_SO" "$CLI" "$E2E_WP_DIR" native "$f" 2>/dev/null
        echo "by process and shared object (includes WordPress's boot in the php process):"
        perf report -i "$WORK/perf.data" --stdio --no-children --sort comm,dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
        echo
        echo "top symbols of the php process:"
        perf report -i "$WORK/perf.data" --stdio --no-children --comm php --sort sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20
        echo
        echo "top symbols of mariadbd:"
        perf report -i "$WORK/perf.data" --stdio --no-children --comm mariadbd --sort sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
    else
        echo "(perf cannot sample on this machine, or no payload: CPU profile skipped)"
    fi
} >"$OUT"
echo "profile: ${OUT#"$REPO"/}"
