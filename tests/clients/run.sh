#!/usr/bin/env bash
# The official WooCommerce REST API clients against our routes (run by ./build.sh test as the suite `clients`):
#
#   tests/clients/run.sh
#
# 1. installs the clients, cached under target/clients/ (reinstalled only when their pins change):
#    - a venv (Debian's python3 -m venv) with PyPI `woocommerce` 3.0.0 (tests/clients/requirements.txt);
#    - npm ci of @woocommerce/woocommerce-rest-api 1.0.2 (tests/clients/js/package.json, package-lock.json) with
#      Debian's nodejs;
#    a client that is not available here (its registry unreachable, no python3-venv, no nodejs) has its tests counted
#    as skipped, with the reason; an install that fails otherwise (a pin the registry lacks) is a failure;
# 2. starts clients-wc79 (WordPress 6.1 + WooCommerce 7.9.0, native engine) and clients-wc105 (WordPress 7.1 +
#    WooCommerce 10.5.0, PHP engine) with tests/e2e/lib/site.sh --https (HTTP, and HTTPS with a self-signed
#    certificate); a stack whose software is missing (site.sh exit 3) is skipped and its tests counted as such;
# 3. on each site, the two stacks in parallel: tests/clients/lib/setup.php (products, the location main-store,
#    WooCommerce API keys made by WooCommerce's own code) and the probe the tests read the database through
#    (tests/clients/lib/probe.php, a test-only route, copied into the site's mu-plugins), then
#    - keys-tests.php: idempotency scoped by the key, key permissions, the webhook, what worked before (curl);
#    - test_python.py and test_js.js: the official clients over HTTP (OAuth 1.0a) and HTTPS (Basic);
#    - readme-tests.sh: the README's "Clients" examples (curl, Python, JavaScript, PHP wp_remote_post, WP-CLI) run
#      as written, only the URL and the keys given through the environment variables they read.
# Prints one line per test and ends with `clients: N passed, M failed, K skipped`. Logs: target/clients/logs/.
#
# Environment: MULOPIMFWC_CLIENTS_KEEP=1 leaves the sites running; MULOPIMFWC_CLIENTS_CACHE (default target/clients)
# holds the installed clients and the logs.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
HERE="$REPO/tests/clients"
SITE="$REPO/tests/e2e/lib/site.sh"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
CACHE="${MULOPIMFWC_CLIENTS_CACHE:-$REPO/target/clients}"
LOGS="$CACHE/logs"
mkdir -p "$LOGS"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

PASSED=0 FAILED=0 SKIPPED=0
T0=$(date +%s)
say() { printf '==> %s\n' "$*"; }
ok() { PASSED=$((PASSED + 1)); printf 'ok    [%s] %s\n' "$1" "$2"; }
notok() { FAILED=$((FAILED + 1)); printf 'FAIL  [%s] %s\n' "$1" "$2"; [ -z "${3:-}" ] || printf '%s\n' "$3" | tail -n 30 | sed 's/^/      /'; }
skipped() { SKIPPED=$((SKIPPED + $3)); printf 'skip  [%s] %s (%d tests)\n' "$1" "$2" "$3"; }
# counts LOG: add the log's `E2E-COUNTS ... passed=N failed=M skipped=K` lines
counts() {
    local line
    while read -r line; do
        [[ "$line" =~ passed=([0-9]+)\ failed=([0-9]+)\ skipped=([0-9]+) ]] || continue
        PASSED=$((PASSED + BASH_REMATCH[1])); FAILED=$((FAILED + BASH_REMATCH[2])); SKIPPED=$((SKIPPED + BASH_REMATCH[3]))
    done < <(grep -E '^E2E-COUNTS ' "$1" || true)
}
finish() {
    say "clients took $(($(date +%s) - T0))s; logs in ${LOGS#"$REPO"/}"
    printf 'clients: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
    [ "$FAILED" -eq 0 ]
    exit $?
}

