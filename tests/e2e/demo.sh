#!/usr/bin/env bash
# ./build.sh demo: the seed's example request over HTTP against a real WordPress with the plugin and the native
# extension, on this machine.
#
#   tests/e2e/demo.sh          start MariaDB and the demo site, create locations and products, send the seed's
#                              example with curl, print the response and the resulting rows; the site keeps running
#   tests/e2e/demo.sh stop     stop the demo site (same as tests/e2e/lib/site.sh stop demo)
#
# Environment: MULOPIMFWC_DEMO_NAME (site name, default demo), MULOPIMFWC_DEMO_ENGINE (native | php, default native).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
NAME="${MULOPIMFWC_DEMO_NAME:-demo}"
ENGINE="${MULOPIMFWC_DEMO_ENGINE:-native}"
SITE="$REPO/tests/e2e/lib/site.sh"
SO="$REPO/target/release/libmulopimfwc.so"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo.sh: error: %s\n' "$*" >&2; exit 1; }

if [ "${1:-}" = stop ]; then
    "$SITE" stop "$NAME"
    exit 0
fi
[ $# -eq 0 ] || die "usage: tests/e2e/demo.sh [stop]"

# a fresh machine: packages, then the extension
missing=0
for b in php php-fpm8.2 nginx mariadbd curl; do command -v "$b" >/dev/null 2>&1 || missing=1; done
[ -f /usr/share/wordpress/wp-load.php ] || missing=1
php -r 'exit(extension_loaded("mysqli") && extension_loaded("curl") ? 0 : 1);' 2>/dev/null || missing=1
if [ "$missing" = 1 ]; then
    say "installing what is missing (./build.sh deps)"
    "$REPO/build.sh" deps
fi
if [ "$ENGINE" = native ] && [ ! -f "$SO" ]; then
    say "building the extension (./build.sh build)"
    "$REPO/build.sh" build
fi

say "starting MariaDB and the WordPress site '$NAME' (nginx + php-fpm, engine $ENGINE)"
"$SITE" start "$NAME" --engine "$ENGINE" --workers 2
eval "$("$SITE" env "$NAME")"

say "creating locations and products"
ids="$(php "$REPO/tests/e2e/lib/demo-setup.php" "$E2E_WP_DIR" "$E2E_URL" setup)"
jq_php() { php -r '$d = json_decode($argv[1], true); echo $d[$argv[2]][$argv[3]];' "$ids" "$@"; }
MAIN=$(jq_php locations main-store)
WAREHOUSE=$(jq_php locations warehouse)
DOWNTOWN=$(jq_php locations downtown)
P1=$(jq_php products PROD-001)
P2=$(jq_php products PROD-002)
P3=$(jq_php products PROD-003)
cat <<TXT
locations (taxonomy mulopimfwc_store_location):  main-store = term $MAIN (primary location),  warehouse = term $WAREHOUSE,  downtown = term $DOWNTOWN
products:  PROD-001 "Demo T-Shirt" = post $P1,  PROD-002 "Demo Mug" = post $P2,  PROD-003 "Demo Cap" = post $P3
TXT

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
RESP="$(curl -sS -D "$HDRS" -X POST "$E2E_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync" \
    -H 'Content-Type: application/json' -H "X-API-Key: $E2E_API_KEY" --data-binary "$BODY")"
say "response"
head -n 1 "$HDRS" | tr -d '\r'
grep -i '^x-mulopimfwc-engine:' "$HDRS" | tr -d '\r' | sed 's/^x-mulopimfwc-engine/X-Mulopimfwc-Engine/I'
php -r 'echo json_encode(json_decode($argv[1]), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";' "$RESP"

say "the database afterwards"
php "$REPO/tests/e2e/lib/demo-setup.php" "$E2E_WP_DIR" "$E2E_URL" rows

say "the site keeps running at $E2E_URL"
cat <<TXT
Call it yourself:
  curl -s -X POST '$E2E_URL/wp-json/mulopimfwc/v1/inventory/bulk-sync' \\
    -H 'Content-Type: application/json' -H 'X-API-Key: $E2E_API_KEY' \\
    -d '{"items":[{"sku":"PROD-003","location_slug":"downtown","stock":7,"regular_price":"18.00"}]}'
  (or as the admin with an application password: curl -u '$E2E_ADMIN_USER:$E2E_APP_PASSWORD' ...;
   ?rest_route=/mulopimfwc/v1/inventory/bulk-sync works too)
Everything about the site (URL, key, passwords, DB): tests/e2e/lib/site.sh env $NAME   (file $E2E_SITE_DIR/env)
Logs: $E2E_SITE_DIR/{debug.log,php-error.log,nginx-access.log}
Stop it:
  ./build.sh demo stop      (or: tests/e2e/lib/site.sh stop $NAME)
TXT
