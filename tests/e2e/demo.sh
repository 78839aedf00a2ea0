#!/usr/bin/env bash
# ./build.sh demo: a real shop on this machine (WordPress + WooCommerce over nginx + php-fpm, the plugin and the
# native extension), the seed's example request over HTTP, and what WooCommerce reports afterwards.
#
#   tests/e2e/demo.sh          start MariaDB (unless it answers) and the demo site, make locations and products
#                              through WooCommerce's API, send the seed's example with curl, print the response
#                              and what WooCommerce reports in a new process; the shop keeps running, with its
#                              product page URL and a wp-admin login printed
#   tests/e2e/demo.sh stop     stop everything the demo started: the site's nginx and php-fpm, and the MariaDB
#                              and Redis servers when the demo started them (target/demo/NAME.state records
#                              that); a server that was already running when the demo started is left running
#
# Environment:
#   MULOPIMFWC_DEMO_STACK    wc79 (default: Debian's WordPress 6.1 + WooCommerce 7.9.0) | wc105 (WordPress 7.1 +
#                            WooCommerce 10.5.0) | nowc (no WooCommerce). When the stack's software is missing
#                            (tests/lib/deps.sh finds none), the demo falls back to nowc and says so.
#   MULOPIMFWC_DEMO_REDIS=1  a persistent object cache (Redis, tests/lib/redis.sh)
#   MULOPIMFWC_DEMO_NAME     site name (default demo)
#   MULOPIMFWC_DEMO_ENGINE   native | php (default native)
#   and the MULOPIMFWC_TEST_* settings of tests/lib/mariadb.sh (run dir, port).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
NAME="${MULOPIMFWC_DEMO_NAME:-demo}"
ENGINE="${MULOPIMFWC_DEMO_ENGINE:-native}"
STACK="${MULOPIMFWC_DEMO_STACK:-wc79}"
REDIS="${MULOPIMFWC_DEMO_REDIS:-0}"
SITE="$REPO/tests/e2e/lib/site.sh"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
REDIS_SH="$REPO/tests/lib/redis.sh"
SO="$REPO/target/release/libmulopimfwc.so"
STATE_DIR="$REPO/target/demo"
STATE="$STATE_DIR/$NAME.state"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

say() { printf '\n==> %s\n' "$*"; }
note() { printf 'demo.sh: %s\n' "$*" >&2; }
die() { printf 'demo.sh: error: %s\n' "$*" >&2; exit 1; }

[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$ ]] || die "bad MULOPIMFWC_DEMO_NAME '$NAME'"
case "$STACK" in wc79 | wc105 | nowc) ;; *) die "MULOPIMFWC_DEMO_STACK must be wc79, wc105 or nowc (not '$STACK')" ;; esac
case "$ENGINE" in native | php) ;; *) die "MULOPIMFWC_DEMO_ENGINE must be native or php (not '$ENGINE')" ;; esac

# state_get KEY: a value of the state file (empty when missing)
state_get() { [ -f "$STATE" ] && sed -n "s/^$1=//p" "$STATE" | tail -n 1 || true; }