SITES=()
DB_STARTED=0
cleanup() {
    local s
    if [ "${MULOPIMFWC_CLIENTS_KEEP:-0}" = 1 ]; then
        say "sites left running (MULOPIMFWC_CLIENTS_KEEP=1): ${SITES[*]:-none}"
    else
        for s in "${SITES[@]}"; do "$SITE" stop "$s" >/dev/null 2>&1 || true; done
    fi
    if [ "$DB_STARTED" = 1 ] && [ "${MULOPIMFWC_CLIENTS_KEEP:-0}" != 1 ]; then "$MARIADB_SH" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------------------------ the clients
PY=/usr/bin/python3
command -v "$PY" >/dev/null 2>&1 || PY="$(command -v python3 || true)"
VENV="$CACHE/venv"
NODE_DIR="$CACHE/node"
stamp_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# Install failures: exit 3 when the client is not available here (no registry, a tool missing: its tests are skipped,
# with the reason, as site.sh's exit 3 for a missing stack), 1 when it is there but the install failed (a failure).
NETWORK_ERRORS='NewConnectionError|Failed to establish|Temporary failure in name resolution|Name or service not known|Network is unreachable|ConnectTimeout|ReadTimeout|ProxyError|timed out|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|ENETUNREACH'
# why LOG WHAT: the reason line of a failed install, and its exit status (3: the registry was not reached)
why() {
    local line
    line="$(grep -v -e '^\s*$' -e 'complete log of this run' "$1" | grep -iE 'error' | tail -n 1)"
    if grep -qE "$NETWORK_ERRORS" "$1"; then
        echo "$2: registry unreachable: $(grep -oE ".{0,60}($NETWORK_ERRORS).{0,60}" "$1" | tail -n 1)"
        return 3
    fi
    echo "$2 failed: ${line:-$(tail -n 1 "$1")}"
    return 1
}

# install_python: the venv with the pinned client; prints why not on failure
install_python() {
    [ -n "$PY" ] || { echo "python3 not found (./build.sh deps installs it)"; return 3; }
    local want
    want="$(stamp_of "$HERE/requirements.txt") $("$PY" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
    rm -rf "$VENV"
    "$PY" -m venv "$VENV" >"$LOGS/venv.log" 2>&1 || { echo "python3 -m venv failed (python3-venv missing? ./build.sh deps installs it): $(tail -n 1 "$LOGS/venv.log")"; return 3; }
    if ! timeout 150 "$VENV/bin/pip" install --disable-pip-version-check --no-input -q --timeout 20 --retries 1 \
        -r "$HERE/requirements.txt" >>"$LOGS/venv.log" 2>&1; then
        rm -rf "$VENV"
        why "$LOGS/venv.log" "pip install from PyPI"
        return
    fi
    echo "$want" >"$VENV/.stamp"
}

# install_js: npm ci of the pinned client into target/clients/node; prints why not on failure
install_js() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "nodejs/npm not found (./build.sh deps installs them)"; return 3; }
    local want
    want="$(stamp_of "$HERE/js/package.json" "$HERE/js/package-lock.json") $(node --version)"
    if [ -d "$NODE_DIR/node_modules/@woocommerce/woocommerce-rest-api" ] && [ "$(cat "$NODE_DIR/.stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    cp "$HERE/js/package.json" "$HERE/js/package-lock.json" "$NODE_DIR/"
    if ! (cd "$NODE_DIR" && timeout 150 npm ci --no-audit --no-fund --loglevel=error --fetch-retries=1 --fetch-timeout=20000) >"$LOGS/npm.log" 2>&1; then
        rm -rf "$NODE_DIR/node_modules"
        why "$LOGS/npm.log" "npm ci from the npm registry"
        return
    fi
    echo "$want" >"$NODE_DIR/.stamp"
}

# count_of SCRIPT: how many tests a run of SCRIPT has on one site (its --count; for the skip counts)
count_of() {
    local n=''
    case "$1" in
        *.py) n="$("${PY:-python3}" "$HERE/$1" --count 2>/dev/null)" ;;
        *.js) n="$(node "$HERE/$1" --count 2>/dev/null)" ;;
        *.php) n="$(php "$HERE/$1" --count 2>/dev/null)" ;;
        *.sh) n="$(bash "$HERE/$1" --count 2>/dev/null)" ;;
    esac
    [[ "$n" =~ ^[0-9]+$ ]] && echo "$n" || echo 1
}

