#!/usr/bin/env bash
# The benchmark: ./build.sh bench [options]  (or bench/run.sh [options])
#
#   --quick               100 and 1,000 items, 2 runs (the per-item baseline: 1 run, over HTTP only), per-case
#                         budget 90 s, extra store wc105 only; results in bench/results/quick.{md,json,png}
#   --no-baseline         leave out the per-item baseline
#   --no-100k             sizes 100, 1,000, 10,000 only
#   --runs N              runs per case after the warm-up (default 5; slow cases: min(N, 3))
#   --max-case-seconds S  skip a case whose estimated time per run (from the rate at the previous size)
#                         exceeds S, and run fewer runs where N runs would exceed S (default 3600)
#   --sizes LIST          comma-separated item counts (default 100,1000,10000,100000)
#   --profile             afterwards, profile the engines (bench/lib/profile.sh: MariaDB's slow log per
#                         statement, perf CPU split) into bench/results/profile.txt
#   --profile-only        set up and seed, write the payloads, profile; no timed runs
#   --keep                leave the bench site and its MariaDB running afterwards
#   --export-only         set up and seed, then only the export case: the whole export of the seeded
#                         store (240,000 product-location rows) page by page, native vs PHP over HTTP and
#                         direct, and the floor (one SQL query); results in bench/results/export.{md,json};
#                         bench/results/latest.md gets the export section when it is the report of the
#                         run in target/bench-work (its Date matches)
#   --no-export           leave the export case out of the full run (it runs after the sync cases)
#   --export-runs N       runs of each export case after its warm-up (default: --runs)
#   --stack S             the store's software: wc79 (default: Debian's WordPress 6.1 + WooCommerce 7.9.0),
#                         wc105 (WordPress 7.1 + WooCommerce 10.5.0), nowc (WordPress alone, rows by hand)
#   --redis               a persistent object cache (Redis, the Redis Object Cache drop-in) on the store
#   --extra-stacks LIST   after the main run, 1,000 items (HTTP: native, PHP engine, baseline) on other stores,
#                         comma-separated, each STACK or STACK+redis (default: wc105,wc79+redis, --quick: wc105;
#                         `none` for none);
#                         a section of the report
#   --jobs-only           the bulk-sync jobs case alone (bench/lib/jobs.php): a store of its own (site bench-jobs,
#                         MariaDB run dir target/bench-jobs-mariadb, same port) with 200,000 SKUs at 5 locations,
#                         a 1,000,000-item NDJSON job created over HTTP and worked by 1, 2 and 3 concurrent
#                         `wp action-scheduler run` processes, each from the same restored database, beside the
#                         same items synchronously (`wp mulopimfwc bulk-sync FILE`) and 100,000 items over HTTP;
#                         results in bench/results/jobs-latest.{md,json} (~15 min)
#   --jobs-runners LIST   runner counts of the jobs case (default 1,2,3)
#   --jobs-products N     SKUs of the jobs store (default 200000; the job has N x 5 items)
#   --jobs-http-items N   items of the synchronous HTTP comparison (default 100000; 0: none)
#
# What it does: builds the extension (./build.sh build), starts a private MariaDB (tests/lib/mariadb.sh with
# its own run dir target/bench-mariadb, port 33406, a bigger buffer pool), a WooCommerce store over nginx +
# php-fpm (tests/e2e/lib/site.sh start bench --stack wc79: WooCommerce active, native extension loaded, the
# plugin active) with the bench mu-plugin (bench/mu-plugin: measurement headers, the per-item baseline route),
# seeds the store (bench/lib/seed-templates.php makes template products through WooCommerce's API,
# bench/lib/seed.php clones their rows in bulk), runs bench/lib/driver.php (warm-up, interleaved runs, reset between runs), then
# bench/lib/report.php (table + targets: bench/results/latest.md, latest.json) and bench/lib/plot.py
# (latest.png, matplotlib from PyPI in target/bench-venv). Traffic only to 127.0.0.1.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BENCH="$REPO/bench"
RESULTS="$BENCH/results"
WORK="$REPO/target/bench-work"
VENV="$REPO/target/bench-venv"
SO="$REPO/target/release/libmulopimfwc.so"
SITE=bench

case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then PATH="${HOME:-/root}/.cargo/bin:$PATH"; fi
export PATH

