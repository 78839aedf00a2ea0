#!/usr/bin/env bash
# A throwaway WordPress site served by nginx + php-fpm (Debian's packages) with the plugin active, for the
# end-to-end tests, the demo, benchmarks and reliability tests.
#
#   tests/e2e/lib/site.sh start NAME [--engine native|php] [--workers N] [--port P] [--stack S] [--redis]
#                                    [--product-cache] [--https]
#   tests/e2e/lib/site.sh stop NAME       stop its nginx and php-fpm (idempotent; the database stays)
#   tests/e2e/lib/site.sh env NAME        print its export lines (eval "$(tests/e2e/lib/site.sh env NAME)")
#   tests/e2e/lib/site.sh status NAME     exit 0 when the site answers
#   tests/e2e/lib/site.sh stacks          the stacks whose software is here (one per line), or nothing
#
# Stacks (--stack, default wc79):
#   wc79    Debian's WordPress 6.1 + WooCommerce 7.9.0 (active)
#   wc105   WordPress 7.1 + WooCommerce 10.5.0 (active)
#   nowc    Debian's WordPress 6.1 without WooCommerce (the plugin's "WooCommerce not active" path; WooCommerce's
#           lookup table and terms made by hand, as before)
# WooCommerce and WordPress 7.1 come from tests/lib/deps.sh; when a stack's software is missing, `start` exits 3
# with the reason (callers skip and count it). --redis: a persistent object cache (tests/lib/redis.sh, the Redis
# Object Cache drop-in, a per-site prefix). --product-cache: WooCommerce 10.5's product object cache
# (feature product_instance_caching) switched on. --https: nginx also serves the site over HTTPS on a second port
# (E2E_HTTPS_PORT, the next free one after the HTTP port) with a self-signed certificate made by openssl at start
# (E2E_TLS_CERT, for IP 127.0.0.1 and DNS localhost; a client may trust it as its CA); PHP sees HTTPS=on there, so
# is_ssl() holds. The site's home URL stays the HTTP one.
#
# `start` always builds the site afresh (a running site of that NAME is stopped first, its dir and database
# are recreated):
#   - MariaDB of tests/lib/mariadb.sh (started when it does not answer), database mulopimfwc_e2e_NAME
#     (NAME with '-' turned into '_'), reached through the server's socket (DB_HOST 'localhost:/path.sock');
#   - target/e2e/NAME/ (the site dir, E2E_WP_DIR, nginx's root): `cp -a /usr/share/wordpress`, own wp-config.php (WP_DEBUG on, display off, log to
#     target/e2e/NAME/debug.log, WP_ENVIRONMENT_TYPE local, WP-Cron and outgoing HTTP off), WordPress
#     installed by tests/e2e/lib/install-site.php (pretty permalinks /%postname%/, so both /wp-json/... and
#     ?rest_route=... work), php/ symlinked as wp-content/plugins/mulopimfwc-bulk-sync and activated,
#     the mu-plugin tests/e2e/lib/mulopimfwc-test-helpers.php copied into wp-content/mu-plugins/;
#   - users: admin (administrator), shopmgr (role shop_manager) and reader (subscriber), each with an
#     application password; administrator and shop_manager get the manage_woocommerce capability;
#   - option mulopimfwc_api_key = a random key; WooCommerce's wc_product_meta_lookup table (tests/sql/schema.sql)
#     and the product_type / product_visibility terms;
#   - php-fpm8.2 (own pool: unix socket, pm static, --workers children (default 4), the extension
#     target/release/libmulopimfwc.so loaded only with --engine native (the default)), and nginx listening on
#     127.0.0.1:P (default: from a hash of NAME in 18080-18999; the next free port when that one is taken);
#   - waits until the REST root answers, then writes target/e2e/NAME/env:
#     E2E_URL E2E_WP_DIR E2E_DB_NAME E2E_API_KEY E2E_ADMIN_USER E2E_APP_PASSWORD E2E_FPM_PIDFILE
#     E2E_NGINX_PIDFILE E2E_ENGINE, plus E2E_NAME E2E_PORT E2E_DB_HOST E2E_DB_SOCKET E2E_DB_USER
#     E2E_DB_PASSWORD E2E_SHOP_USER E2E_SHOP_APP_PASSWORD E2E_NOCAP_USER E2E_NOCAP_APP_PASSWORD E2E_WORKERS
#     E2E_SITE_DIR E2E_EXT, and (empty without --https) E2E_HTTPS_URL E2E_HTTPS_PORT E2E_TLS_CERT.
#
# Environment: MULOPIMFWC_E2E_DIR (default $REPO/target/e2e), MULOPIMFWC_EXT (default
# $REPO/target/release/libmulopimfwc.so), MULOPIMFWC_WP_CORE (default /usr/share/wordpress), and the
# MULOPIMFWC_TEST_* settings of tests/lib/mariadb.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
LIB="$REPO/tests/e2e/lib"
E2E_DIR="${MULOPIMFWC_E2E_DIR:-$REPO/target/e2e}"
EXT="${MULOPIMFWC_EXT:-$REPO/target/release/libmulopimfwc.so}"
WP_CORE="${MULOPIMFWC_WP_CORE:-/usr/share/wordpress}"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
READY_TIMEOUT=30

