#!/usr/bin/env bash
# A private Redis for the test sites' persistent object cache (Debian's redis-server): a unix socket only (no TCP
# port to collide with), no persistence. Sites keep apart by their WP_REDIS_PREFIX.
#
#   tests/lib/redis.sh start                  start it unless it answers (idempotent)
#   tests/lib/redis.sh stop                   stop it (idempotent)
#   tests/lib/redis.sh status                 exit 0 when it answers
#   tests/lib/redis.sh socket                 print the socket path
#   tests/lib/redis.sh flush-prefix PREFIX    delete every key starting with PREFIX
#
# Environment: MULOPIMFWC_REDIS_DIR (default $REPO/target/redis).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${MULOPIMFWC_REDIS_DIR:-$REPO/target/redis}"
SOCK="$DIR/redis.sock"
PIDFILE="$DIR/redis.pid"
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

log() { printf 'redis.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cli() { redis-cli -s "$SOCK" "$@"; }
answers() { [ -S "$SOCK" ] && [ "$(cli ping 2>/dev/null)" = PONG ]; }

cmd_start() {
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found (apt-get install redis-server)"
    mkdir -p "$DIR"
    exec {lock}>"$DIR/.start.lock"
    flock -x "$lock"
    # (redis-server is started with the lock's fd closed: a daemon that inherited it would hold the lock for
    # its whole life, and every later `start` would wait for ever.)
    if answers; then return 0; fi
    [ "${#SOCK}" -le 100 ] || die "socket path too long ($SOCK): set MULOPIMFWC_REDIS_DIR to a shorter dir"
    rm -f "$SOCK"
    redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' --appendonly no \
        --daemonize yes --pidfile "$PIDFILE" --logfile "$DIR/redis.log" --dir "$DIR" {lock}>&- \
        || die "redis-server did not start (see $DIR/redis.log)"
    local i
    for ((i = 0; i < 50; i++)); do answers && { log "started (socket $SOCK)"; return 0; }; sleep 0.1; done
    die "Redis did not answer on $SOCK within 5 s (see $DIR/redis.log)"
}

cmd_stop() {
    [ -f "$PIDFILE" ] || { answers && cli shutdown nosave >/dev/null 2>&1; return 0; }
    local pid i
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        cli shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE" "$SOCK"
}

cmd_flush_prefix() {
    local prefix=$1
    [ -n "$prefix" ] || die "flush-prefix needs a PREFIX"
    answers || return 0
    # SCAN + UNLINK in batches (never KEYS on a shared server)
    cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli -s "$SOCK" unlink >/dev/null
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) answers ;;
    socket) echo "$SOCK" ;;
    flush-prefix) cmd_flush_prefix "${2:-}" ;;
    *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep -v '^set -euo' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
