#!/usr/bin/env bash
# Finds and unpacks the third-party software the tests, the demo and the benchmark run on (never part of the
# repository): WooCommerce 7.9.0 and 10.5.0, WordPress 7.1, WP-CLI 2.12.0, the Redis Object Cache plugin.
#
#   tests/lib/deps.sh path NAME     print the unpacked folder of NAME (exit 0), or why it is missing (exit 3)
#   tests/lib/deps.sh wp            print the path of an executable `wp` (WP-CLI), or exit 3
#   tests/lib/deps.sh list          one line per dependency: NAME, where it came from or why it is missing
#
# NAME is one of: woocommerce-7.9.0 woocommerce-10.5.0 wordpress-7.1 wp-cli-2.12.0 redis-cache-2.6.3.
#
# Each archive is looked for, in this order:
#   1. an environment variable naming it (a .tar.xz, .tar.gz, .zip or an unpacked folder):
#        MULOPIMFWC_WOOCOMMERCE_79   MULOPIMFWC_WOOCOMMERCE_105   MULOPIMFWC_WORDPRESS_71
#        MULOPIMFWC_WP_CLI (an archive, a folder holding `wp`, or a wp-cli .phar)   MULOPIMFWC_REDIS_CACHE
#   2. ../shared/deps/NAME.tar.xz beside the repository (or MULOPIMFWC_DEPS_DIR/NAME.tar.xz);
#   3. the official download, when the network allows (bounded: 5 s to connect, 120 s in all);
# and unpacked once into target/deps/NAME/ (a stamp records the source: a different source unpacks again).
# Exit status 3 means "not available here": callers skip the tests that need it and say why.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPS_TARGET="${MULOPIMFWC_DEPS_TARGET:-$REPO/target/deps}"
SHARED_DEPS="${MULOPIMFWC_DEPS_DIR:-$REPO/../shared/deps}"

log() { printf 'deps.sh: %s\n' "$*" >&2; }

# var NAME: the environment variable that may name NAME's archive
var_of() {
    case "$1" in
        woocommerce-7.9.0) echo MULOPIMFWC_WOOCOMMERCE_79 ;;
        woocommerce-10.5.0) echo MULOPIMFWC_WOOCOMMERCE_105 ;;
        wordpress-7.1) echo MULOPIMFWC_WORDPRESS_71 ;;
        wp-cli-2.12.0) echo MULOPIMFWC_WP_CLI ;;
        redis-cache-2.6.3) echo MULOPIMFWC_REDIS_CACHE ;;
        *) return 1 ;;
    esac
}

# source_of NAME: the top folder inside the archive, a file that proves a good unpack, and the official download
source_of() {
    local v=${1##*-}
    case "$1" in
        woocommerce-*) echo "woocommerce woocommerce.php https://downloads.wordpress.org/plugin/woocommerce.$v.zip" ;;
        wordpress-*) echo "wordpress wp-settings.php https://wordpress.org/wordpress-$v.tar.gz" ;;
        wp-cli-*) echo "wp-cli wp https://github.com/wp-cli/wp-cli/releases/download/v$v/wp-cli-$v.phar" ;;
        redis-cache-*) echo "redis-cache includes/object-cache.php https://downloads.wordpress.org/plugin/redis-cache.$v.zip" ;;
    esac
}

# unpack SRC DEST_PARENT: archive or folder into DEST_PARENT (which then holds the top folder)
unpack() {
    local src=$1 dest=$2
    mkdir -p "$dest"
    case "$src" in
        *.tar.xz | *.txz) tar -xJf "$src" -C "$dest" ;;
        *.tar.gz | *.tgz) tar -xzf "$src" -C "$dest" ;;
        *.zip)
            command -v unzip >/dev/null 2>&1 || { log "unzip missing (apt-get install unzip) for $src"; return 1; }
            unzip -q -o "$src" -d "$dest"
            ;;
        *.phar)
            mkdir -p "$dest/wp-cli"
            cp "$src" "$dest/wp-cli/wp-cli.phar"
            printf '#!/bin/sh\nexec php ${PHP_ARGS:-} "$(dirname "$(readlink -f "$0")")/wp-cli.phar" "$@"\n' >"$dest/wp-cli/wp"
            chmod +x "$dest/wp-cli/wp"
            ;;
        *)
            if [ -d "$src" ]; then
                cp -a "$src/." "$dest/"
            else
                log "$src: not a .tar.xz, .tar.gz, .zip, .phar or folder"
                return 1
            fi
            ;;
    esac
}

