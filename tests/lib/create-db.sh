#!/usr/bin/env bash
# (Re)create a test database and load tests/sql/schema.sql into it.
#
#   tests/lib/create-db.sh NAME [PREFIX]
#
# NAME should start with `mulopimfwc_` (the test user only has rights on `mulopimfwc\_%`); PREFIX is the
# WordPress table prefix substituted for `{prefix}` (default `wp_`). Runs as root over the private server's
# socket (MULOPIMFWC_DB_ROOT_SOCKET, else the socket of tests/lib/mariadb.sh's run dir); the server must be
# running (tests/lib/mariadb.sh start). Any existing database NAME is dropped first.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCHEMA="$REPO/tests/sql/schema.sql"

die() { printf 'create-db.sh: error: %s\n' "$*" >&2; exit 1; }

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: $0 NAME [PREFIX]"; fi
NAME=$1
PREFIX=${2-wp_}
[[ "$NAME" =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "database name must match [A-Za-z0-9_]{1,64}: '$NAME'"
[[ "$PREFIX" =~ ^[A-Za-z0-9_]*$ ]] || die "table prefix must match [A-Za-z0-9_]*: '$PREFIX'"
case "$NAME" in
    mulopimfwc_*) ;;
    *) printf 'create-db.sh: warning: the test user has no rights on "%s" (only on mulopimfwc_*)\n' "$NAME" >&2 ;;
esac
[ -f "$SCHEMA" ] || die "missing $SCHEMA"

SOCKET="${MULOPIMFWC_DB_ROOT_SOCKET:-${MULOPIMFWC_TEST_RUN_DIR:-$REPO/target/test-mariadb}/mysqld.sock}"
[ -S "$SOCKET" ] || die "no server socket at $SOCKET: run tests/lib/mariadb.sh start first"

CLIENT="$(command -v mariadb || command -v mysql)" || die "mariadb client not found: apt-get install -y mariadb-client"

# shellcheck disable=SC2016 # backticks are SQL quoting
{
    printf 'DROP DATABASE IF EXISTS `%s`;\n' "$NAME"
    printf 'CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;\n' "$NAME"
    printf 'USE `%s`;\n' "$NAME"
    sed "s/{prefix}/$PREFIX/g" "$SCHEMA"
} | "$CLIENT" --no-defaults --protocol=socket --socket="$SOCKET" -uroot --batch

echo "created database $NAME (prefix $PREFIX)"