# ------------------------------------------------------------------------------------------------ setup
if ! "$MARIADB_SH" status >/dev/null 2>&1; then
    say "starting MariaDB"
    if "$MARIADB_SH" start; then DB_STARTED=1; else notok setup "MariaDB (tests/lib/mariadb.sh start)"; finish; fi
fi
EXT="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
engine79=native
if [ ! -f "$EXT" ]; then
    engine79=php
    notok setup "extension $EXT missing (./build.sh build): clients-wc79 runs the PHP engine"
fi

say "installing the clients (cached in ${CACHE#"$REPO"/}) and starting clients-wc79, clients-wc105 (--https)"
install_python >"$LOGS/install-python.txt" 2>&1 &
py_pid=$!
install_js >"$LOGS/install-js.txt" 2>&1 &
js_pid=$!
# start_site NAME ARGS...: site.sh start (log: $LOGS/site-NAME.log); once more when a port it found free was taken
# before its nginx bound it (other sites start beside ours)
start_site() {
    local name=$1 rc=0
    "$SITE" start "$@" >"$LOGS/site-$name.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] && grep -q 'Address already in use' "$LOGS/site-$name.log"; then
        rc=0
        "$SITE" start "$@" >>"$LOGS/site-$name.log" 2>&1 || rc=$?
    fi
    return "$rc"
}
STACKS=(wc79 wc105)
declare -A SPID=()
for st in "${STACKS[@]}"; do
    eng=php
    if [ "$st" = wc79 ]; then eng=$engine79; fi
    start_site "clients-$st" --stack "$st" --engine "$eng" --workers 2 --https &
    SPID[$st]=$!
done
PY_RC=0 JS_RC=0
wait "$py_pid" || PY_RC=$?
wait "$js_pid" || JS_RC=$?
PY_OK=0 JS_OK=0
if [ "$PY_RC" = 0 ]; then PY_OK=1; fi
if [ "$JS_RC" = 0 ]; then JS_OK=1; fi
if [ "$PY_OK" = 1 ]; then ok install "python client: $("$VENV/bin/pip" freeze 2>/dev/null | grep -i '^woocommerce==')"; fi
if [ "$JS_OK" = 1 ]; then ok install "js client: @woocommerce/woocommerce-rest-api $(node -p 'require(process.argv[1]).version' "$NODE_DIR/node_modules/@woocommerce/woocommerce-rest-api/package.json" 2>/dev/null)"; fi