case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

log() { printf 'site.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep -v '^set -euo' | sed 's/^# \{0,1\}//'
}

check_name() {
    [ -n "${1:-}" ] || die "NAME missing (usage: site.sh start|stop|env|status NAME)"
    [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$ ]] || die "bad site NAME '$1': letters, digits, '-', '_' (at most 32)"
}

tail_logs() { # tail the logs of a site that failed
    local f
    for f in "$@"; do
        if [ -s "$f" ]; then
            log "last lines of $f:"
            tail -n 25 "$f" >&2
        fi
    done
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# stop_pidfile PIDFILE WHAT: SIGQUIT (graceful), then TERM, then KILL; bounded
stop_pidfile() {
    local pf=$1 what=$2 pid i
    [ -f "$pf" ] || return 0
    pid="$(cat "$pf" 2>/dev/null || true)"
    if ! pid_alive "$pid"; then rm -f "$pf"; return 0; fi
    kill -QUIT "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then
        log "$what (pid $pid) still alive: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        # php-fpm children die with their master's process group only if killed too
        pkill -KILL -P "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$pf"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

default_port() { # 18080-18999 from a hash of NAME
    local h
    h="$(printf '%s' "$1" | cksum | cut -d' ' -f1)"
    echo $((18080 + h % 920))
}

cmd_stop() {
    local name=$1 dir
    check_name "$name"
    dir="$E2E_DIR/$name"
    [ -d "$dir" ] || { log "site $name: nothing to stop"; return 0; }
    stop_pidfile "$dir/nginx.pid" "nginx of site $name"
    stop_pidfile "$dir/php-fpm.pid" "php-fpm of site $name"
    rm -f "$dir/php-fpm.sock"
    log "site $name stopped (database kept)"
}

cmd_env() {
    local name=$1
    check_name "$name"
    [ -f "$E2E_DIR/$name/env" ] || die "site $name has no env file ($E2E_DIR/$name/env): start it first"
    cat "$E2E_DIR/$name/env"
}

cmd_stacks() { # the stacks whose software tests/lib/deps.sh finds
    local d="$REPO/tests/lib/deps.sh"
    echo nowc
    if "$d" path woocommerce-7.9.0 >/dev/null 2>&1; then echo wc79; fi
    if "$d" path wordpress-7.1 >/dev/null 2>&1 && "$d" path woocommerce-10.5.0 >/dev/null 2>&1; then echo wc105; fi
}

cmd_status() {
    local name=$1 url
    check_name "$name"
    [ -f "$E2E_DIR/$name/env" ] || { echo "site $name: not started"; return 1; }
    # shellcheck disable=SC1090
    url="$(. "$E2E_DIR/$name/env" && echo "$E2E_URL")"
    if curl -fsS -o /dev/null --max-time 5 "$url/?rest_route=/"; then
        echo "site $name: running at $url"
        return 0
    fi
    echo "site $name: not answering at $url"
    return 1
}

cmd_start() {
    local name=$1
    shift
    check_name "$name"
    local engine=native workers=4 port='' port_given=0 stack=wc79 redis=0 product_cache=0 https=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --engine) engine=${2:-}; shift 2 ;;
            --engine=*) engine=${1#*=}; shift ;;
            --workers) workers=${2:-}; shift 2 ;;
            --workers=*) workers=${1#*=}; shift ;;
            --port) port=${2:-}; port_given=1; shift 2 ;;
            --port=*) port=${1#*=}; port_given=1; shift ;;
            --stack) stack=${2:-}; shift 2 ;;
            --stack=*) stack=${1#*=}; shift ;;
            --redis) redis=1; shift ;;
            --product-cache) product_cache=1; shift ;;
            --https) https=1; shift ;;
            *) die "unknown option $1 (start NAME [--engine native|php] [--workers N] [--port P] [--stack wc79|wc105|nowc] [--redis] [--product-cache] [--https])" ;;
        esac
    done
    case "$engine" in native | php) ;; *) die "--engine must be native or php, not '$engine'" ;; esac
    case "$stack" in wc79 | wc105 | nowc) ;; *) die "--stack must be wc79, wc105 or nowc, not '$stack'" ;; esac
    [[ "$workers" =~ ^[1-9][0-9]{0,2}$ ]] || die "--workers must be a positive integer, not '$workers'"
    if [ "$port_given" = 1 ]; then
        [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad --port '$port'"
    fi

    local b
    for b in php php-fpm8.2 nginx curl; do
        command -v "$b" >/dev/null 2>&1 || die "$b not found (./build.sh deps installs it)"
    done
    if [ "$https" = 1 ]; then
        command -v openssl >/dev/null 2>&1 || die "openssl not found (--https makes its certificate with it)"
    fi
    # the stack's software (exit 3: not available here, the caller skips)
    local core="$WP_CORE" wc_dir='' redis_dir='' wp_cli=''
    if [ "$stack" = wc105 ]; then
        core="$("$REPO/tests/lib/deps.sh" path wordpress-7.1)" || { log "skip: stack wc105 needs WordPress 7.1 (tests/lib/deps.sh)"; exit 3; }
        wc_dir="$("$REPO/tests/lib/deps.sh" path woocommerce-10.5.0)" || { log "skip: stack wc105 needs WooCommerce 10.5.0 (tests/lib/deps.sh)"; exit 3; }
    elif [ "$stack" = wc79 ]; then
        wc_dir="$("$REPO/tests/lib/deps.sh" path woocommerce-7.9.0)" || { log "skip: stack wc79 needs WooCommerce 7.9.0 (tests/lib/deps.sh)"; exit 3; }
    fi
    if [ "$redis" = 1 ]; then
        redis_dir="$("$REPO/tests/lib/deps.sh" path redis-cache-2.6.3)" || { log "skip: --redis needs the Redis Object Cache plugin (tests/lib/deps.sh)"; exit 3; }
        command -v redis-server >/dev/null 2>&1 || { log "skip: --redis needs redis-server (./build.sh deps installs it)"; exit 3; }
        php -r 'exit(extension_loaded("redis") ? 0 : 1);' || { log "skip: --redis needs php8.2-redis (./build.sh deps installs it)"; exit 3; }
    fi
    if [ "$product_cache" = 1 ] && [ "$stack" != wc105 ]; then die "--product-cache needs --stack wc105"; fi
    wp_cli="$("$REPO/tests/lib/deps.sh" wp 2>/dev/null)" || wp_cli=''
    [ -f "$core/wp-settings.php" ] || die "WordPress not found at $core (apt-get install wordpress)"
    if [ "$engine" = native ]; then
        [ -f "$EXT" ] || die "extension $EXT missing: run ./build.sh build (or start with --engine php)"
        case "$EXT" in /*) ;; *) die "MULOPIMFWC_EXT must be an absolute path: $EXT" ;; esac
    fi

    # MariaDB
    if ! "$MARIADB_SH" status >/dev/null 2>&1; then
        log "starting MariaDB (tests/lib/mariadb.sh start)"
        "$MARIADB_SH" start >&2 || die "could not start MariaDB"
    fi
    eval "$("$MARIADB_SH" env)"
    [ -n "${MULOPIMFWC_DB_SOCKET:-}" ] && [ -S "$MULOPIMFWC_DB_SOCKET" ] || die "MariaDB socket missing: $MULOPIMFWC_DB_SOCKET"

    local dir="$E2E_DIR/$name"
    mkdir -p "$E2E_DIR"
    dir="$(cd "$E2E_DIR" && pwd)/$name"
    local sock="$dir/php-fpm.sock"
    [ "${#sock}" -le 100 ] || die "socket path too long ($sock): set MULOPIMFWC_E2E_DIR to a shorter dir"

    # a running site of the same name goes first
    cmd_stop "$name" 2>/dev/null || true

    if [ -z "$port" ]; then
        port="$(default_port "$name")"
        local tries=0
        while port_in_use "$port"; do
            tries=$((tries + 1))
            [ "$tries" -lt 50 ] || die "no free port near $(default_port "$name")"
            port=$((18080 + (port - 18080 + 1) % 920))
        done
    elif port_in_use "$port"; then
        die "port $port on 127.0.0.1 is already taken"
    fi
    local url="http://127.0.0.1:$port"
    local https_port='' https_url='' tls_cert='' tls_key=''
    if [ "$https" = 1 ]; then
        https_port=$((18080 + (port - 18080 + 1) % 920))
        local htries=0
        while port_in_use "$https_port" || [ "$https_port" = "$port" ]; do
            htries=$((htries + 1))
            [ "$htries" -lt 50 ] || die "no free HTTPS port near $port"
            https_port=$((18080 + (https_port - 18080 + 1) % 920))
        done
        https_url="https://127.0.0.1:$https_port"
    fi
    local db_name="mulopimfwc_e2e_${name//-/_}"

    log "site $name: building $dir (engine $engine, $workers workers, $url, database $db_name)"
    rm -rf "$dir"
    cp -a "$core" "$dir"
    local wp="$dir"
    rm -f "$wp/wp-config.php" "$wp/.htaccess"
    mkdir -p "$wp/wp-content/plugins" "$wp/wp-content/mu-plugins" "$wp/wp-content/uploads" "$dir/tmp"
    ln -s "$REPO/php" "$wp/wp-content/plugins/mulopimfwc-bulk-sync"
    if [ -n "$wc_dir" ]; then ln -s "$wc_dir" "$wp/wp-content/plugins/woocommerce"; fi
    local redis_socket='' redis_prefix=''
    if [ "$redis" = 1 ]; then
        "$REPO/tests/lib/redis.sh" start >&2 || die "could not start Redis (tests/lib/redis.sh start)"
        redis_socket="$("$REPO/tests/lib/redis.sh" socket)"
        redis_prefix="mulopimfwc_e2e_${name//-/_}:"
        # a rebuilt site must not read the last one's cache
        "$REPO/tests/lib/redis.sh" flush-prefix "$redis_prefix" >&2 || true
        cp "$redis_dir/includes/object-cache.php" "$wp/wp-content/object-cache.php"
        ln -s "$redis_dir" "$wp/wp-content/plugins/redis-cache"
    fi
    cp "$LIB/mulopimfwc-test-helpers.php" "$wp/wp-content/mu-plugins/mulopimfwc-test-helpers.php"
    if [ "$https" = 1 ]; then
        # a self-signed certificate of this site's own (outside nginx's root)
        tls_cert="$dir/tls/cert.pem"
        tls_key="$dir/tls/key.pem"
        mkdir -p "$dir/tls"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
            -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            -keyout "$tls_key" -out "$tls_cert" >/dev/null 2>&1 || die "openssl could not make the certificate of site $name"
    fi

    # database
    mariadb --no-defaults --protocol=socket --socket="$MULOPIMFWC_DB_SOCKET" -u"$MULOPIMFWC_DB_USER" \
        -p"$MULOPIMFWC_DB_PASSWORD" -e "DROP DATABASE IF EXISTS \`$db_name\`; CREATE DATABASE \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci" \
        || die "could not create database $db_name"

    # wp-config.php
    local db_host="localhost:$MULOPIMFWC_DB_SOCKET"
    php -r '
        [$_, $file, $name, $user, $pass, $host, $url, $log, $redis_socket, $redis_prefix] = $argv;
        $salt = fn () => bin2hex(random_bytes(32));
        $e = fn ($v) => var_export($v, true);
        $c = "<?php\n// wp-config.php of the e2e site " . $name . " (written by tests/e2e/lib/site.sh; rebuilt on every start)\n";
        foreach ([
            "DB_NAME" => $name, "DB_USER" => $user, "DB_PASSWORD" => $pass, "DB_HOST" => $host,
            "DB_CHARSET" => "utf8mb4", "DB_COLLATE" => "",
            "WP_HOME" => $url, "WP_SITEURL" => $url,
            "WP_DEBUG" => true, "WP_DEBUG_DISPLAY" => false, "WP_DEBUG_LOG" => $log,
            "WP_ENVIRONMENT_TYPE" => "local",
            "DISABLE_WP_CRON" => true, "WP_HTTP_BLOCK_EXTERNAL" => true, "AUTOMATIC_UPDATER_DISABLED" => true,
            "WP_AUTO_UPDATE_CORE" => false, "FS_METHOD" => "direct",
        ] + ($redis_socket === "" ? [] : [
            "WP_REDIS_SCHEME" => "unix", "WP_REDIS_PATH" => $redis_socket, "WP_REDIS_PREFIX" => $redis_prefix,
            "WP_REDIS_CLIENT" => "phpredis", "WP_REDIS_TIMEOUT" => 2, "WP_REDIS_READ_TIMEOUT" => 5,
        ]) as $k => $v) {
            $c .= "define( " . $e($k) . ", " . $e($v) . " );\n";
        }
        foreach (["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"] as $k) {
            $c .= "define( " . $e($k) . ", " . $e($salt()) . " );\n";
        }
        $c .= "\$table_prefix = \"wp_\";\n";
        $c .= "if ( ! defined( \"ABSPATH\" ) ) {\n\tdefine( \"ABSPATH\", __DIR__ . \"/\" );\n}\n";
        $c .= "require_once ABSPATH . \"wp-settings.php\";\n";
        file_put_contents($file, $c);
    ' "$wp/wp-config.php" "$db_name" "$MULOPIMFWC_DB_USER" "$MULOPIMFWC_DB_PASSWORD" "$db_host" "$url" "$dir/debug.log" \
        "$redis_socket" "$redis_prefix"

    # install WordPress, users, key, tables, terms, plugin
    local api_key
    api_key="e2e-$(php -r 'echo bin2hex(random_bytes(16));')"
    local install_out
    local wc_arg=none
    if [ -n "$wc_dir" ]; then wc_arg=woocommerce; fi
    if [ "$product_cache" = 1 ]; then wc_arg=woocommerce+product_cache; fi
    if ! install_out="$(php "$LIB/install-site.php" "$wp" "$url" "$api_key" "$REPO" "$wc_arg" 2>&1)"; then
        printf '%s\n' "$install_out" >&2
        tail_logs "$dir/debug.log"
        die "WordPress install of site $name failed"
    fi
    # install-site.php prints KEY=VALUE lines (application passwords)
    local admin_pw shop_pw nocap_pw
    admin_pw="$(sed -n 's/^ADMIN_APP_PASSWORD=//p' <<<"$install_out")"
    shop_pw="$(sed -n 's/^SHOP_APP_PASSWORD=//p' <<<"$install_out")"
    nocap_pw="$(sed -n 's/^NOCAP_APP_PASSWORD=//p' <<<"$install_out")"
    [ -n "$admin_pw" ] && [ -n "$shop_pw" ] && [ -n "$nocap_pw" ] || { printf '%s\n' "$install_out" >&2; die "install did not report the application passwords"; }

    # php-fpm
    local fpm_conf="$dir/php-fpm.conf" fpm_pid="$dir/php-fpm.pid" root_args=() user_lines=""
    if [ "$(id -u)" -eq 0 ]; then
        root_args=(-R)
        user_lines=$'user = root\ngroup = root'
    fi
    local ext_line="; engine php: the extension is not loaded"
    if [ "$engine" = native ]; then ext_line="php_admin_value[extension] = $EXT"; fi
    cat >"$fpm_conf" <<CONF
; php-fpm of the e2e site $name (tests/e2e/lib/site.sh)
[global]
pid = $fpm_pid
error_log = $dir/php-fpm.log
daemonize = yes

[e2e_${name//-/_}]
$user_lines
listen = $sock
listen.mode = 0666
pm = static
pm.max_children = $workers
catch_workers_output = yes
decorate_workers_output = no
clear_env = no
request_terminate_timeout = 600
php_admin_value[error_log] = $dir/php-error.log
php_admin_flag[log_errors] = on
php_admin_value[memory_limit] = 1024M
php_admin_value[post_max_size] = 200M
php_admin_value[max_execution_time] = 600
$ext_line
CONF
    : >"$dir/php-fpm.log"
    if ! php-fpm8.2 "${root_args[@]}" -y "$fpm_conf" -g "$fpm_pid" >>"$dir/php-fpm.log" 2>&1; then
        tail_logs "$dir/php-fpm.log" "$dir/php-error.log"
        die "php-fpm8.2 did not start for site $name"
    fi
    local i
    for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
    [ -S "$sock" ] || { tail_logs "$dir/php-fpm.log"; die "php-fpm did not create $sock within 5s"; }

    # nginx
    local ngx_conf="$dir/nginx.conf" ngx_pid="$dir/nginx.pid" ngx_user=""
    mkdir -p "$dir/nginx"
    if [ "$(id -u)" -eq 0 ]; then ngx_user="user root root;"; fi
    local tls_lines="        # HTTPS: none (start --https)"
    if [ "$https" = 1 ]; then
        tls_lines="        listen 127.0.0.1:$https_port ssl;
        ssl_certificate $tls_cert;
        ssl_certificate_key $tls_key;"
    fi
    cat >"$ngx_conf" <<CONF
# nginx of the e2e site $name (tests/e2e/lib/site.sh)
$ngx_user
daemon on;
worker_processes 2;
pid $ngx_pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
    default_type application/octet-stream;
    access_log $dir/nginx-access.log;
    client_body_temp_path $dir/nginx/body;
    fastcgi_temp_path $dir/nginx/fastcgi;
    proxy_temp_path $dir/nginx/proxy;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    client_max_body_size 200m;
    client_body_buffer_size 1m;
    keepalive_timeout 65;
    server {
        listen 127.0.0.1:$port;
$tls_lines
        server_name 127.0.0.1 localhost;
        root $wp;
        index index.php;
        # the site's own runtime files live in the site dir too: not served
        location ~ (^/(env|debug\.log)$|\.(log|conf|pid|sock)$|^/nginx/|^/tmp/) {
            deny all;
        }
        location / {
            try_files \$uri \$uri/ /index.php?\$args;
        }
        location ~ \.php\$ {
            try_files \$uri =404;
            fastcgi_pass unix:$sock;
            fastcgi_index index.php;
            fastcgi_read_timeout 600;
            fastcgi_send_timeout 600;
            fastcgi_buffers 16 64k;
            fastcgi_buffer_size 64k;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
            fastcgi_param REQUEST_URI \$request_uri;
            fastcgi_param DOCUMENT_URI \$document_uri;
            fastcgi_param DOCUMENT_ROOT \$document_root;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param REQUEST_SCHEME \$scheme;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param SERVER_SOFTWARE nginx/\$nginx_version;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param REMOTE_PORT \$remote_port;
            fastcgi_param SERVER_ADDR \$server_addr;
            fastcgi_param SERVER_PORT \$server_port;
            fastcgi_param SERVER_NAME \$server_name;
            fastcgi_param HTTP_HOST \$http_host;
            fastcgi_param HTTPS \$https if_not_empty;
            fastcgi_param REDIRECT_STATUS 200;
        }
    }
}
CONF
    : >"$dir/nginx-error.log"
    if ! nginx -e "$dir/nginx-error.log" -p "$dir/nginx" -c "$ngx_conf" >>"$dir/nginx-error.log" 2>&1; then
        tail_logs "$dir/nginx-error.log"
        stop_pidfile "$fpm_pid" "php-fpm of site $name"
        die "nginx did not start for site $name"
    fi

    # ready?
    local code=
    for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/?rest_route=/" || true)"
        [ "$code" = 200 ] && break
        sleep 0.2
    done
    if [ "$code" != 200 ]; then
        tail_logs "$dir/nginx-error.log" "$dir/php-fpm.log" "$dir/php-error.log" "$dir/debug.log"
        die "site $name: $url/?rest_route=/ did not answer 200 within ${READY_TIMEOUT}s (last: ${code:-no answer})"
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/wp-json/" || true)"
    [ "$code" = 200 ] || log "warning: $url/wp-json/ answers $code (pretty permalinks?)"
    if [ "$https" = 1 ]; then
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$tls_cert" "$https_url/?rest_route=/" || true)"
        if [ "$code" != 200 ]; then
            tail_logs "$dir/nginx-error.log"
            die "site $name: $https_url/?rest_route=/ did not answer 200 (last: ${code:-no answer})"
        fi
    fi

    {
        printf '# site %s (tests/e2e/lib/site.sh start %s --engine %s --workers %s)\n' "$name" "$name" "$engine" "$workers"
        local k v
        for k in E2E_NAME E2E_URL E2E_PORT E2E_SITE_DIR E2E_WP_DIR E2E_DB_NAME E2E_DB_HOST E2E_DB_SOCKET E2E_DB_USER \
            E2E_DB_PASSWORD E2E_API_KEY E2E_ADMIN_USER E2E_APP_PASSWORD E2E_SHOP_USER E2E_SHOP_APP_PASSWORD \
            E2E_NOCAP_USER E2E_NOCAP_APP_PASSWORD E2E_FPM_PIDFILE E2E_NGINX_PIDFILE E2E_ENGINE E2E_WORKERS E2E_EXT \
            E2E_STACK E2E_WP_VERSION E2E_WC_VERSION E2E_REDIS_SOCKET E2E_REDIS_PREFIX E2E_PRODUCT_CACHE E2E_WP_CLI \
            E2E_WP_PHP_ARGS E2E_HTTPS_URL E2E_HTTPS_PORT E2E_TLS_CERT; do
            case "$k" in
                E2E_NAME) v=$name ;;
                E2E_URL) v=$url ;;
                E2E_PORT) v=$port ;;
                E2E_SITE_DIR) v=$dir ;;
                E2E_WP_DIR) v=$wp ;;
                E2E_DB_NAME) v=$db_name ;;
                E2E_DB_HOST) v=$db_host ;;
                E2E_DB_SOCKET) v=$MULOPIMFWC_DB_SOCKET ;;
                E2E_DB_USER) v=$MULOPIMFWC_DB_USER ;;
                E2E_DB_PASSWORD) v=$MULOPIMFWC_DB_PASSWORD ;;
                E2E_API_KEY) v=$api_key ;;
                E2E_ADMIN_USER) v="admin" ;;
                E2E_APP_PASSWORD) v=$admin_pw ;;
                E2E_SHOP_USER) v=shopmgr ;;
                E2E_SHOP_APP_PASSWORD) v=$shop_pw ;;
                E2E_NOCAP_USER) v=reader ;;
                E2E_NOCAP_APP_PASSWORD) v=$nocap_pw ;;
                E2E_FPM_PIDFILE) v=$fpm_pid ;;
                E2E_NGINX_PIDFILE) v=$ngx_pid ;;
                E2E_ENGINE) v=$engine ;;
                E2E_WORKERS) v=$workers ;;
                E2E_EXT) if [ "$engine" = native ]; then v=$EXT; else v=; fi ;;
                E2E_STACK) v=$stack ;;
                E2E_WP_VERSION) v="$(php -r 'include $argv[1]; echo $wp_version;' "$wp/wp-includes/version.php")" ;;
                E2E_WC_VERSION) if [ -n "$wc_dir" ]; then v="$(sed -n "s/^ \\* Version: *//p" "$wc_dir/woocommerce.php" | head -n 1 | tr -d "\r ")"; else v=; fi ;;
                E2E_REDIS_SOCKET) v=$redis_socket ;;
                E2E_REDIS_PREFIX) v=$redis_prefix ;;
                E2E_PRODUCT_CACHE) v=$product_cache ;;
                E2E_WP_CLI) v=$wp_cli ;;
                E2E_WP_PHP_ARGS) if [ "$engine" = native ]; then v="-d extension=$EXT"; else v=; fi ;;
                E2E_HTTPS_URL) v=$https_url ;;
                E2E_HTTPS_PORT) v=$https_port ;;
                E2E_TLS_CERT) v=$tls_cert ;;
            esac
            printf 'export %s=%q\n' "$k" "$v"
        done
    } >"$dir/env"
    log "site $name: ready at $url${https_url:+ and $https_url} (engine $engine); env: $dir/env"
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
    start) [ $# -ge 1 ] || die "usage: site.sh start NAME [--engine native|php] [--workers N] [--port P]"; cmd_start "$@" ;;
    stop) [ $# -eq 1 ] || die "usage: site.sh stop NAME"; cmd_stop "$1" ;;
    env) [ $# -eq 1 ] || die "usage: site.sh env NAME"; cmd_env "$1" ;;
    status) [ $# -eq 1 ] || die "usage: site.sh status NAME"; cmd_status "$1" ;;
    stacks) cmd_stacks ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