say() { printf '==> %s\n' "$*"; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

quick=0 no_baseline=0 no_100k=0 runs=5 max_case=3600 sizes= keep=0 profile=0 profile_only=0
export=1 export_only=0 export_runs=
stack="${MULOPIMFWC_BENCH_STACK:-wc79}" redis=0 extra_stacks=default
jobs_only=0 jobs_runners=1,2,3 jobs_products=200000 jobs_http_items=100000
args_given="$*"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --no-baseline) no_baseline=1 ;;
        --no-100k) no_100k=1 ;;
        --runs) runs=${2:?--runs N}; shift ;;
        --runs=*) runs=${1#*=} ;;
        --max-case-seconds) max_case=${2:?--max-case-seconds S}; shift ;;
        --max-case-seconds=*) max_case=${1#*=} ;;
        --sizes) sizes=${2:?--sizes LIST}; shift ;;
        --sizes=*) sizes=${1#*=} ;;
        --keep) keep=1 ;;
        --profile) profile=1 ;;
        --profile-only) profile=1 profile_only=1 ;;
        --export-only) export_only=1 ;;
        --no-export) export=0 ;;
        --export-runs) export_runs=${2:?--export-runs N}; shift ;;
        --export-runs=*) export_runs=${1#*=} ;;
        --stack) stack=${2:?--stack wc79|wc105|nowc}; shift ;;
        --stack=*) stack=${1#*=} ;;
        --redis) redis=1 ;;
        --extra-stacks) extra_stacks=${2:?--extra-stacks LIST}; shift ;;
        --extra-stacks=*) extra_stacks=${1#*=} ;;
        --jobs-only) jobs_only=1 ;;
        --jobs-runners) jobs_runners=${2:?--jobs-runners LIST}; shift ;;
        --jobs-runners=*) jobs_runners=${1#*=} ;;
        --jobs-products) jobs_products=${2:?--jobs-products N}; shift ;;
        --jobs-products=*) jobs_products=${1#*=} ;;
        --jobs-http-items) jobs_http_items=${2:?--jobs-http-items N}; shift ;;
        --jobs-http-items=*) jobs_http_items=${1#*=} ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep -v '^set -euo' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (--help)" ;;
    esac
    shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ "$max_case" =~ ^[0-9]+$ ]] || die "--max-case-seconds must be an integer"
