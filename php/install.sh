#!/usr/bin/env bash
# Install the native extension and the plugin for a real WordPress site (./build.sh install --wp-path=DIR).
#
#   php/install.sh --wp-path=DIR [options]
#
#   --wp-path=DIR        the WordPress root (holds wp-load.php); the plugin goes to DIR/wp-content/plugins/mulopimfwc-bulk-sync
#   --ext-dir=DIR        where the .so goes (default: `php-config --extension-dir`, i.e. PHP's own extension dir)
#   --php-conf-dir=DIR   write the ini (20-mulopimfwc.ini) into DIR instead of PHP's own conf.d dirs; repeatable
#                        (default: Debian's /etc/php/X.Y/mods-available + phpenmod for every SAPI, else the conf.d
#                        scan dir of `php --ini` and its fpm sibling)
#   --so=FILE            install this .so instead of target/release/libmulopimfwc.so
#   --no-build           do not build; fail when the .so is missing
#   --skip-extension     only copy the plugin (the site then runs the PHP engine)
#   --skip-plugin        only install the extension
#   --dry-run            print what would be done, change nothing
#
# Builds the extension when it is missing or older than the sources (./build.sh build), copies it as
# mulopimfwc.so, writes `extension=mulopimfwc.so` (an absolute path when --ext-dir is not PHP's own dir) for
# CLI and FPM, copies php/ (without tests/ and this script) into the site, and prints how to verify.
# Needs write access to PHP's dirs (root) unless --ext-dir / --php-conf-dir point elsewhere.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLUGIN_SLUG=mulopimfwc-bulk-sync
SO="$REPO/target/release/libmulopimfwc.so"

WP_PATH=
EXT_DIR=
CONF_DIRS=()
BUILD=1
DO_EXT=1
DO_PLUGIN=1
DRY=0

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep -v '^set -euo' | sed 's/^# \{0,1\}//'; }
run() { # run CMD... unless --dry-run
    if [ "$DRY" = 1 ]; then printf '    (dry run) %s\n' "$*"; else "$@"; fi
}

while [ $# -gt 0 ]; do
    case "$1" in
        --wp-path=*) WP_PATH=${1#*=} ;;
        --wp-path) WP_PATH=${2:-}; shift ;;
        --ext-dir=*) EXT_DIR=${1#*=} ;;
        --ext-dir) EXT_DIR=${2:-}; shift ;;
        --php-conf-dir=*) CONF_DIRS+=("${1#*=}") ;;
        --php-conf-dir) CONF_DIRS+=("${2:-}"); shift ;;
        --so=*) SO=${1#*=} ;;
        --so) SO=${2:-}; shift ;;
        --no-build) BUILD=0 ;;
        --skip-extension) DO_EXT=0 ;;
        --skip-plugin) DO_PLUGIN=0 ;;
        --dry-run) DRY=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
    shift
done

case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

if [ "$DO_PLUGIN" = 1 ]; then
    [ -n "$WP_PATH" ] || { usage >&2; die "--wp-path=DIR is required (the WordPress root)"; }
    [ -d "$WP_PATH" ] || die "--wp-path: $WP_PATH is not a directory"
    WP_PATH="$(cd "$WP_PATH" && pwd)"
    [ -f "$WP_PATH/wp-load.php" ] || die "--wp-path: $WP_PATH has no wp-load.php (not a WordPress root)"
    [ -d "$WP_PATH/wp-content/plugins" ] || die "--wp-path: $WP_PATH/wp-content/plugins does not exist"
fi
command -v php >/dev/null 2>&1 || die "php not found"
PHP_VER="$(php -r 'echo PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION;')"

# ------------------------------------------------------------------------------------------------ extension
INI_TARGETS=()
if [ "$DO_EXT" = 1 ]; then
    # build if needed
    need_build=0
    if [ ! -f "$SO" ]; then
        need_build=1
    elif [ "$SO" = "$REPO/target/release/libmulopimfwc.so" ] \
        && [ -n "$(find "$REPO/src" "$REPO/Cargo.toml" "$REPO/Cargo.lock" -newer "$SO" -print -quit 2>/dev/null)" ]; then
        need_build=1
    fi
    if [ "$need_build" = 1 ] && [ "$BUILD" = 0 ]; then
        [ -f "$SO" ] || die "$SO is missing and --no-build was given"
        printf 'install.sh: warning: %s is older than the sources (--no-build: installing it anyway)\n' "$SO" >&2
        need_build=0
    fi
    if [ "$need_build" = 1 ]; then
        [ "$SO" = "$REPO/target/release/libmulopimfwc.so" ] || die "--so=$SO does not exist"
        say "building the extension (./build.sh build)"
        run "$REPO/build.sh" build
    fi
    if [ "$DRY" != 1 ]; then
        [ -f "$SO" ] || die "no extension at $SO"
        php -n -d "extension=$(cd "$(dirname "$SO")" && pwd)/$(basename "$SO")" -r 'exit(extension_loaded("mulopimfwc") ? 0 : 1);' \
            || die "$SO does not load into this PHP ($PHP_VER): built for another PHP?"
    fi

    php_ext_dir="$(php-config --extension-dir 2>/dev/null || php -r 'echo ini_get("extension_dir");')"
    own_ext_dir=1
    if [ -z "$EXT_DIR" ]; then
        EXT_DIR=$php_ext_dir
    else
        run mkdir -p "$EXT_DIR"
        [ "$DRY" = 1 ] || EXT_DIR="$(cd "$EXT_DIR" && pwd)"
        [ "$EXT_DIR" = "$php_ext_dir" ] || own_ext_dir=0
    fi
    [ -n "$EXT_DIR" ] || die "cannot tell PHP's extension dir (php-config from php$PHP_VER-dev?); pass --ext-dir"
    say "extension: $SO -> $EXT_DIR/mulopimfwc.so"
    run install -m 0644 "$SO" "$EXT_DIR/mulopimfwc.so.tmp.$$"
    run mv -f "$EXT_DIR/mulopimfwc.so.tmp.$$" "$EXT_DIR/mulopimfwc.so"

    if [ "$own_ext_dir" = 1 ]; then ext_line="extension=mulopimfwc.so"; else ext_line="extension=$EXT_DIR/mulopimfwc.so"; fi
    ini_body="; mulopimfwc: native engine of the Multi Location Bulk Sync plugin (php/install.sh)
