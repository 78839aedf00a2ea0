#!/usr/bin/env bash
# The README's "Clients" examples, run as written (called by tests/clients/run.sh once per site):
#
#   tests/clients/readme-tests.sh CONFIG.json      run them against the site of CONFIG (see test_python.py)
#   tests/clients/readme-tests.sh --count          how many tests a run has
#
# Each example is the fenced code block after its marker `<!-- clients-example: NAME -->` in README.md, written to
# a file unchanged and run with only WC_URL, WC_CONSUMER_KEY and WC_CONSUMER_SECRET set (the variables the examples
# read), and the site's self-signed certificate trusted the way each tool takes a CA from the environment
# (CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS; for wp_remote_post() a WP-CLI --require file that sets
# the http_request_args sslcertificates). Before each run the example's products are set to stock 0 (X-API-Key);
# after it, the test asserts on its output and on what the site holds (the location's stock meta rows and
# wc_get_product()->get_stock_quantity() of PROD-001 and PROD-002: 100 and 50, read through the site's probe).
#   curl (HTTPS), python (HTTP: OAuth 1.0a; HTTPS: Basic), js (HTTP, HTTPS), php (wp_remote_post over HTTPS, run
#   by `wp eval-file` in a WordPress, here the shop itself), wp-cli (in an empty directory; the shop found through
#   WP_CLI_CONFIG_PATH).
# Environment: PY_OK/JS_OK (1: the client is installed; else its examples are skipped), VENV, NODE_DIR (run.sh's),
# MULOPIMFWC_README (default README.md). Output: one line per test, then `E2E-COUNTS ...`.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
README="${MULOPIMFWC_README:-$REPO/README.md}"
TESTS=7
if [ "${1:-}" = --count ]; then
    echo "$TESTS"
    exit 0
fi
CFG=$1
cfg() { php -r '$c = json_decode(file_get_contents($argv[1]), true); foreach (explode(".", $argv[2]) as $k) { $c = $c[$k]; } echo $c;' "$CFG" "$1"; }
SUITE="$(cfg site) readme"
HTTP_URL="$(cfg http_url)"
HTTPS_URL="$(cfg https_url)"
CERT="$(cfg cert)"
WP_CLI="$(cfg wp_cli)"
WP_DIR="$(cfg wp_dir)"
PHP_ARGS_SITE="$(cfg php_args)"
API_KEY="$(cfg api_key)"
LOC="$(cfg location)"
CK="$(cfg keys.rw.ck)"
CS="$(cfg keys.rw.cs)"
PROBE="$(cfg probe)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

passed=0 failed=0 skipped=0
now_ms() { date +%s%3N; }
result() { # result NAME T0 PROBLEMS
    local ms=$(($(now_ms) - $2))
    if [ -z "$3" ]; then
        passed=$((passed + 1))
        printf 'ok    [%s] %s (%d ms)\n' "$SUITE" "$1" "$ms"
    else
        failed=$((failed + 1))
        printf 'FAIL  [%s] %s (%d ms)\n' "$SUITE" "$1" "$ms"
        printf '%s\n' "$3" | head -n 20 | sed 's/^/      - /'
    fi
}

# extract NAME: the code block after `<!-- clients-example: NAME -->`
extract() {
    awk -v marker="<!-- clients-example: $1 -->" '
        index($0, marker) == 1 { state = 1; next }
        state == 1 && /^```/ { state = 2; next }
        state == 2 && /^```/ { exit }
        state == 2 { print }
    ' "$README"
}

# reset: PROD-001 and PROD-002 to stock 0 at main-store (the site's X-API-Key, over HTTP)
reset() {
    curl -sS --max-time 60 -H 'Content-Type: application/json' -H "X-API-Key: $API_KEY" \
        -d '{"items": [{"sku": "PROD-001", "location_slug": "main-store", "stock": 0}, {"sku": "PROD-002", "location_slug": "main-store", "stock": 0}]}' \
        "$HTTP_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync" | grep -q '"success":2,'
}

# state_problems: what differs from PROD-001 = 100 and PROD-002 = 50 (location stock row and WooCommerce's stock)
state_problems() {
    curl -sS --max-time 60 -H "X-API-Key: $API_KEY" "$PROBE?location=$LOC&sku=PROD-001,PROD-002" 2>&1 | php -r '
        $s = json_decode(stream_get_contents(STDIN), true);
        if (!is_array($s)) { echo "probe failed\n"; exit; }
        foreach (["PROD-001" => 100, "PROD-002" => 50] as $sku => $n) {
            $got = [$s[$sku]["location_stock"], $s[$sku]["wc_stock"]];
            if ($got !== [[(string) $n], $n]) {
                echo "$sku: location stock rows, WooCommerce stock: ", json_encode($got), ", want ", json_encode([[(string) $n], $n]), "\n";
            }
        }'
}

