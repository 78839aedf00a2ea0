#!/usr/bin/env bash
# Checks tests/lib/results.sh (the counting behind `./build.sh test`) on fake outputs. Run: tests/lib/selftest-results.sh
set -euo pipefail
# shellcheck source=tests/lib/results.sh
. "$(dirname "${BASH_SOURCE[0]}")/results.sh"

T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fails=0
check() { # NAME GOT WANT
    if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}

cat >"$T/cargo.log" <<'LOG'
   Compiling mulopimfwc v0.1.0 (/work/main)
     Running unittests src/lib.rs (target/release/deps/mulopimfwc-1)
running 12 tests
test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s
     Running tests/store.rs (target/release/deps/store-2)
test store::x ... FAILED
test result: FAILED. 7 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s
   Doc-tests mulopimfwc
test result: ok. 0 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.00s
LOG
check "cargo test sums" "$(parse_cargo_test "$T/cargo.log")" "19 2 4"
printf 'error[E0425]: cannot find value\nerror: could not compile\n' >"$T/cargo-err.log"
check "cargo test compile error" "$(parse_cargo_test "$T/cargo-err.log")" "0 0 0"

cat >"$T/junit.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="" tests="42" assertions="300" errors="1" warnings="0" failures="3" skipped="5" time="2.1">
    <testsuite name="contract" tests="40" assertions="290" errors="1" warnings="0" failures="3" skipped="5" time="2.0"/>
  </testsuite>
</testsuites>
XML
check "junit totals from first testsuite" "$(parse_junit "$T/junit.xml")" "42 3 1 5"
printf '<testsuites>\n<testsuite name="x"\n tests="3" failures="0"\n errors="0">\n</testsuite></testsuites>\n' >"$T/junit2.xml"
check "junit multi-line tag, no skipped attr" "$(parse_junit "$T/junit2.xml")" "3 0 0 0"
: >"$T/empty.xml"
if parse_junit "$T/empty.xml" >/dev/null; then r=found; else r=none; fi
check "junit empty file" "$r" "none"
if parse_junit "$T/missing.xml" >/dev/null; then r=found; else r=none; fi
check "junit missing file" "$r" "none"

printf 'starting php -S\ne2e: 1 passed, 0 failed\nmore\n\033[32me2e: 14 passed, 2 failed, 3 skipped\033[0m\n' >"$T/e2e.log"
check "e2e last line, colours, skipped" "$(parse_e2e "$T/e2e.log")" "14 2 3"
printf 'e2e: 5 passed, 0 failed\n' >"$T/e2e2.log"
check "e2e without skipped" "$(parse_e2e "$T/e2e2.log")" "5 0 0"
printf 'Fatal error\n' >"$T/e2e3.log"
if parse_e2e "$T/e2e3.log" >/dev/null; then r=found; else r=none; fi
check "e2e no summary line" "$r" "none"

# summary: final line and exit status
summary="$(record fmt 1 0 0; record "cargo test" 19 2 4 note; print_summary)" && st=0 || st=$?
check "summary final line" "$(tail -n 1 <<<"$summary")" "20 passed, 2 failed, 4 skipped"
check "summary fails on failures" "$st" "1"
summary="$(record fmt 1 0 0; record x 3 0 0; print_summary)" && st=0 || st=$?
check "summary all passed" "$(tail -n 1 <<<"$summary")" "4 passed, 0 failed"
check "summary exit 0" "$st" "0"
summary="$(record x 0 0 2; print_summary)" && st=0 || st=$?
check "summary nothing ran" "$(tail -n 1 <<<"$summary")" "0 passed, 0 failed, 2 skipped"
check "summary nothing ran fails" "$st" "1"

# record_exit: a run's exit status and counts
RESULT_LINES=() TOTAL_PASSED=0 TOTAL_FAILED=0 TOTAL_SKIPPED=0
record_exit a 0 x.sh "without a line" 5 0 1
record_exit b 2 x.sh "without a line" 5 0 0
record_exit c 2 x.sh "without a line" 5 3 0
record_exit d 1 phpunit "and wrote no JUnit log"
check "record_exit totals" "$TOTAL_PASSED $TOTAL_FAILED $TOTAL_SKIPPED" "15 5 1"
check "record_exit exit without failing test" "$(grep -c 'b: .*(x.sh exited 2 with no failing test)' <<<"${RESULT_LINES[1]}")" "1"
check "record_exit no counts" "$(grep -c 'd: .*0 passed, 1 failed  (phpunit exited 1 and wrote no JUnit log)' <<<"${RESULT_LINES[3]}")" "1"

echo "selftest-results: $fails failed"
[ "$fails" -eq 0 ]