# resolve NAME: prints the unpacked folder; exit 3 when none of the sources has it
resolve() {
    local name=$1 var top marker url src='' origin='' out dir stamp tmp
    var="$(var_of "$name")" || { log "unknown dependency '$name'"; return 2; }
    read -r top marker url < <(source_of "$name")
    out="$DEPS_TARGET/$name"
    dir="$out/$top"

    if [ -n "${!var:-}" ]; then
        src="${!var}"
        [ -e "$src" ] || { log "$var=$src does not exist"; return 3; }
        origin="$var=$src"
        # a folder that is already the top folder (woocommerce/ with woocommerce.php): use its parent's layout
        if [ -d "$src" ] && [ -e "$src/$marker" ]; then
            src="$(cd "$src" && pwd)"
            origin="$var=$src"
        fi
    elif [ -f "$SHARED_DEPS/$name.tar.xz" ]; then
        src="$(cd "$SHARED_DEPS" && pwd)/$name.tar.xz"
        origin="$src"
    fi

    stamp="$out/.source"
    if [ -n "$src" ] && [ -e "$dir/$marker" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$origin" ]; then
        echo "$dir"
        return 0
    fi
    if [ -z "$src" ] && [ -e "$dir/$marker" ] && [ -f "$stamp" ]; then
        echo "$dir" # unpacked earlier (e.g. downloaded): keep using it
        return 0
    fi

    mkdir -p "$DEPS_TARGET"
    tmp="$(mktemp -d "$DEPS_TARGET/.unpack.XXXXXX")"
    if [ -z "$src" ]; then
        local file="$tmp/${url##*/}"
        if ! command -v curl >/dev/null 2>&1 \
            || ! curl -fsSL --connect-timeout 5 --max-time 120 -o "$file" "$url" 2>/dev/null; then
            rm -rf "$tmp"
            log "$name not found: set $var, or put $name.tar.xz in $SHARED_DEPS, or allow downloads of $url"
            return 3
        fi
        src="$file"
        origin="$url"
    fi
    local stage="$tmp/stage"
    if [ -d "$src" ] && [ -e "$src/$marker" ]; then
        mkdir -p "$stage/$top"
        cp -a "$src/." "$stage/$top/"
    elif ! unpack "$src" "$stage"; then
        rm -rf "$tmp"
        log "could not unpack $src"
        return 3
    fi
    if [ ! -e "$stage/$top/$marker" ]; then
        rm -rf "$tmp"
        log "$src does not hold $top/$marker"
        return 3
    fi
    rm -rf "$out"
    mkdir -p "$out"
    mv "$stage/$top" "$dir"
    printf '%s' "$origin" >"$stamp"
    rm -rf "$tmp"
    echo "$dir"
}

ALL="woocommerce-7.9.0 woocommerce-10.5.0 wordpress-7.1 wp-cli-2.12.0 redis-cache-2.6.3"

cmd=${1:-}
case "$cmd" in
    path)
        [ $# -eq 2 ] || { log "usage: deps.sh path NAME"; exit 2; }
        # one unpack at a time per dependency (parallel site starts share target/deps)
        mkdir -p "$DEPS_TARGET"
        exec {lock}>"$DEPS_TARGET/.$2.lock"
        flock -x "$lock"
        resolve "$2"
        ;;
    wp)
        mkdir -p "$DEPS_TARGET"
        exec {lock}>"$DEPS_TARGET/.wp-cli-2.12.0.lock"
        flock -x "$lock"
        d="$(resolve wp-cli-2.12.0)"
        echo "$d/wp"
        ;;
    list)
        for n in $ALL; do
            if d="$("$0" path "$n" 2>/tmp/deps-why.$$)"; then
                printf '%-20s %s (from %s)\n' "$n" "$d" "$(cat "$DEPS_TARGET/$n/.source")"
            else
                printf '%-20s missing: %s\n' "$n" "$(tail -n 1 /tmp/deps-why.$$)"
            fi
            rm -f /tmp/deps-why.$$
        done
        ;;
    *)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep -v '^set -euo' | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