# run_example NAME TRANSPORT FILE_SUFFIX EXPECT CMD...: the example written to a file, CMD run on it (the file's
# path replaces {}), its output must hold EXPECT, and the site the synced stock
run_example() {
    local name=$1 transport=$2 suffix=$3 expect=$4 t0 code file out rc problems='' a
    shift 4
    t0=$(now_ms)
    code="$(extract "$name")"
    if [ -z "$code" ]; then
        result "$name ($transport)" "$t0" "README.md has no code block after <!-- clients-example: $name -->"
        return
    fi
    file="$TMP/example-$name.$suffix"
    printf '%s\n' "$code" >"$file"
    if ! reset; then
        result "$name ($transport)" "$t0" "could not set the products to stock 0 before the example"
        return
    fi
    local cmd=()
    for a in "$@"; do cmd+=("${a//\{\}/$file}"); done
    rc=0
    out="$(cd "$TMP" && "${cmd[@]}" 2>&1)" || rc=$?
    [ "$rc" -eq 0 ] || problems+="exit status $rc"$'\n'
    [[ "$out" == *"$expect"* ]] || problems+="output lacks: $expect"$'\n'
    problems+="$(state_problems)"
    if [ -n "$problems" ]; then problems+=$'\n'"output: $(printf '%s' "$out" | tail -n 8)"; fi
    result "$name ($transport)" "$t0" "$(printf '%s' "$problems" | sed '/^$/d')"
}

WC_KEYS=(WC_CONSUMER_KEY="$CK" WC_CONSUMER_SECRET="$CS")
DONE="Processed 2 items. 2 succeeded, 0 failed."

run_example curl https sh "\"message\":\"$DONE\"" env "${WC_KEYS[@]}" WC_URL="$HTTPS_URL" CURL_CA_BUNDLE="$CERT" sh {}

if [ "${PY_OK:-0}" = 1 ]; then
    run_example python http py "$DONE"$'\n'"export page 1 of" env "${WC_KEYS[@]}" WC_URL="$HTTP_URL" "$VENV/bin/python" {}
    run_example python https py "PROD-001 main-store 100" env "${WC_KEYS[@]}" WC_URL="$HTTPS_URL" REQUESTS_CA_BUNDLE="$CERT" "$VENV/bin/python" {}
else
    skipped=$((skipped + 2))
    printf 'skip  [%s] python (http, https): the Python client is not installed\n' "$SUITE"
fi
if [ "${JS_OK:-0}" = 1 ]; then
    run_example js http js "$DONE" env "${WC_KEYS[@]}" WC_URL="$HTTP_URL" NODE_PATH="$NODE_DIR/node_modules" node {}
    run_example js https js "$DONE" env "${WC_KEYS[@]}" WC_URL="$HTTPS_URL" NODE_EXTRA_CA_CERTS="$CERT" NODE_PATH="$NODE_DIR/node_modules" node {}
else
    skipped=$((skipped + 2))
    printf 'skip  [%s] js (http, https): the JavaScript client is not installed\n' "$SUITE"
fi

# wp_remote_post(): inside a WordPress (the shop's own, through WP-CLI), trusting the site's certificate
cat >"$TMP/trust-ca.php" <<'PHP'
<?php
WP_CLI::add_wp_hook( 'http_request_args', static function ( $args ) {
	$args['sslcertificates'] = getenv( 'MULOPIMFWC_TEST_CA' );
	return $args;
} );
PHP
run_example php https php "200 $DONE" env "${WC_KEYS[@]}" WC_URL="$HTTPS_URL" MULOPIMFWC_TEST_CA="$CERT" \
    PHP_ARGS="$PHP_ARGS_SITE" WP_CLI_ALLOW_ROOT=1 "$WP_CLI" --path="$WP_DIR" --require="$TMP/trust-ca.php" eval-file {}

# WP-CLI: `wp` on PATH, the shop's path from a wp-cli.yml (as on the shop's server, where `wp` finds it from the cwd)
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexec %q "$@"\n' "$WP_CLI" >"$TMP/bin/wp"
chmod +x "$TMP/bin/wp"
printf 'path: %s\n' "$WP_DIR" >"$TMP/wp-cli.yml"
run_example wp-cli local sh "Success: $DONE" env PATH="$TMP/bin:$PATH" WP_CLI_CONFIG_PATH="$TMP/wp-cli.yml" \
    PHP_ARGS="$PHP_ARGS_SITE" WP_CLI_ALLOW_ROOT=1 bash -e {}

printf 'E2E-COUNTS %s passed=%d failed=%d skipped=%d\n' "$SUITE" "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
