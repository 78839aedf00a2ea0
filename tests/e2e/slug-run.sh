#!/usr/bin/env bash
# Location slugs the way the site resolves them (tests/e2e/slug-tests.php): one WooCommerce 7.9 site, slug-wc79
# (tests/e2e/lib/site.sh, the extension loaded in php-fpm), on which the suite runs en_US, de_DE and a transliterating
# sanitize_title filter in turn, each over REST and the real WP-CLI, native engine and PHP engine; then the extension
# outside WordPress. Last line: `E2E-COUNTS slug passed=N failed=M skipped=K` (a missing stack: one skipped test).
# MULOPIMFWC_E2E_KEEP=1 leaves the site running.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SITE="$REPO/tests/e2e/lib/site.sh"
LOGS="$REPO/target/e2e/logs"
NAME=slug-wc79
mkdir -p "$LOGS"
T0=$(date +%s)

"$SITE" start "$NAME" --engine native --stack wc79 --workers 2 >"$LOGS/site-$NAME.log" 2>&1
rc=$?
if [ "$rc" = 3 ]; then
    printf 'skip  [slug] %s: %s\n' "$NAME" "$(grep -v '^\s*$' "$LOGS/site-$NAME.log" | tail -n 1)"
    printf 'E2E-COUNTS slug passed=0 failed=0 skipped=1\n'
    exit 0
elif [ "$rc" != 0 ]; then
    printf 'FAIL  [slug] site %s did not start (exit %s)\n' "$NAME" "$rc"
    tail -n 20 "$LOGS/site-$NAME.log" | sed 's/^/      /'
    printf 'E2E-COUNTS slug passed=0 failed=1 skipped=0\n'
    exit 1
fi
[ "${MULOPIMFWC_E2E_KEEP:-0}" = 1 ] || trap '"$SITE" stop "$NAME" >/dev/null 2>&1 || true' EXIT

php "$REPO/tests/e2e/slug-tests.php" "$REPO/target/e2e/$NAME/env"
rc=$?
printf 'slug: exit %s (%d s)\n' "$rc" "$(($(date +%s) - T0))"
exit "$rc"
