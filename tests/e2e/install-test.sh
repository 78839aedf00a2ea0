#!/usr/bin/env bash
# Tests php/install.sh against a temp WordPress dir, with --ext-dir and --php-conf-dir overrides so the machine's
# PHP is not modified. Prints one line per test and `E2E-COUNTS install passed=N failed=M skipped=K`.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SO="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
P=0 F=0 S=0
ok() { P=$((P + 1)); printf 'ok    [install] %s\n' "$1"; }
no() { F=$((F + 1)); printf 'FAIL  [install] %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/      /' | tail -n 20; }
state() { php --ini 2>/dev/null; ls -la "$(php-config --extension-dir 2>/dev/null || php -r 'echo ini_get("extension_dir");')" 2>/dev/null | grep -i mulopimfwc; }
STATE_BEFORE="$(state)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/mulopimfwc-install-test.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# a WordPress root: Debian's package (the plugin dir only needs wp-content/plugins)
cp -a /usr/share/wordpress "$TMP/wp" 2>/dev/null || { mkdir -p "$TMP/wp/wp-content/plugins"; touch "$TMP/wp/wp-load.php"; }
mkdir -p "$TMP/wp/wp-content/plugins"

out="$("$REPO/php/install.sh" 2>&1)"; rc=$?
if [ "$rc" -ne 0 ] && grep -q -- '--wp-path' <<<"$out"; then ok "no --wp-path: exits non-zero and names --wp-path"; else no "no --wp-path (exit $rc)" "$out"; fi

out="$("$REPO/php/install.sh" --wp-path="$TMP/nowhere" --no-build 2>&1)"; rc=$?
if [ "$rc" -ne 0 ]; then ok "--wp-path that is not a WordPress root: exits non-zero"; else no "--wp-path=nowhere accepted" "$out"; fi

# dry run: nothing changes
out="$("$REPO/php/install.sh" --wp-path="$TMP/wp" --ext-dir="$TMP/ext-dry" --php-conf-dir="$TMP/conf-dry" --so="$SO" --no-build --dry-run 2>&1)"; rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "$TMP/ext-dry/mulopimfwc.so" ] && [ ! -e "$TMP/conf-dry" ] && [ ! -e "$TMP/wp/wp-content/plugins/mulopimfwc-bulk-sync" ] && grep -q 'dry run' <<<"$out"; then
    ok "--dry-run changes nothing"
else
    no "--dry-run (exit $rc)" "$out"
fi

# the real thing, into temp dirs
out="$("$REPO/php/install.sh" --wp-path="$TMP/wp" --ext-dir="$TMP/ext" --php-conf-dir="$TMP/conf-cli" --php-conf-dir="$TMP/conf-fpm" --no-build 2>&1)"; rc=$?
if [ "$rc" -eq 0 ]; then ok "install.sh --wp-path --ext-dir --php-conf-dir (x2) --no-build exits 0"; else no "install.sh exits $rc" "$out"; fi
if cmp -s "$SO" "$TMP/ext/mulopimfwc.so"; then ok "the .so is copied as mulopimfwc.so into --ext-dir"; else no "the .so is not in $TMP/ext"; fi
for d in conf-cli conf-fpm; do
    if grep -qx "extension=$TMP/ext/mulopimfwc.so" "$TMP/$d/20-mulopimfwc.ini" 2>/dev/null; then
        ok "ini in $d names the installed .so (absolute: --ext-dir is not PHP's own dir)"
    else
        no "ini in $d" "$(cat "$TMP/$d/20-mulopimfwc.ini" 2>&1)"
    fi
done
loaded="$(PHP_INI_SCAN_DIR="$TMP/conf-cli" php -r 'echo extension_loaded("mulopimfwc") ? "yes" : "no";' 2>&1)"
if [ "$loaded" = yes ]; then ok "PHP started with that conf dir loads the extension"; else no "PHP with PHP_INI_SCAN_DIR=$TMP/conf-cli: $loaded"; fi
dest="$TMP/wp/wp-content/plugins/mulopimfwc-bulk-sync"
if [ -f "$dest/mulopimfwc-bulk-sync.php" ] && [ -f "$dest/includes/class-rest-controller.php" ] && [ ! -e "$dest/tests" ] && [ ! -e "$dest/install.sh" ] \
    && diff -rq "$REPO/php/includes" "$dest/includes" >/dev/null; then
    ok "the plugin is copied (without tests/ and install.sh)"
else
    no "plugin copy" "$(ls -la "$dest" 2>&1)"
fi
if grep -q 'php -m | grep mulopimfwc\|php -m' <<<"$out" && grep -qi 'restart' <<<"$out" && grep -q 'X-Mulopimfwc-Engine' <<<"$out" && grep -qi 'activate' <<<"$out"; then
    ok "prints how to verify (php -m, restart php-fpm, activate, X-Mulopimfwc-Engine)"
else
    no "verification instructions" "$out"
fi
# again: idempotent
out="$("$REPO/php/install.sh" --wp-path="$TMP/wp" --ext-dir="$TMP/ext" --php-conf-dir="$TMP/conf-cli" --no-build 2>&1)"; rc=$?
if [ "$rc" -eq 0 ] && [ "$(ls "$TMP/wp/wp-content/plugins" | grep -c mulopimfwc)" = 1 ]; then ok "a second install replaces the first"; else no "second install (exit $rc)" "$out"; fi
# the machine's PHP was not touched
if [ "$(state)" = "$STATE_BEFORE" ]; then ok "the machine's PHP (php --ini, extension dir) is untouched"; else no "the machine's PHP config or extension dir changed"; fi

printf 'E2E-COUNTS install passed=%d failed=%d skipped=%d\n' "$P" "$F" "$S"