$ext_line"

    write_ini() { # FILE
        say "ini: $1"
        if [ "$DRY" = 1 ]; then printf '    (dry run) write %s: %s\n' "$1" "$ext_line"; return 0; fi
        mkdir -p "$(dirname "$1")"
        printf '%s\n' "$ini_body" >"$1"
        INI_TARGETS+=("$1")
    }

    if [ "${#CONF_DIRS[@]}" -gt 0 ]; then
        for d in "${CONF_DIRS[@]}"; do write_ini "$d/20-mulopimfwc.ini"; done
    elif [ -d "/etc/php/$PHP_VER/mods-available" ] && command -v phpenmod >/dev/null 2>&1; then
        write_ini "/etc/php/$PHP_VER/mods-available/mulopimfwc.ini"
        if [ "$DRY" != 1 ]; then
            # phpenmod reads the priority from this line
            printf '; priority=20\n%s\n' "$ini_body" >"/etc/php/$PHP_VER/mods-available/mulopimfwc.ini"
        fi
        say "phpenmod -v $PHP_VER -s ALL mulopimfwc (CLI, FPM and every other SAPI installed)"
        run phpenmod -v "$PHP_VER" -s ALL mulopimfwc
    else
        scan="$(php --ini 2>/dev/null | sed -n 's/^Scan for additional .ini files in: *//p')"
        [ -n "$scan" ] && [ "$scan" != "(none)" ] || die "PHP has no conf.d scan dir; pass --php-conf-dir=DIR (and add extension=... to php.ini yourself)"
        write_ini "$scan/20-mulopimfwc.ini"
        fpm_scan="${scan/\/cli\//\/fpm\/}"
        if [ "$fpm_scan" != "$scan" ] && [ -d "$fpm_scan" ]; then write_ini "$fpm_scan/20-mulopimfwc.ini"; fi
    fi
fi

# ------------------------------------------------------------------------------------------------ plugin
if [ "$DO_PLUGIN" = 1 ]; then
    dest="$WP_PATH/wp-content/plugins/$PLUGIN_SLUG"
    say "plugin: $REPO/php -> $dest"
    if [ "$DRY" != 1 ]; then
        tmp="$dest.tmp.$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        (cd "$REPO/php" && tar --exclude=./tests --exclude=./install.sh -cf - .) | (cd "$tmp" && tar -xf -)
        rm -rf "$dest"
        mv "$tmp" "$dest"
    else
        printf '    (dry run) copy php/ (without tests/ and install.sh) to %s\n' "$dest"
    fi
fi

# ------------------------------------------------------------------------------------------------ how to verify
echo
say "installed$([ "$DRY" = 1 ] && echo ' (dry run: nothing was changed)')"
if [ "$DO_EXT" = 1 ]; then
    if [ "${#CONF_DIRS[@]}" -gt 0 ]; then
        echo "  - the ini went to ${CONF_DIRS[*]}: check with  PHP_INI_SCAN_DIR=${CONF_DIRS[0]} php -m | grep mulopimfwc"
    else
        echo "  - CLI:  php -m | grep mulopimfwc          (prints: mulopimfwc)"
    fi
    echo "  - FPM:  restart PHP-FPM so its workers load the extension, e.g.  service php$PHP_VER-fpm restart"
    echo "          (or: systemctl restart php$PHP_VER-fpm; or your web server's PHP if it is not FPM)"
fi
if [ "$DO_PLUGIN" = 1 ]; then
    echo "  - activate the plugin: wp-admin > Plugins > \"Multi Location Bulk Sync (native)\""
    echo "          (or: wp plugin activate $PLUGIN_SLUG)"
fi
echo "  - check the engine: curl -si -X POST -H 'Content-Type: application/json' -H 'X-API-Key: YOUR_KEY' \\"
echo "          -d '{\"items\":[]}' https://YOUR-SITE/wp-json/mulopimfwc/v1/inventory/bulk-sync | grep -i x-mulopimfwc-engine"
echo "          X-Mulopimfwc-Engine: native   (php means the extension is not loaded in FPM)"
