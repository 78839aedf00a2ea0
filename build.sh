#!/usr/bin/env bash
# The one entry point: build, test and (later) demo, bench, install, soak.
#
#   ./build.sh [build]   build deps if missing, cargo build --release, check that PHP loads the extension
#   ./build.sh deps      install everything the tests need (apt, as root; only what is missing)
#   ./build.sh test      deps, build, private MariaDB, then every suite; ends with `N passed, M failed`
#   ./build.sh help      this text
#
# Runs from anywhere; the repository is the directory of this script.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$REPO"

SO="$REPO/target/release/libmulopimfwc.so"
LOG_DIR="$REPO/target/test-logs"
MARIADB_SH="$REPO/tests/lib/mariadb.sh"
DB_RUN_DIR="${MULOPIMFWC_TEST_RUN_DIR:-$REPO/target/test-mariadb}"
export MULOPIMFWC_REPO="$REPO"
export MULOPIMFWC_EXT="$SO"

# rustup installs into ~/.cargo/bin, which a non-login shell (CI) may not have on PATH
if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
    PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
# Debian puts mariadbd, php-fpm8.2 and nginx in /usr/sbin, which a non-root PATH may lack
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

say() { printf '==> %s\n' "$*"; }
warn() { printf 'build.sh: %s\n' "$*" >&2; }
die() { warn "error: $*"; exit 1; }

usage() {
    cat <<'EOF'
usage: ./build.sh [COMMAND]

  build     (default) install build deps if missing, cargo build --release, check the extension loads
  test      deps + private MariaDB (stops at once, non-zero, when its port is taken) + build, then all
            suites (selftest-port, fmt, clippy, cargo test, PHPUnit from
            tests/php/phpunit*.xml and php/tests/phpunit*.xml, tests/e2e/run.sh,
            tests/clients/run.sh, tests/reliability/run.sh);
            prints one line per suite and a final `N passed, M failed[, K skipped]`
  deps      install what the tests need with apt-get (root only; only packages that are missing)
  demo      run tests/e2e/demo.sh: a WooCommerce shop, the seed's request, what WooCommerce reports
            (demo stop: stop what it started, its MariaDB and Redis included)
  bench     run bench/run.sh (--quick: a few minutes)
  install   run php/install.sh
  soak      run tests/soak/run.sh
  help      this text

environment:
  MULOPIMFWC_TEST_RUN_DIR   MariaDB run dir (default target/test-mariadb)
  MULOPIMFWC_TEST_DB_PORT   MariaDB port (default 33306)
  MULOPIMFWC_KEEP_DB=1      test: leave MariaDB running afterwards
EOF
}

# run_script_suite LABEL SCRIPT: runs SCRIPT (when present) and counts its last line
# `LABEL: N passed, M failed[, K skipped]`; a missing line or a non-zero exit with no failure counts 1.
run_script_suite() {
    local label=$1 script="$REPO/$2" rc=0 counts=()
    [ -x "$script" ] || return 0
    say "$2"
    run_logged "$LOG_DIR/$label.log" "$script" || rc=$?
    read -r -a counts < <(parse_suite "$label" "$LOG_DIR/$label.log") || true
    record_exit "$label" "$rc" "$2" "without a '$label: N passed, M failed' line" "${counts[@]}"
}

# ---------------------------------------------------------------------------------------------------
# packages

APT_UPDATED=0

have() { command -v "$1" >/dev/null 2>&1; }
have_glob() { compgen -G "$1" >/dev/null 2>&1; }
have_libclang() {
    if [ -n "${LIBCLANG_PATH:-}" ] && have_glob "${LIBCLANG_PATH%/}/libclang*.so*"; then return 0; fi
    have_glob '/usr/lib/llvm-*/lib/libclang.so' || have_glob '/usr/lib/*/libclang.so'
}
have_php_ext() { have_glob "/usr/lib/php/*/$1.so"; }