# The Redis of tests/lib/redis.sh is shared by every site that uses it: another running site with the same
# socket keeps it alive.
redis_used_by_others() {
    local sock=$1 env_file dir pid
    for env_file in "${MULOPIMFWC_E2E_DIR:-$REPO/target/e2e}"/*/env; do
        [ -f "$env_file" ] || continue
        dir="$(dirname "$env_file")"
        [ "$(basename "$dir")" != "$NAME" ] || continue
        grep -qF "E2E_REDIS_SOCKET=$sock" "$env_file" 2>/dev/null || grep -qF "E2E_REDIS_SOCKET=$(printf '%q' "$sock")" "$env_file" 2>/dev/null || continue
        pid="$(cat "$dir/nginx.pid" 2>/dev/null || true)"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 0; fi
    done
    return 1
}

cmd_stop() {
    "$SITE" stop "$NAME"
    if [ ! -f "$STATE" ]; then
        note "no record of a demo '$NAME' ($STATE): MariaDB and Redis left as they are"
        return 0
    fi
    local run_dir port
    run_dir="$(state_get mariadb_run_dir)"
    port="$(state_get mariadb_port)"
    if [ "$(state_get mariadb_started)" = 1 ]; then
        local fd
        mkdir -p "$run_dir"
        exec {fd}>"$run_dir/.users.lock"
        if flock -xn "$fd"; then
            MULOPIMFWC_TEST_RUN_DIR="$run_dir" MULOPIMFWC_TEST_DB_PORT="$port" "$MARIADB_SH" stop
            note "MariaDB stopped (the demo started it: run dir $run_dir, port $port)"
        else
            note "MariaDB left running: a test run (./build.sh test) is using it now"
        fi
        exec {fd}>&-
    else
        note "MariaDB left running (it was running before the demo started: run dir $run_dir, port $port)"
    fi
    if [ "$(state_get redis_started)" = 1 ]; then
        local sock
        sock="$(MULOPIMFWC_REDIS_DIR="$(state_get redis_dir)" "$REDIS_SH" socket)"
        if redis_used_by_others "$sock"; then
            note "Redis left running: another running site uses it ($sock)"
        else
            MULOPIMFWC_REDIS_DIR="$(state_get redis_dir)" "$REDIS_SH" stop
            note "Redis stopped (the demo started it)"
        fi
    fi
    rm -f "$STATE"
}

if [ "${1:-}" = stop ]; then
    [ $# -eq 1 ] || die "usage: tests/e2e/demo.sh [stop]"
    cmd_stop
    exit 0
fi
[ $# -eq 0 ] || die "usage: tests/e2e/demo.sh [stop]"

# a fresh machine: packages, then the extension
missing=0
for b in php php-fpm8.2 nginx mariadbd curl; do command -v "$b" >/dev/null 2>&1 || missing=1; done
[ -f /usr/share/wordpress/wp-load.php ] || missing=1
php -r 'exit(extension_loaded("mysqli") && extension_loaded("curl") ? 0 : 1);' 2>/dev/null || missing=1
if [ "$REDIS" = 1 ]; then command -v redis-server >/dev/null 2>&1 || missing=1; fi
if [ "$missing" = 1 ]; then
    say "installing what is missing (./build.sh deps)"
    "$REPO/build.sh" deps
fi
if [ "$ENGINE" = native ] && [ ! -f "$SO" ]; then
    say "building the extension (./build.sh build)"
    "$REPO/build.sh" build
fi

# What the demo starts itself is recorded before it starts it, so that `demo stop` stops exactly that (a rerun
# without a stop in between keeps the record of the first run).
RUN_DIR="${MULOPIMFWC_TEST_RUN_DIR:-$REPO/target/test-mariadb}"
DB_PORT="${MULOPIMFWC_TEST_DB_PORT:-33306}"
REDIS_DIR="${MULOPIMFWC_REDIS_DIR:-$REPO/target/redis}"
db_started=0
redis_started=0
if [ "$(state_get mariadb_run_dir)" = "$RUN_DIR" ] && [ "$(state_get mariadb_started)" = 1 ]; then db_started=1; fi
if [ "$(state_get redis_started)" = 1 ]; then redis_started=1; fi
write_state() {
    mkdir -p "$STATE_DIR"
    printf '%s\n' "# tests/e2e/demo.sh: what the demo '$NAME' started (read by: ./build.sh demo stop)" \
        "mariadb_started=$db_started" "mariadb_run_dir=$RUN_DIR" "mariadb_port=$DB_PORT" \
        "redis_started=$redis_started" "redis_dir=$REDIS_DIR" >"$STATE"
}

say "MariaDB (tests/lib/mariadb.sh: run dir ${RUN_DIR#"$REPO"/}, port $DB_PORT)"
if "$MARIADB_SH" status >/dev/null 2>&1; then
    echo "already running: the demo uses it and leaves it running on 'demo stop'$([ "$db_started" = 1 ] && echo ' (unless an earlier demo run started it)')"
else
    db_started=1
    write_state
    "$MARIADB_SH" start
fi
if [ "$REDIS" = 1 ] && ! MULOPIMFWC_REDIS_DIR="$REDIS_DIR" "$REDIS_SH" status >/dev/null 2>&1; then redis_started=1; fi
write_state

redis_args=()
[ "$REDIS" = 1 ] && redis_args=(--redis)
stack_note=
say "starting the shop '$NAME' (tests/e2e/lib/site.sh: stack $STACK$([ "$REDIS" = 1 ] && echo ', Redis'), engine $ENGINE, nginx + php-fpm)"
rc=0
"$SITE" start "$NAME" --engine "$ENGINE" --stack "$STACK" "${redis_args[@]}" --workers 2 || rc=$?
if [ "$rc" = 3 ] && [ "$STACK" != nowc ]; then
    stack_note="WooCommerce is not available on this machine (tests/lib/deps.sh: set MULOPIMFWC_WOOCOMMERCE_79 / _105, or put the archives in ../shared/deps): the demo runs on WordPress without WooCommerce (stack nowc), as before"
    say "$stack_note"
    STACK=nowc
    rc=0
    "$SITE" start "$NAME" --engine "$ENGINE" --stack nowc "${redis_args[@]}" --workers 2 || rc=$?
    if [ "$rc" = 3 ] && [ "$REDIS" = 1 ]; then
        say "no Redis object cache either (see above): without it"
        rc=0
        "$SITE" start "$NAME" --engine "$ENGINE" --stack nowc --workers 2 || rc=$?
    fi
fi
[ "$rc" = 0 ] || die "the site did not start (tests/e2e/lib/site.sh exited $rc)"
eval "$("$SITE" env "$NAME")"

# Debian's WordPress 6.1 comes without a theme: the product page needs one. Twenty Twenty-Three (a block theme for
# WordPress >= 6.1) from Debian's package when installed, else from the WordPress 7.1 archive of tests/lib/deps.sh.
if [ "$STACK" = wc79 ] && ! compgen -G "$E2E_WP_DIR/wp-content/themes/*/style.css" >/dev/null; then
    theme_src=
    if [ -f /usr/share/wordpress/wp-content/themes/twentytwentythree/style.css ]; then
        theme_src=/usr/share/wordpress/wp-content/themes/twentytwentythree
    elif wp71="$("$REPO/tests/lib/deps.sh" path wordpress-7.1 2>/dev/null)" && [ -f "$wp71/wp-content/themes/twentytwentythree/style.css" ]; then
        theme_src="$wp71/wp-content/themes/twentytwentythree"
    fi
    if [ -n "$theme_src" ]; then
        cp -a "$theme_src" "$E2E_WP_DIR/wp-content/themes/twentytwentythree"
    else
        note "no theme found (apt-get install wordpress-theme-twentytwentythree): the product page will be blank"
    fi
fi

say "creating locations and products$([ "$STACK" != nowc ] && echo ' through WooCommerce (WC_Product_Simple, WC_Product_Variable + WC_Product_Variation)')"
ids="$(php "$REPO/tests/e2e/lib/demo-setup.php" "$E2E_WP_DIR" "$E2E_URL" setup)"
jq_php() { php -r '$d = json_decode($argv[1], true); $v = $d; foreach (array_slice($argv, 2) as $k) { $v = $v[$k] ?? ""; } echo is_scalar($v) ? $v : "";' "$ids" "$@"; }
MAIN=$(jq_php locations main-store)
WAREHOUSE=$(jq_php locations warehouse)
DOWNTOWN=$(jq_php locations downtown)
P1=$(jq_php products PROD-001)
P2=$(jq_php products PROD-002)
P3=$(jq_php products PROD-003)
WC_VERSION=$(jq_php woocommerce)
PRODUCT_URL=$(jq_php product_url)
SHOP_URL=$(jq_php shop_url)
ADMIN_USER=$(jq_php admin_user)
ADMIN_PASSWORD=$(jq_php admin_password)
echo "locations (taxonomy mulopimfwc_store_location):  main-store = term $MAIN (primary location: WooCommerce's stock follows it),  warehouse = term $WAREHOUSE,  downtown = term $DOWNTOWN"
if [ -n "$WC_VERSION" ]; then
    echo "products (WooCommerce $WC_VERSION):  PROD-001 \"Demo T-Shirt\" = simple product $P1,  PROD-002 \"Demo Mug\" = simple product $P2,"
    echo "          PROD-003 \"Demo Cap\" = variable product $P3 with the variations PROD-003-S = $(jq_php products PROD-003-S) and PROD-003-L = $(jq_php products PROD-003-L)"
else
    echo "products (plain posts and meta: WooCommerce is not active):  PROD-001 \"Demo T-Shirt\" = post $P1,  PROD-002 \"Demo Mug\" = post $P2,  PROD-003 \"Demo Cap\" = post $P3"
fi

say "before the request"
php "$REPO/tests/e2e/lib/demo-setup.php" "$E2E_WP_DIR" "$E2E_URL" report

BODY=$(cat <<JSON
{
  "items": [
    {
      "sku": "PROD-001",
      "location_slug": "main-store",
      "stock": 100,
      "regular_price": "29.99",
      "sale_price": "24.99"
    },
    {
      "product_id": $P2,
      "location_id": $WAREHOUSE,
      "stock": 50,
      "regular_price": "19.99"
    }
  ]
}
JSON
)
say "sending the seed's example request (docs: product_id 123 / location_id 5; here product_id $P2 = PROD-002 and location_id $WAREHOUSE = warehouse, the ids this site really has)"
echo "POST $E2E_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync"
echo "$BODY"
HDRS="$(mktemp)"
trap 'rm -f "$HDRS"' EXIT
RESP="$(curl -sS --max-time 120 -D "$HDRS" -X POST "$E2E_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync" \
    -H 'Content-Type: application/json' -H "X-API-Key: $E2E_API_KEY" --data-binary "$BODY")"
say "response"
head -n 1 "$HDRS" | tr -d '\r'
grep -i '^x-mulopimfwc-engine:' "$HDRS" | tr -d '\r' | sed 's/^x-mulopimfwc-engine/X-Mulopimfwc-Engine/I'
php -r 'echo json_encode(json_decode($argv[1]), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";' "$RESP"

say "after the request (a new PHP process loads WordPress$([ -n "$WC_VERSION" ] && echo ' and WooCommerce') and reads the products)"
php "$REPO/tests/e2e/lib/demo-setup.php" "$E2E_WP_DIR" "$E2E_URL" report
if [ -n "$WC_VERSION" ]; then
    cat <<TXT
PROD-001 at main-store (the primary location) set WooCommerce's own stock to 100: in stock. PROD-002 got 50 at the
warehouse only: WooCommerce's stock (0, out of stock) follows the main store, so it stays as it was.
TXT
fi

say "the shop keeps running at $E2E_URL"
[ -z "$stack_note" ] || echo "NOTE: $stack_note"
cat <<TXT
Shop:         WordPress $E2E_WP_VERSION${WC_VERSION:+, WooCommerce $WC_VERSION}, engine $E2E_ENGINE$([ -n "${E2E_REDIS_SOCKET:-}" ] && echo ', Redis object cache')
Product page: $PRODUCT_URL
Shop page:    $SHOP_URL
wp-admin:     $E2E_URL/wp-login.php   user: $ADMIN_USER   password: $ADMIN_PASSWORD
              (products: $E2E_URL/wp-admin/edit.php?post_type=product)
Call it yourself:
  curl -s -X POST '$E2E_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync' \\
    -H 'Content-Type: application/json' -H 'X-API-Key: $E2E_API_KEY' \\
    -d '{"items":[{"sku":"PROD-003$([ -n "$WC_VERSION" ] && echo '-S')","location_slug":"main-store","stock":0,"regular_price":"18.00"}]}'
  then: php tests/e2e/lib/demo-setup.php $E2E_WP_DIR $E2E_URL report
  (or as the admin with an application password: curl -u '$E2E_ADMIN_USER:$E2E_APP_PASSWORD' ...;
   ?rest_route=/mulopimfwc/v1/inventory/bulk-sync works too)
Everything about the site (URL, key, passwords, DB): tests/e2e/lib/site.sh env $NAME   (file $E2E_SITE_DIR/env)
Logs: $E2E_SITE_DIR/{debug.log,php-error.log,nginx-access.log}
Stop it (nginx, php-fpm$([ "$db_started" = 1 ] && echo ', the MariaDB it started')$([ "$redis_started" = 1 ] && echo ', the Redis it started')):
  ./build.sh demo stop
TXT