export_runs=${export_runs:-$runs}
[[ "$export_runs" =~ ^[1-9][0-9]*$ ]] || die "--export-runs must be a positive integer"
[ "$export_only" = 1 ] && [ "$export" = 0 ] && die "--export-only and --no-export contradict each other"
case "$stack" in wc79 | wc105 | nowc) ;; *) die "--stack must be wc79, wc105 or nowc" ;; esac
[[ "$jobs_runners" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--jobs-runners must be a comma-separated list of positive integers"
[[ "$jobs_products" =~ ^[1-9][0-9]*$ ]] || die "--jobs-products must be a positive integer"
[[ "$jobs_http_items" =~ ^[0-9]+$ ]] || die "--jobs-http-items must be an integer"
if [ "$jobs_only" = 1 ]; then
    [ "$stack" = nowc ] && die "--jobs-only needs WooCommerce (Action Scheduler): --stack wc79 or wc105"
    [ "$redis" = 1 ] && die "--jobs-only restores the database between runs and has no Redis: leave out --redis"
    SITE=bench-jobs
fi


name=latest
slow_runs=3
baseline_max=
quick_cases=
if [ "$quick" = 1 ]; then
    sizes=${sizes:-100,1000}
    runs=2 slow_runs=1 name=quick
    export=0 # the quick run stays quick; --export-only runs the export alone
    [ "$max_case" = 3600 ] && max_case=90
    # the per-item baseline over HTTP only (on WooCommerce it takes ~40 s at 1,000 items), one run
    quick_cases=native/http,php/http,baseline/http,native/cli,php/cli,floor/sql
    [ "$extra_stacks" = default ] && extra_stacks=wc105
fi
[ "$extra_stacks" = default ] && extra_stacks=wc105,wc79+redis
[ "$extra_stacks" = none ] && extra_stacks=
[[ -z "$extra_stacks" || "$extra_stacks" =~ ^(wc79|wc105|nowc)(\+redis)?(,(wc79|wc105|nowc)(\+redis)?)*$ ]] || die "--extra-stacks: comma-separated STACK or STACK+redis (wc79, wc105, nowc)"
if [ -z "$sizes" ]; then
    sizes=100,1000,10000,100000
    [ "$no_100k" = 1 ] && sizes=100,1000,10000
fi
[[ "$sizes" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sizes must be a comma-separated list of integers"

# The private MariaDB and the site: own run dir, port and site dir, so nothing collides with the tests.
# (the jobs case: a run dir of its own, whose data dir it copies and restores between runs)
if [ "$jobs_only" = 1 ]; then
    export MULOPIMFWC_TEST_RUN_DIR="${MULOPIMFWC_BENCH_DB_DIR:-$REPO/target/bench-jobs-mariadb}"
else
    export MULOPIMFWC_TEST_RUN_DIR="${MULOPIMFWC_BENCH_DB_DIR:-$REPO/target/bench-mariadb}"
fi
export MULOPIMFWC_TEST_DB_PORT="${MULOPIMFWC_BENCH_DB_PORT:-33406}"
export MULOPIMFWC_E2E_DIR="${MULOPIMFWC_BENCH_SITE_DIR:-$REPO/target/bench-e2e}"
export MULOPIMFWC_REDIS_DIR="${MULOPIMFWC_BENCH_REDIS_DIR:-$REPO/target/bench-redis}"
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
pool_mb=$((mem_kb / 1024 / 4))
[ "$pool_mb" -gt 2048 ] && pool_mb=2048
[ "$pool_mb" -lt 256 ] && pool_mb=256
export MULOPIMFWC_TEST_DB_EXTRA_ARGS="--innodb-buffer-pool-size=${pool_mb}M --innodb-log-file-size=512M ${MULOPIMFWC_BENCH_DB_EXTRA_ARGS:-}"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
SITE_SH="$REPO/tests/e2e/lib/site.sh"
[ -x "$SITE_SH" ] || [ -f "$SITE_SH" ] || die "tests/e2e/lib/site.sh (the WordPress site harness) is missing"

mkdir -p "$WORK" "$RESULTS"
t_start=$(date +%s)

# matplotlib in a venv (in the background while the rest starts; the jobs case draws no plot)
venv_log="$WORK/venv.log"
(
    if [ "$jobs_only" = 1 ]; then exit 0; fi
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
        python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check matplotlib
    fi
) >"$venv_log" 2>&1 &
venv_pid=$!

say "build (./build.sh build)"
"$REPO/build.sh" build >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }

cleanup() {
    if [ "$keep" = 1 ]; then
        say "left running (--keep): site $SITE ($MULOPIMFWC_E2E_DIR/$SITE), MariaDB $MULOPIMFWC_TEST_RUN_DIR"
        return 0
    fi
    bash "$SITE_SH" stop "$SITE" >/dev/null 2>&1 || true
    rm -rf "$WORK/jobs-snapshot" # the jobs case's copy of the data dir
    "$MARIADB_SH" stop >/dev/null 2>&1 || true
    "$REPO/tests/lib/redis.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "MariaDB (run dir ${MULOPIMFWC_TEST_RUN_DIR#"$REPO"/}, port $MULOPIMFWC_TEST_DB_PORT, buffer pool ${pool_mb}M)"
"$MARIADB_SH" start
eval "$("$MARIADB_SH" env)"
export MULOPIMFWC_DB_ROOT_SOCKET

# setup_store STACK REDIS META_OUT: the site (rebuilt), the bench mu-plugin, the seeded store, a check request,
# the machine and versions in META_OUT. Returns 3 when the stack's software is missing here.
setup_store() {
    local st=$1 rd=$2 meta_out=$3 rc=0 redis_arg=() f
    # the logs of the store before (site.sh rebuilds the site dir)
    if [ -n "${STORE_TAG:-}" ] && [ -d "$MULOPIMFWC_E2E_DIR/$SITE" ]; then
        mkdir -p "$WORK/logs-$STORE_TAG"
        for f in debug.log php-error.log php-fpm.log nginx-error.log; do
            [ -f "$MULOPIMFWC_E2E_DIR/$SITE/$f" ] && cp "$MULOPIMFWC_E2E_DIR/$SITE/$f" "$WORK/logs-$STORE_TAG/$f"
        done
    fi
    STORE_TAG="$st$([ "$rd" = 1 ] && echo -redis)"
    [ "$rd" = 1 ] && redis_arg=(--redis)
    say "store: tests/e2e/lib/site.sh start $SITE --stack $st${redis_arg[*]:+ ${redis_arg[*]}} --engine native --workers 2"
    bash "$SITE_SH" start "$SITE" --stack "$st" "${redis_arg[@]}" --engine native --workers 2 || rc=$?
    [ "$rc" = 0 ] || return "$rc"
    eval "$(bash "$SITE_SH" env "$SITE")"
    export E2E_URL E2E_WP_DIR E2E_API_KEY E2E_DB_NAME E2E_DB_SOCKET E2E_DB_USER E2E_DB_PASSWORD E2E_WP_CLI
    cp "$BENCH/mu-plugin/mulopimfwc-bench.php" "$E2E_WP_DIR/wp-content/mu-plugins/mulopimfwc-bench.php"
    export BENCH_SO="$SO"
    local tpl_args=()
    if [ "$st" != nowc ]; then
        say "template products through WooCommerce's API (bench/lib/seed-templates.php)"
        php "$BENCH/lib/seed-templates.php" "$E2E_WP_DIR" "$E2E_URL" >"$WORK/templates.json" || die "bench/lib/seed-templates.php failed"
        tpl_args=(--templates "$WORK/templates.json")
    fi
    say "seeding the store (bench/lib/seed.php)"
    php -d memory_limit=2G "$BENCH/lib/seed.php" --socket "$MULOPIMFWC_DB_ROOT_SOCKET" --db "$E2E_DB_NAME" --api-key "$E2E_API_KEY" \
        --schema "$REPO/tests/sql/schema.sql" "${tpl_args[@]}" "${SEED_ARGS[@]}" --out "$WORK/state.json"
    if [ "$rd" = 1 ]; then "$REPO/tests/lib/redis.sh" flush-prefix "${E2E_REDIS_PREFIX:?}" || true; fi
    rm -f "$WORK"/payload-*.json

    # A check that the site answers through the plugin with the native engine before timing anything.
    local code
    code=$(curl -s -o "$WORK/check.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H "X-API-Key: $E2E_API_KEY" --data '{"items":[]}' "$E2E_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync" || true)
    [ "$code" = 200 ] || { cat "$WORK/check.json" >&2 || true; die "the bulk-sync route answered HTTP $code"; }

    # Machine and versions.
    php -r '
        [$_, $out, $cmd, $db_version, $wp_dir, $repo, $stack, $wc, $redis] = $argv;
        $sh = fn ($c) => trim((string) shell_exec($c . " 2>&1"));
        $cpu = $sh("grep -m1 \"model name\" /proc/cpuinfo | cut -d: -f2");
        preg_match("/MemTotal:\\s+(\\d+)/", file_get_contents("/proc/meminfo"), $m);
        $wp_version = "?";
        include $wp_dir . "/wp-includes/version.php";
        $git = $sh("git -C " . escapeshellarg($repo) . " rev-parse --short HEAD");
        $dirty = $sh("git -C " . escapeshellarg($repo) . " status --porcelain -- src php Cargo.toml Cargo.lock") !== "" ? " (+ uncommitted changes)" : "";
        $load = sys_getloadavg();
        file_put_contents($out, json_encode([
            "date" => gmdate("Y-m-d H:i") . " UTC",
            "nproc" => (int) $sh("nproc"),
            "cpu" => $cpu === "" ? "?" : $cpu,
            "memory" => sprintf("%.1f GiB", $m[1] / 1048576),
            "kernel" => "Linux " . php_uname("r"),
            "load" => sprintf("%.2f %.2f %.2f", ...$load),
            "command" => $cmd,
            "stack" => $stack . ($redis === "1" ? "+redis" : ""),
            "versions" => array_filter([
                "PHP" => PHP_VERSION . " (php-fpm, opcache on)",
                "MariaDB" => $db_version,
                "WordPress" => $wp_version,
                "WooCommerce" => $wc === "" ? "not active" : $wc,
                "Redis" => $redis === "1" ? preg_replace("/^Redis server v=(\\S+).*/", "$1", $sh("redis-server --version")) . " (Redis Object Cache drop-in)" : null,
                "nginx" => preg_replace("/^nginx version: nginx\\//", "", $sh("nginx -v")),
                "rustc" => preg_replace("/^rustc /", "", $sh("rustc --version")),
                "commit" => $git . $dirty,
            ]),
        ], JSON_PRETTY_PRINT));
    ' "$meta_out" "./build.sh bench${args_given:+ $args_given}" \
        "$(mariadb --no-defaults -S "$MULOPIMFWC_DB_ROOT_SOCKET" -uroot -N -e 'SELECT VERSION()')" "$E2E_WP_DIR" "$REPO" \
        "$st" "${E2E_WC_VERSION:-}" "$rd"
}

SEED_ARGS=()
if [ "$jobs_only" = 1 ]; then
    # N SKUs at 5 locations: 1 in 10 a variation (variable products of 5 variations), the rest simple products
    jobs_variable=$((jobs_products / 50))
    SEED_ARGS=(--simple $((jobs_products - 5 * jobs_variable)) --variable "$jobs_variable" --locations 5)
fi
rc=0
setup_store "$stack" "$redis" "$WORK/meta.json" || rc=$?
if [ "$rc" = 3 ]; then die "the stack $stack's software is missing here (tests/lib/deps.sh; see above): --stack nowc runs without WooCommerce"; fi
[ "$rc" = 0 ] || die "the store did not start (tests/e2e/lib/site.sh exited $rc)"

# The jobs case: bench/lib/jobs.php (data files, snapshot, runs), then bench/lib/jobs-report.php.
if [ "$jobs_only" = 1 ]; then
    say "jobs: $((jobs_products * 5)) items, runners $jobs_runners, synchronous comparison (bench/lib/jobs.php)"
    rm -f "$WORK/raw-jobs.json"
    php -d memory_limit=2G "$BENCH/lib/jobs.php" --state "$WORK/state.json" --work "$WORK" --out "$WORK/raw-jobs.json" \
        --meta "$WORK/meta.json" --runners "$jobs_runners" --http-items "$jobs_http_items"
    php "$BENCH/lib/jobs-report.php" "$WORK/raw-jobs.json" "$WORK" >"$WORK/jobs-report.txt"
    cp "$WORK/jobs-latest.md" "$RESULTS/jobs-latest.md"
    cp "$WORK/jobs-latest.json" "$RESULTS/jobs-latest.json"
    cat "$WORK/jobs-report.txt"
    echo
    echo "results: bench/results/jobs-latest.md, jobs-latest.json ($(($(date +%s) - t_start)) s)"
    exit 0
fi

driver_args=(--state "$WORK/state.json" --work "$WORK" --out "$WORK/raw-$name.json" --meta "$WORK/meta.json"
    --sizes "$sizes" --runs "$runs" --slow-runs "$slow_runs" --max-case-seconds "$max_case")
[ "$no_baseline" = 1 ] && driver_args+=(--no-baseline)
[ "$quick" = 1 ] && driver_args+=(--baseline-max 1000 --cases "$quick_cases")
if [ "$profile_only" = 1 ]; then
    php "$BENCH/lib/driver.php" "${driver_args[@]}" --payloads-only
    say "profile (bench/lib/profile.sh)"
    PROFILE_SIZES="$(echo "$sizes" | tr ',' '\n' | awk '$1 >= 10000' | paste -sd, -)" bash "$BENCH/lib/profile.sh"
    exit 0
fi

# The export case: bench/lib/export.php, then bench/lib/export-report.php (export.md, export.json).
run_export() {
    say "export: the whole export page by page, $export_runs runs (bench/lib/export.php)"
    rm -f "$WORK/raw-export.json"
    php -d memory_limit=2G "$BENCH/lib/export.php" --state "$WORK/state.json" --work "$WORK" \
        --out "$WORK/raw-export.json" --meta "$WORK/meta.json" --runs "$export_runs"
    php "$BENCH/lib/export-report.php" "$WORK/raw-export.json" "$WORK" >"$WORK/export-report.txt"
    cp "$WORK/export.md" "$RESULTS/export.md"
    cp "$WORK/export.json" "$RESULTS/export.json"
}
if [ "$export_only" = 1 ]; then
    run_export
    # latest.md (the full run's report) gets the export section when it is the report of the raw numbers
    # in target/bench-work (same Date), regenerated from them; otherwise it is left as it is.
    if [ -f "$WORK/raw-latest.json" ] && [ -f "$RESULTS/latest.md" ] &&
        date_line=$(php -r '$r = json_decode(file_get_contents($argv[1]), true); echo "Date: " . ($r["meta"]["date"] ?? "?");' "$WORK/raw-latest.json") &&
        grep -qF "$date_line " "$RESULTS/latest.md"; then
        php "$BENCH/lib/report.php" "$WORK/raw-latest.json" "$WORK" "$WORK/raw-export.json" >"$WORK/report.txt"
        cp "$WORK/latest.md" "$RESULTS/latest.md"
        cp "$WORK/latest.json" "$RESULTS/latest.json"
        say "bench/results/latest.md regenerated from $WORK/raw-latest.json with the export section"
    else
        say "bench/results/latest.md left as it is (not the report of target/bench-work/raw-latest.json); see export.md"
    fi
    cat "$WORK/export-report.txt"
    echo
    echo "results: bench/results/export.md, export.json ($(($(date +%s) - t_start)) s)"
    exit 0
fi

say "running: sizes $sizes, $runs runs (slow cases $slow_runs), per-case budget ${max_case}s"
php -d memory_limit=2G "$BENCH/lib/driver.php" "${driver_args[@]}"
export_raw=
if [ "$export" = 1 ]; then
    run_export
    export_raw="$WORK/raw-export.json"
fi
if [ "$profile" = 1 ]; then
    say "profile (bench/lib/profile.sh)"
    PROFILE_SIZES="$(echo "$sizes" | tr ',' '\n' | awk '$1 >= 10000' | paste -sd, -)" bash "$BENCH/lib/profile.sh" || true
fi

# Other stores (--extra-stacks): 1,000 items over HTTP, each on a store of its own, seeded the same way.
extra_raws=()
for x in ${extra_stacks//,/ }; do
    x_stack=${x%+redis}
    x_redis=0
    [ "$x" != "$x_stack" ] && x_redis=1
    tag=${x/+/-}
    rc=0
    setup_store "$x_stack" "$x_redis" "$WORK/meta-$tag.json" || rc=$?
    if [ "$rc" = 3 ]; then
        say "store $x: skipped (its software is missing here, see above)"
        continue
    fi
    [ "$rc" = 0 ] || die "the store $x did not start (tests/e2e/lib/site.sh exited $rc)"
    say "store $x: 1,000 items over HTTP, $runs runs"
    rm -f "$WORK/raw-$name-$tag.json"
    php -d memory_limit=2G "$BENCH/lib/driver.php" --state "$WORK/state.json" --work "$WORK" --out "$WORK/raw-$name-$tag.json" \
        --meta "$WORK/meta-$tag.json" --sizes 1000 --runs "$runs" --slow-runs "$slow_runs" --max-case-seconds "$max_case" \
        --cases "native/http,php/http$([ "$no_baseline" = 1 ] || echo ',baseline/http')"
    extra_raws+=("$WORK/raw-$name-$tag.json")
done

say "report"
BENCH_EXTRA_RAWS="${extra_raws[*]}" BENCH_NOTE="${MULOPIMFWC_BENCH_NOTE:-}" php "$BENCH/lib/report.php" "$WORK/raw-$name.json" "$WORK" ${export_raw:+"$export_raw"} >"$WORK/report.txt"
cp "$WORK/latest.md" "$RESULTS/$name.md"
cp "$WORK/latest.json" "$RESULTS/$name.json"
if [ "$name" = quick ]; then sed -i 's/(latest\.png)/(quick.png)/' "$RESULTS/quick.md"; fi
wait "$venv_pid" || true
if "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
    "$VENV/bin/python" "$BENCH/lib/plot.py" "$RESULTS/$name.json" "$RESULTS/$name.png"
else
    printf 'bench: matplotlib could not be installed in %s (log: %s): no plot\n' "$VENV" "$venv_log" >&2
fi
cat "$WORK/report.txt"
[ -n "$export_raw" ] && { echo; cat "$WORK/export-report.txt"; }
echo
echo "results: bench/results/$name.md, $name.json, $name.png${export_raw:+, export.md, export.json} ($(($(date +%s) - t_start)) s)"
