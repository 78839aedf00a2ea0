# shellcheck shell=bash
# What the end-to-end runners share (sourced by tests/e2e/run.sh and tests/e2e/wc-run.sh, not run): result lines
# and counts, the counts of a driver's log, a site start read the way site.sh means its exit code (0 started,
# 3 the stack's software is missing: skipped and counted, anything else failed).
#
# The sourcing script sets REPO and LOGS before it sources this file.

SITE="${SITE:-$REPO/tests/e2e/lib/site.sh}"
PASSED=0
FAILED=0
SKIPPED=0
T0=$(date +%s)
say() { printf '==> %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok    [%s] %s\n' "$1" "$2"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL  [%s] %s\n' "$1" "$2"; [ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/      /' | tail -n 30; }
skip() { SKIPPED=$((SKIPPED + 1)); printf 'skip  [%s] %s\n' "$1" "$2"; }

# add_counts LOG: sum the `E2E-COUNTS ... passed=N failed=M skipped=K` lines of a driver's log
add_counts() {
    local line p f s
    while read -r line; do
        p="$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")"
        f="$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")"
        s="$(sed -E 's/.*skipped=([0-9]+).*/\1/' <<<"$line")"
        PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
    done < <(grep -E '^E2E-COUNTS ' "$1" || true)
}

# collect LABEL LOG WHAT RC [PREFIX]: the counts of LOG's lines `E2E-COUNTS PREFIX...` (any E2E-COUNTS line without
# PREFIX); a FAIL line naming WHAT and exit code RC when it has none.
collect() {
    local label=$1 log=$2 what=$3 rc=$4 prefix=${5:-}
    if grep -q "^E2E-COUNTS $prefix" "$log"; then
        add_counts <(grep "^E2E-COUNTS $prefix" "$log")
    else
        fail "$label" "$what ended (exit $rc) without counts" "$(tail -n 20 "$log")"
    fi
}

# skip_reason NAME: why `site.sh start NAME` exited 3 (its `site.sh: skip:` line)
skip_reason() {
    local reason
    reason="$(sed -n 's/^site\.sh: skip: //p' "$LOGS/site-$1.log" | head -n 1)"
    echo "${reason:-the software of its stack is missing}"
}

# site_result LABEL NAME RC WHAT: the result line of `site.sh start NAME` that exited RC (its log:
# $LOGS/site-NAME.log); returns 0 when the site started. WHAT names the start in the ok and FAIL lines.
site_result() {
    local label=$1 name=$2 rc=$3 what=$4
    if [ "$rc" -eq 0 ]; then
        return 0
    elif [ "$rc" -eq 3 ]; then
        skip "$label" "$name: $(skip_reason "$name")"
    else
        fail "$label" "$what (exit $rc)" "$(tail -n 30 "$LOGS/site-$name.log")"
    fi
    return 1
}

# start_site LABEL NAME ARGS...: `site.sh start NAME ARGS...` (log: $LOGS/site-NAME.log), then site_result
start_site() {
    local label=$1 name=$2 rc=0
    shift 2
    "$SITE" start "$name" "$@" >"$LOGS/site-$name.log" 2>&1 || rc=$?
    site_result "$label" "$name" "$rc" "tests/e2e/lib/site.sh start $name${*:+ $*}"
}

# stop_site NAME: unless MULOPIMFWC_E2E_KEEP=1
stop_site() {
    [ "${MULOPIMFWC_E2E_KEEP:-0}" = 1 ] || "$SITE" stop "$1" >/dev/null 2>&1 || true
}
