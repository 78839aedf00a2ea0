# shellcheck shell=bash
# Result parsing and bookkeeping for build.sh test (sourced, not run). Pure functions on files, so that
# tests/lib/selftest-results.sh can check them against fake outputs.

# parse_cargo_test LOG -> "PASSED FAILED IGNORED", summed over every `test result:` line
# (unit tests, each integration test binary, doc tests).
parse_cargo_test() {
    awk '
        /test result: (ok|FAILED)\./ {
            for (i = 1; i <= NF; i++) {
                w = $(i + 1); sub(/[;,.]$/, "", w)
                if (w == "passed") p += $i
                else if (w == "failed") f += $i
                else if (w == "ignored") s += $i
            }
        }
        END { printf "%d %d %d\n", p, f, s }
    ' "$1"
}

# parse_junit FILE -> "TESTS FAILURES ERRORS SKIPPED" from the first <testsuite> element, which in
# PHPUnit's JUnit log is the whole run. Prints nothing (and returns 1) when the file has none.
parse_junit() {
    local tag attr v out=()
    [ -s "$1" ] || return 1
    # the first <testsuite ...> start tag, joined onto one line
    tag="$(tr '\n' ' ' <"$1" | grep -o '<testsuite[[:space:]][^>]*>' | head -n 1)" || true
    [ -n "$tag" ] || return 1
    for attr in tests failures errors skipped; do
        v="$(printf '%s' "$tag" | grep -o "[[:space:]]$attr=\"[0-9]*\"" | head -n 1 | grep -o '[0-9][0-9]*')" || true
        out+=("${v:-0}")
    done
    echo "${out[*]}"
}

# parse_suite LABEL LOG -> "PASSED FAILED SKIPPED" from the last line `LABEL: N passed, M failed[, K skipped]`.
# Prints nothing (and returns 1) when there is no such line.
parse_suite() {
    local label=$1 log=$2 line p f s
    line="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E "^[[:space:]]*$label: [0-9]+ passed, [0-9]+ failed" | tail -n 1)" || true
    [ -n "$line" ] || return 1
    p="$(sed -E "s/.*$label: ([0-9]+) passed.*/\1/" <<<"$line")"
    f="$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")"
    s=0
    if grep -qE 'failed, [0-9]+ skipped' <<<"$line"; then
        s="$(sed -E 's/.*failed, ([0-9]+) skipped.*/\1/' <<<"$line")"
    fi
    echo "$p $f $s"
}

# parse_e2e LOG: parse_suite for the end-to-end suite's `e2e:` line.
parse_e2e() { parse_suite e2e "$1"; }

# Bookkeeping: record NAME PASSED FAILED SKIPPED [NOTE]
RESULT_LINES=()
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0

record() {
    local name=$1 p=$2 f=$3 s=$4 note=${5:-} line
    TOTAL_PASSED=$((TOTAL_PASSED + p))
    TOTAL_FAILED=$((TOTAL_FAILED + f))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + s))
    line="$(printf '%-30s %s' "$name:" "$(format_counts "$p" "$f" "$s")")"
    if [ -n "$note" ]; then line+="  ($note)"; fi
    RESULT_LINES+=("$line")
}

# record_exit NAME RC WHO NO_COUNTS [P F S]: record NAME's counts; a non-zero exit RC with no failing test counts one
# failure ("WHO exited RC with no failing test"), and so do no counts ("WHO exited RC NO_COUNTS").
record_exit() {
    local name=$1 rc=$2 who=$3 missing=$4 p=${5:-} f=${6:-} s=${7:-} note=
    if [ -z "$p" ]; then
        p=0 f=1 s=0 note="$who exited $rc $missing"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 note="$who exited $rc with no failing test"
    fi
    record "$name" "$p" "$f" "$s" "$note"
}

# format_counts P F S -> "P passed, F failed[, S skipped]"
format_counts() {
    if [ "$3" -gt 0 ]; then
        echo "$1 passed, $2 failed, $3 skipped"
    else
        echo "$1 passed, $2 failed"
    fi
}

# print_summary: the per-suite lines, then the one final line; returns 1 when anything failed or
# nothing ran.
print_summary() {
    local line
    echo
    echo "==== summary ===="
    for line in "${RESULT_LINES[@]}"; do echo "$line"; done
    if [ $((TOTAL_PASSED + TOTAL_FAILED)) -eq 0 ]; then
        echo "(no tests ran)"
    fi
    format_counts "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
    [ "$TOTAL_FAILED" -eq 0 ] && [ $((TOTAL_PASSED + TOTAL_FAILED)) -gt 0 ]
}
