#!/usr/bin/env bash
# A private MariaDB server for the test suites.
#
#   tests/lib/mariadb.sh start    start it (or reuse the one already running from the same run dir)
#   tests/lib/mariadb.sh stop     shut it down (no-op when it is not running)
#   tests/lib/mariadb.sh status   exit 0 when it answers, 1 otherwise
#   tests/lib/mariadb.sh env      print `export` lines for the tests (eval "$(tests/lib/mariadb.sh env)")
#   tests/lib/mariadb.sh wipe     stop it and delete its run dir (next start begins from an empty server)
#
# Settings (environment):
#   MULOPIMFWC_TEST_RUN_DIR   run dir: data dir, socket, pid file, error log   (default $REPO/target/test-mariadb)
#   MULOPIMFWC_TEST_DB_PORT   TCP port on 127.0.0.1 (and ::1 when the host has IPv6)   (default 33306)
#   MULOPIMFWC_TEST_DB_EXTRA_ARGS   more mariadbd options, space-separated, after (so overriding) ours;
#                             they apply when the server starts, not to one that is reused
#
# Accounts it sets up (every start, idempotently):
#   root                 socket only (root@localhost), no password (MULOPIMFWC_DB_ROOT_SOCKET)
#   mulopimfwc           password test-pass-Xy9, @localhost @127.0.0.1 @::1: ALL (WITH GRANT OPTION) on the
#                        databases `mulopimfwc\_%`, plus global PROCESS (SHOW GLOBAL STATUS, processlist)
#   mulopimfwc_dml       password dml-pass-Q7, same hosts, no privileges: tests grant what they need, e.g.
#                        GRANT SELECT, INSERT, UPDATE, DELETE ON `mulopimfwc_x`.* TO 'mulopimfwc_dml'@'127.0.0.1'
#                        (as root over the socket; granting as `mulopimfwc`, escape the underscores,
#                        `mulopimfwc\_x`, or MariaDB reads the name as a wider pattern and refuses)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${MULOPIMFWC_TEST_RUN_DIR:-$REPO/target/test-mariadb}"
PORT="${MULOPIMFWC_TEST_DB_PORT:-33306}"
DATADIR="$RUN_DIR/data"
SOCKET="$RUN_DIR/mysqld.sock"
PIDFILE="$RUN_DIR/mysqld.pid"
ERRLOG="$RUN_DIR/mysqld.err"
INSTALLED_MARK="$DATADIR/.mulopimfwc-installed"
# Present while the server was started by a test run that wants it stopped when the last run ends
# (build.sh test sets MULOPIMFWC_DB_AUTOSTOP=1); a plain `start` of an already running server removes it.
AUTOSTOP_MARK="$RUN_DIR/.autostop"
START_TIMEOUT=30

TEST_USER=mulopimfwc
TEST_PASSWORD=test-pass-Xy9
DML_USER=mulopimfwc_dml
DML_PASSWORD=dml-pass-Q7

log() { printf 'mariadb.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bin() { # first of the given names found in PATH or the sbin dirs
    local name dir
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
        for dir in /usr/sbin /sbin /usr/local/sbin /usr/bin; do
            if [ -x "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
        done
    done
    return 1
}

need_bins() {
    MARIADBD="$(find_bin mariadbd mysqld)" || die "mariadbd not found: apt-get install -y --no-install-recommends mariadb-server (or ./build.sh deps)"
    INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)" || die "mariadb-install-db not found: apt-get install -y mariadb-server"
    CLIENT="$(find_bin mariadb mysql)" || die "mariadb client not found: apt-get install -y mariadb-client"
    ADMIN="$(find_bin mariadb-admin mysqladmin)" || die "mariadb-admin not found: apt-get install -y mariadb-client"
}

root_sql() { "$CLIENT" --no-defaults --protocol=socket --socket="$SOCKET" -uroot "$@"; }