# run_stack ST: every test on the site clients-ST (its output to $LOGS/stack-ST.log)
run_stack() {
    local st=$1 name="clients-$1" cfg="$CACHE/clients-$1.json" rc
    # shellcheck disable=SC1090
    . "$REPO/target/e2e/$name/env"
    # the probe the tests read the site's state through (a test-only REST route)
    cp "$HERE/lib/probe.php" "$E2E_WP_DIR/wp-content/mu-plugins/mulopimfwc-clients-probe.php" || return 1
    if ! PHP_ARGS="$E2E_WP_PHP_ARGS" WP_CLI_ALLOW_ROOT=1 "$E2E_WP_CLI" --path="$E2E_WP_DIR" eval-file "$HERE/lib/setup.php" >"$CACHE/setup-$st.json" 2>"$LOGS/setup-$st.err"; then
        echo "E2E-COUNTS $name setup passed=0 failed=1 skipped=0"
        echo "FAIL  [$name] tests/clients/lib/setup.php: $(tail -n 5 "$LOGS/setup-$st.err")"
        return 1
    fi
    php -r '
        [$_, $setup, $out] = $argv;
        $cfg = json_decode(trim((string) file_get_contents($setup)), true);
        $e = fn ($k) => (string) getenv($k);
        $cfg += ["site" => $e("E2E_NAME"), "http_url" => $e("E2E_URL"), "https_url" => $e("E2E_HTTPS_URL"),
            "cert" => $e("E2E_TLS_CERT"), "wp_cli" => $e("E2E_WP_CLI"), "wp_dir" => $e("E2E_WP_DIR"),
            "php_args" => $e("E2E_WP_PHP_ARGS"), "probe" => $e("E2E_URL") . "/wp-json/mulopimfwc-e2e/v1/clients-probe", "api_key" => $e("E2E_API_KEY"),
            "admin_user" => $e("E2E_ADMIN_USER"), "app_password" => $e("E2E_APP_PASSWORD"),
            "nocap_user" => $e("E2E_NOCAP_USER"), "nocap_app_password" => $e("E2E_NOCAP_APP_PASSWORD")];
        file_put_contents($out, json_encode($cfg, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
    ' "$CACHE/setup-$st.json" "$cfg" || return 1
    echo "E2E-COUNTS $name setup passed=1 failed=0 skipped=0"
    echo "ok    [$name] WooCommerce API keys, products and the location made (tests/clients/lib/setup.php)"
    rc=0
    php -d curl.cainfo="$E2E_TLS_CERT" "$HERE/keys-tests.php" "$cfg" || rc=1
    if [ "$PY_OK" = 1 ]; then "$VENV/bin/python" "$HERE/test_python.py" "$cfg" || rc=1; fi
    if [ "$JS_OK" = 1 ]; then NODE_PATH="$NODE_DIR/node_modules" node "$HERE/test_js.js" "$cfg" || rc=1; fi
    PY_OK=$PY_OK JS_OK=$JS_OK VENV=$VENV NODE_DIR=$NODE_DIR bash "$HERE/readme-tests.sh" "$cfg" || rc=1
    return "$rc"
}

declare -A RPID=()
for st in "${STACKS[@]}"; do
    name="clients-$st"
    rc=0
    wait "${SPID[$st]}" || rc=$?
    SITES+=("$name")
    n=$(($(count_of keys-tests.php) + $(count_of test_python.py) + $(count_of test_js.js) + $(count_of readme-tests.sh) + 1))
    if [ "$rc" -eq 3 ]; then
        skipped "$name" "$(sed -n 's/^site\.sh: skip: //p' "$LOGS/site-$name.log" | head -n 1)" "$n"
        continue
    elif [ "$rc" -ne 0 ]; then
        notok "$name" "tests/e2e/lib/site.sh start $name --stack $st --https (exit $rc)" "$(tail -n 30 "$LOGS/site-$name.log")"
        continue
    fi
    ok "$name" "site started ($(. "$REPO/target/e2e/$name/env" && echo "WordPress $E2E_WP_VERSION, WooCommerce $E2E_WC_VERSION, engine $E2E_ENGINE, $E2E_URL and $E2E_HTTPS_URL"))"
    run_stack "$st" >"$LOGS/stack-$st.log" 2>&1 &
    RPID[$st]=$!
done
# a client not installed: its tests on each site skipped (exit 3: not available here) or one failure (install broken)
not_installed() {
    local client=$1 rc=$2 why=$3 n=$4 st
    if [ "$rc" = 3 ]; then
        for st in "${!RPID[@]}"; do skipped "clients-$st $client" "$why" "$n"; done
    else
        notok "install" "$client client: $why"
    fi
}
if [ "$PY_OK" != 1 ]; then not_installed python "$PY_RC" "$(cat "$LOGS/install-python.txt")" "$(count_of test_python.py)"; fi
if [ "$JS_OK" != 1 ]; then not_installed js "$JS_RC" "$(cat "$LOGS/install-js.txt")" "$(count_of test_js.js)"; fi
for st in "${STACKS[@]}"; do
    [ -n "${RPID[$st]:-}" ] || continue
    rc=0
    wait "${RPID[$st]}" || rc=$?
    grep -v '^E2E-COUNTS ' "$LOGS/stack-$st.log"
    if grep -q '^E2E-COUNTS ' "$LOGS/stack-$st.log"; then
        counts "$LOGS/stack-$st.log"
    else
        notok "clients-$st" "the tests ended (exit $rc) without counts" "$(tail -n 20 "$LOGS/stack-$st.log")"
    fi
    if [ "${MULOPIMFWC_CLIENTS_KEEP:-0}" != 1 ]; then "$SITE" stop "clients-$st" >/dev/null 2>&1 || true; fi
done
finish