# apt_install PKG...: one `apt-get update` per run, then install; not root: say what to run and exit 1
apt_install() {
    [ $# -gt 0 ] || return 0
    if [ "$(id -u)" -ne 0 ]; then
        warn "missing packages: $*"
        warn "install them as root: apt-get update && apt-get install -y --no-install-recommends $*"
        exit 1
    fi
    have apt-get || die "missing packages ($*) and no apt-get to install them"
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update"
        apt-get update
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    apt-get install -y --no-install-recommends "$@"
}

missing_build_packages() {
    local pkgs=()
    have php || pkgs+=(php8.2-cli)
    have php-config || pkgs+=(php8.2-dev)
    have clang || pkgs+=(clang)
    have_libclang || pkgs+=(libclang-dev)
    have cc || pkgs+=(gcc libc6-dev) # rustc's default linker
    echo "${pkgs[*]}"
}

missing_test_packages() {
    local pkgs=()
    have_php_ext mysqli || pkgs+=(php8.2-mysql)
    have_php_ext dom || pkgs+=(php8.2-xml)
    have_php_ext mbstring || pkgs+=(php8.2-mbstring)
    have_php_ext curl || pkgs+=(php8.2-curl)
    { have mariadbd && have mariadb-install-db; } || pkgs+=(mariadb-server)
    { have mariadb && have mariadb-admin; } || pkgs+=(mariadb-client)
    [ -f /usr/share/wordpress/wp-load.php ] || pkgs+=(wordpress)
    have phpunit || pkgs+=(phpunit)
    have curl || pkgs+=(curl)
    have php-fpm8.2 || pkgs+=(php8.2-fpm)
    have nginx || pkgs+=(nginx)
    have pkill || pkgs+=(procps) # not in a minimal Debian image; the e2e harness stops workers with it
    have redis-server || pkgs+=(redis-server) # the persistent object cache of the WooCommerce test sites
    have_php_ext redis || pkgs+=(php8.2-redis)
    have xz || pkgs+=(xz-utils)              # tests/lib/deps.sh unpacks WooCommerce, WordPress 7.1, WP-CLI
    have unzip || pkgs+=(unzip)
    have script || pkgs+=(bsdutils)          # a pseudo-terminal for WP-CLI's progress bar
    have openssl || pkgs+=(openssl)          # the HTTPS test sites' self-signed certificates
    [ -f /etc/ssl/certs/ca-certificates.crt ] || pkgs+=(ca-certificates) # pip and npm reach their registries over HTTPS
    have node || pkgs+=(nodejs)              # tests/clients: the official JavaScript client (npm registry)
    have npm || pkgs+=(npm)
    /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || pkgs+=(python3-venv) # tests/clients: PyPI woocommerce
    echo "${pkgs[*]}"
}

ensure_cargo() {
    have cargo || die "cargo not found: install Rust with rustup (https://rustup.rs), then retry"
}

ensure_build_deps() {
    local pkgs
    pkgs="$(missing_build_packages)"
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    if [ -n "$pkgs" ]; then apt_install $pkgs; fi
    ensure_cargo
}

cmd_deps() {
    local pkgs
    pkgs="$(missing_build_packages) $(missing_test_packages)"
    pkgs="$(echo "$pkgs" | xargs)" # trim
    if [ -n "$pkgs" ]; then
        # shellcheck disable=SC2086
        apt_install $pkgs
    else
        say "system packages: all present"
    fi
    ensure_cargo
    local comp
    for comp in rustfmt clippy; do
        local sub=${comp/rustfmt/fmt}
        if ! cargo "$sub" --version >/dev/null 2>&1; then
            if have rustup; then
                say "rustup component add $comp"
                rustup component add "$comp" || warn "could not add the $comp component"
            else
                warn "cargo $sub is missing and there is no rustup to add it"
            fi
        fi
    done
    say "cargo: $(cargo --version)"
}

# ---------------------------------------------------------------------------------------------------
# build

cmd_build() {
    ensure_build_deps
    say "cargo build --release"
    cargo build --release || return 1
    if [ ! -f "$SO" ]; then
        warn "cargo build succeeded but $SO is missing (crate name / crate-type cdylib?)"
        return 1
    fi
    echo "built: $SO"
    echo "check: php -d extension=$SO -r 'var_dump(extension_loaded(\"mulopimfwc\"));'"
    local out
    out="$(php -d extension="$SO" -r 'var_dump(extension_loaded("mulopimfwc"));' 2>&1)" || true
    echo "$out"
    if [[ "$out" != *"bool(true)"* ]]; then
        warn "PHP did not load the extension"
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------------
# test

# shellcheck source=tests/lib/results.sh
. "$REPO/tests/lib/results.sh"

# run_logged LOG CMD...: run, output to the terminal and LOG; returns CMD's exit status
run_logged() {
    local log=$1 st
    shift
    set +e
    "$@" 2>&1 | tee "$log"
    st=${PIPESTATUS[0]}
    set -e
    return "$st"
}

DB_LOCK_FD=
release_db() {
    [ -n "$DB_LOCK_FD" ] || return 0
    exec {DB_LOCK_FD}>&-
    DB_LOCK_FD=
    if [ "${MULOPIMFWC_KEEP_DB:-0}" = 1 ]; then
        say "MariaDB left running (MULOPIMFWC_KEEP_DB=1); stop it with: tests/lib/mariadb.sh stop"
        return 0
    fi
    if [ ! -f "$DB_RUN_DIR/.autostop" ]; then
        say "MariaDB left running: started (or reused by a plain 'mariadb.sh start') outside a test run"
        return 0
    fi
    local fd
    exec {fd}>"$DB_RUN_DIR/.users.lock"
    if flock -xn "$fd"; then
        "$MARIADB_SH" stop || true
    else
        say "MariaDB left running: another test run is using it"
    fi
    exec {fd}>&-
}

# run_phpunit NAME CONFIG CMD...: CMD -c CONFIG --log-junit target/test-logs/NAME.xml, counted from the JUnit log
run_phpunit() {
    local name=$1 cfg=$2 junit rc=0 t f e s p
    shift 2
    junit="$LOG_DIR/$name.xml"
    rm -f "$junit"
    say "$* -c ${cfg#"$REPO"/} --log-junit ${junit#"$REPO"/}"
    run_logged "$LOG_DIR/$name.log" "$@" -c "$cfg" --log-junit "$junit" || rc=$?
    if read -r t f e s < <(parse_junit "$junit"); then
        f=$((f + e))
        p=$((t - f - s))
        if [ "$p" -lt 0 ]; then p=0; fi
        if [ "$rc" -eq 0 ] && [ "$t" -eq 0 ]; then
            record "$name" "$p" 1 "$s" "no tests ran"
        else
            record_exit "$name" "$rc" phpunit "and wrote no JUnit log" "$p" "$f" "$s"
        fi
    else
        # no JUnit log: PHPUnit never got to run tests (bootstrap died, or exited 0 early)
        record_exit "$name" "$rc" phpunit "and wrote no JUnit log"
    fi
}

cmd_test() {
    cmd_deps
    mkdir -p "$LOG_DIR"
    local rc

    # MariaDB first (before the long build): a shared lock for the length of the run; the last run to end stops a
    # server a test run started. Without it no suite can run: stop here, with the reason (e.g. its port taken by
    # the MariaDB of another checkout's demo), instead of failing every suite against no database.
    mkdir -p "$DB_RUN_DIR"
    exec {DB_LOCK_FD}>"$DB_RUN_DIR/.users.lock"
    flock -s "$DB_LOCK_FD"
    trap release_db EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local autostop=1
    if [ "${MULOPIMFWC_KEEP_DB:-0}" = 1 ]; then autostop=0; fi
    rc=0
    MULOPIMFWC_DB_AUTOSTOP=$autostop "$MARIADB_SH" start 2>"$DB_RUN_DIR/start.log" || rc=$?
    cat "$DB_RUN_DIR/start.log" >&2
    if [ "$rc" -ne 0 ]; then
        local why
        why="$(sed -n 's/^mariadb.sh: error: //p' "$DB_RUN_DIR/start.log" 2>/dev/null | tail -n 1)" || why=''
        warn "error: MariaDB did not start${why:+: $why}"
        warn "error: stopping here: no suite ran (every suite needs the test MariaDB)"
        record mariadb 0 1 0 "tests/lib/mariadb.sh start failed; no suite ran"
        exec {DB_LOCK_FD}>&-
        DB_LOCK_FD=
        print_summary || true
        exit 1
    fi
    eval "$("$MARIADB_SH" env)"
    export MULOPIMFWC_TEST_SCHEMA="$REPO/tests/sql/schema.sql"

    # build (counts as one test: a broken build fails the run even when the PHP engine passes)
    rc=0
    run_logged "$LOG_DIR/build.log" "$REPO/build.sh" build || rc=$?
    if [ "$rc" -eq 0 ]; then record build 1 0 0; else record build 0 1 0 "see target/test-logs/build.log"; fi

    # build.sh test itself: it stops early, non-zero, when MariaDB's port is taken by something else
    run_script_suite selftest-port tests/lib/selftest-port.sh

    # (a) formatting and lints: one test each
    say "cargo fmt --check"
    rc=0
    run_logged "$LOG_DIR/fmt.log" cargo fmt --check || rc=$?
    if [ "$rc" -eq 0 ]; then record fmt 1 0 0; else record fmt 0 1 0 "cargo fmt --check"; fi

    say "cargo clippy --release --all-targets -- -D warnings"
    rc=0
    run_logged "$LOG_DIR/clippy.log" cargo clippy --release --all-targets -- -D warnings || rc=$?
    if [ "$rc" -eq 0 ]; then record clippy 1 0 0; else record clippy 0 1 0 "see target/test-logs/clippy.log"; fi

    # (b) Rust tests against the private MariaDB
    say "cargo test --release"
    rc=0
    run_logged "$LOG_DIR/cargo-test.log" cargo test --release || rc=$?
    local p f s note=
    read -r p f s < <(parse_cargo_test "$LOG_DIR/cargo-test.log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        note="cargo test exited $rc without a failing test: build error?"
    fi
    record "cargo test" "$p" "$f" "$s" "$note"

    # (c) PHPUnit: each tests/php/phpunit*.xml with the built extension loaded (tests/php/bootstrap.php: when
    #     MULOPIMFWC_EXT is set the extension must be loaded), then each php/tests/phpunit*.xml (the plugin's
    #     own suites, PHP engine) as plain `phpunit -c FILE` without MULOPIMFWC_EXT.
    local cfg name phpunit_bin ext_cmd
    phpunit_bin="$(command -v phpunit || echo /usr/bin/phpunit)"
    ext_cmd=(php)
    if [ ! -f "$SO" ]; then
        warn "$SO missing: tests/php runs without the extension (PHP engine only)"
        unset MULOPIMFWC_EXT
    elif ! php -m 2>/dev/null | grep -qx mulopimfwc; then
        ext_cmd+=(-d "extension=$SO") # not already loaded through php.ini / conf.d
    fi
    ext_cmd+=("$phpunit_bin")
    shopt -s nullglob
    for cfg in "$REPO"/tests/php/phpunit*.xml; do
        name="$(basename "$cfg" .xml)"
        run_phpunit "$name" "$cfg" "${ext_cmd[@]}"
    done
    for cfg in "$REPO"/php/tests/phpunit*.xml; do
        name="php-tests-$(basename "$cfg" .xml)"
        run_phpunit "$name" "$cfg" env -u MULOPIMFWC_EXT "$phpunit_bin"
    done
    shopt -u nullglob

    # (d) end to end over HTTP, then reliability (concurrency, faults, hostile input, security)
    run_script_suite e2e tests/e2e/run.sh
    run_script_suite clients tests/clients/run.sh
    run_script_suite reliability tests/reliability/run.sh

    release_db # before the summary, so that `N passed, M failed` is the last line
    print_summary
}

# ---------------------------------------------------------------------------------------------------
# commands that live in their own scripts

# delegate SCRIPT NAME ARGS...: run SCRIPT when it exists, else say the command is not available yet
delegate() {
    local script=$1 name=$2
    shift 2
    if [ -f "$REPO/$script" ]; then
        if [ -x "$REPO/$script" ]; then exec "$REPO/$script" "$@"; fi
        exec bash "$REPO/$script" "$@"
    fi
    warn "'$name' is not available yet ($script does not exist)"
    exit 3
}

cmd=${1:-build}
[ $# -eq 0 ] || shift
case "$cmd" in
    build) cmd_build ;;
    deps) cmd_deps ;;
    test) cmd_test ;;
    demo) delegate tests/e2e/demo.sh demo "$@" ;;
    bench) delegate bench/run.sh bench "$@" ;;
    install) delegate php/install.sh install "$@" ;;
    soak) delegate tests/soak/run.sh soak "$@" ;;
    # new commands go here, e.g.:  newcmd) delegate path/to/script.sh newcmd "$@" ;;
    help | -h | --help) usage ;;
    *)
        warn "unknown command: $cmd"
        usage >&2
        exit 2
        ;;
esac