ping_ok() {
    [ -S "$SOCKET" ] || return 1
    "$ADMIN" --no-defaults --protocol=socket --socket="$SOCKET" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

server_pid() { # pid of the server of this run dir, if it is alive
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
    return 1
}

port_in_use() {
    # bash's /dev/tcp: a connect that succeeds means someone listens there
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") >/dev/null 2>&1
}

has_ipv6_loopback() {
    [ -r /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6
}

print_log_tail() {
    if [ -f "$ERRLOG" ]; then
        log "last lines of $ERRLOG:"
        tail -n 30 "$ERRLOG" >&2
    else
        log "no error log at $ERRLOG"
    fi
}

setup_users() {
    local host sql=""
    for host in localhost 127.0.0.1 ::1; do
        sql+="CREATE USER IF NOT EXISTS '$TEST_USER'@'$host' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER '$TEST_USER'@'$host' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON \`mulopimfwc\\_%\`.* TO '$TEST_USER'@'$host' WITH GRANT OPTION;
GRANT PROCESS ON *.* TO '$TEST_USER'@'$host';
CREATE USER IF NOT EXISTS '$DML_USER'@'$host' IDENTIFIED BY '$DML_PASSWORD';
ALTER USER '$DML_USER'@'$host' IDENTIFIED BY '$DML_PASSWORD';
"
    done
    sql+="FLUSH PRIVILEGES;"
    root_sql -e "$sql" || die "could not create the test users"
    # mariadb-install-db also creates root@127.0.0.1, root@::1 and root@<hostname> without a password:
    # drop them, root stays reachable through the socket only.
    local h
    while IFS= read -r h; do
        [ -n "$h" ] || continue
        root_sql -e "DROP USER IF EXISTS 'root'@'${h//\'/}';" || die "could not drop root@$h"
    done < <(root_sql --batch --skip-column-names -e "SELECT Host FROM mysql.user WHERE User='root' AND Host <> 'localhost'")
}

install_datadir() {
    if [ -f "$INSTALLED_MARK" ]; then return 0; fi
    # A data dir without the mark is a half-finished install: start over.
    rm -rf "$DATADIR"
    mkdir -p "$DATADIR"
    local user_args=()
    if [ "$(id -u)" -eq 0 ]; then user_args=(--user=root); fi
    log "initialising $DATADIR"
    if ! "$INSTALL_DB" --no-defaults "${user_args[@]}" --datadir="$DATADIR" \
            --auth-root-authentication-method=normal --skip-test-db >"$RUN_DIR/install.log" 2>&1; then
        tail -n 30 "$RUN_DIR/install.log" >&2
        die "mariadb-install-db failed (log: $RUN_DIR/install.log)"
    fi
    touch "$INSTALLED_MARK"
}

lock_startstop() { # serialise start/stop of this run dir between concurrent callers
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/.startstop.lock"
    flock -w 120 9 || die "could not lock $RUN_DIR/.startstop.lock within 120s"
}

cmd_start() {
    need_bins
    lock_startstop
    if [ "${#SOCKET}" -gt 100 ]; then
        die "socket path too long for a unix socket (${#SOCKET} chars): $SOCKET; set MULOPIMFWC_TEST_RUN_DIR to a shorter dir"
    fi

    if ping_ok; then
        log "already running (socket $SOCKET, port $PORT): reusing it"
        if [ "${MULOPIMFWC_DB_AUTOSTOP:-0}" != 1 ]; then rm -f "$AUTOSTOP_MARK"; fi
        setup_users
        return 0
    fi

    local pid
    if pid="$(server_pid)"; then
        # alive but not answering yet (still starting, or shutting down): give it the same bounded wait
        log "server pid $pid exists but does not answer yet; waiting"
        if wait_ready "$pid"; then setup_users; return 0; fi
        print_log_tail
        die "server pid $pid does not answer; run '$0 stop' and retry"
    fi
    rm -f "$PIDFILE" "$SOCKET" "$SOCKET.lock"

    if port_in_use; then
        local who=''
        if command -v ss >/dev/null 2>&1; then
            who="$(ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -o 'users:(("[^"]*",pid=[0-9]*' | head -n 1 | sed 's/users:(("\([^"]*\)",pid=\([0-9]*\)/: \1, pid \2/')" || who=''
        fi
        die "port $PORT on 127.0.0.1 is already taken by another process$who (not the MariaDB of $RUN_DIR); a MariaDB of another checkout (its demo? './build.sh demo stop' there), or set MULOPIMFWC_TEST_DB_PORT to a free port"
    fi

    install_datadir

    local bind=127.0.0.1
    if has_ipv6_loopback; then bind=127.0.0.1,::1; fi
    local user_args=()
    if [ "$(id -u)" -eq 0 ]; then user_args=(--user=root); fi
    local extra_args=()
    if [ -n "${MULOPIMFWC_TEST_DB_EXTRA_ARGS:-}" ]; then
        read -r -a extra_args <<<"$MULOPIMFWC_TEST_DB_EXTRA_ARGS"
    fi
    mkdir -p "$RUN_DIR/tmp"
    : >"$ERRLOG"

    # Character set / collation as Debian's packaged server (50-server.cnf): WordPress's tables name their
    # own (utf8mb4_unicode_520_ci), so the engine must not rely on the server default matching them.
    # setsid + every fd closed or redirected: the server must not hold the caller's pipes (`$(...)`, `| tee`)
    # or lock files (build.sh's users lock) open. (-w: should setsid have to fork, it stays alive as long as
    # the server, so $! tracks it.)
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-"; fi
        done
        exec setsid -w "$MARIADBD" --no-defaults "${user_args[@]}" \
            --datadir="$DATADIR" \
            --socket="$SOCKET" \
            --pid-file="$PIDFILE" \
            --log-error="$ERRLOG" \
            --tmpdir="$RUN_DIR/tmp" \
            --port="$PORT" \
            --bind-address="$bind" \
            --skip-name-resolve \
            --skip-log-bin \
            --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_general_ci \
            --innodb-lock-wait-timeout=10 \
            --max-connections=300 \
            --innodb-buffer-pool-size=512M \
            --max-allowed-packet=64M \
            "${extra_args[@]}"
    ) </dev/null >>"$ERRLOG" 2>&1 &
    pid=$!

    if ! wait_ready "$pid"; then
        print_log_tail
        kill "$pid" 2>/dev/null || true
        if pid="$(server_pid)"; then kill "$pid" 2>/dev/null || true; fi
        die "MariaDB failed to start or did not answer within ${START_TIMEOUT}s (port $PORT, run dir $RUN_DIR)"
    fi
    setup_users
    if [ "${MULOPIMFWC_DB_AUTOSTOP:-0}" = 1 ]; then touch "$AUTOSTOP_MARK"; else rm -f "$AUTOSTOP_MARK"; fi
    log "started pid $(cat "$PIDFILE" 2>/dev/null || echo "$pid") (socket $SOCKET, 127.0.0.1:$PORT$([ "$bind" != 127.0.0.1 ] && echo ", [::1]:$PORT"))"
}

wait_ready() { # pid: bounded ping loop; fails early when the process dies
    local pid=$1 i
    for ((i = 0; i < START_TIMEOUT * 5; i++)); do
        if ping_ok; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "mariadbd (pid $pid) exited during startup"
            return 1
        fi
        sleep 0.2
    done
    return 1
}

cmd_stop() {
    need_bins
    [ -d "$RUN_DIR" ] || { log "not running"; return 0; }
    lock_startstop
    rm -f "$AUTOSTOP_MARK"
    local pid
    if ! pid="$(server_pid)"; then
        if ping_ok; then
            # answering but no pid file: ask it to shut down through the socket
            "$ADMIN" --no-defaults --protocol=socket --socket="$SOCKET" -uroot shutdown || true
            log "stopped (no pid file)"
        else
            log "not running"
        fi
        rm -f "$PIDFILE"
        return 0
    fi
    "$ADMIN" --no-defaults --protocol=socket --socket="$SOCKET" -uroot --connect-timeout=5 shutdown >/dev/null 2>&1 \
        || kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid still alive after 30s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$PIDFILE" "$SOCKET" "$SOCKET.lock"
    log "stopped"
}

cmd_status() {
    need_bins
    if ping_ok; then
        echo "running: socket $SOCKET, port $PORT, pid $(cat "$PIDFILE" 2>/dev/null || echo '?')"
        return 0
    fi
    echo "not running (run dir $RUN_DIR)"
    return 1
}

cmd_env() {
    local name value
    for name in MULOPIMFWC_DB_HOST MULOPIMFWC_DB_PORT MULOPIMFWC_DB_SOCKET MULOPIMFWC_DB_USER \
        MULOPIMFWC_DB_PASSWORD MULOPIMFWC_DB_ROOT_SOCKET MULOPIMFWC_DB_DML_USER MULOPIMFWC_DB_DML_PASSWORD \
        MULOPIMFWC_TEST_SCHEMA; do
        case "$name" in
            MULOPIMFWC_DB_HOST) value=127.0.0.1 ;;
            MULOPIMFWC_DB_PORT) value=$PORT ;;
            MULOPIMFWC_DB_SOCKET | MULOPIMFWC_DB_ROOT_SOCKET) value=$SOCKET ;;
            MULOPIMFWC_DB_USER) value=$TEST_USER ;;
            MULOPIMFWC_DB_PASSWORD) value=$TEST_PASSWORD ;;
            MULOPIMFWC_DB_DML_USER) value=$DML_USER ;;
            MULOPIMFWC_DB_DML_PASSWORD) value=$DML_PASSWORD ;;
            MULOPIMFWC_TEST_SCHEMA) value=$REPO/tests/sql/schema.sql ;;
        esac
        printf 'export %s=%q\n' "$name" "$value"
    done
}

cmd_wipe() {
    cmd_stop
    rm -rf "$RUN_DIR"
    log "removed $RUN_DIR"
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep -v '^set -euo' | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    env) cmd_env ;;
    wipe) cmd_wipe ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
