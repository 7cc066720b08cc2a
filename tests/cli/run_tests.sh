#!/usr/bin/env bash
# run_tests.sh: scripts/run-tests, the runner `make test` uses for each pass,
# tells the whole truth.  In a scratch tree with fake tests it must count
# every test, show a failing test's whole output (not only the lines that
# look like counters), fail a test that exits non-zero or prints no closing
# line, write BUILD/test-summary, and exit non-zero when anything failed.
set -u
TEST_NAME=run_tests
. "$(dirname "$0")/lib/harness.bash"
R=$(cd "$(dirname "$0")/../.." && pwd)/scripts/run-tests
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/b/tests" "$T/tests/cli"

# fake NAME BODY: a test binary (a shell script) under the scratch build dir.
fake() { printf '#!/bin/sh\n%s\n' "$2" >"$T/b/tests/$1"; chmod +x "$T/b/tests/$1"; }

fake t_pass 'echo "pass: 3 passed, 0 failed"'
(cd "$T" && bash "$R" b) >"$T/out1" 2>&1
[ $? -eq 0 ] && ok || bad "all passing: non-zero exit: $(cat "$T/out1")"
grep -qx "total: 3 passed, 0 failed, 0 skipped" "$T/b/test-summary" && ok ||
  bad "all passing: summary file: $(cat "$T/b/test-summary" 2>&1)"

fake t_fail 'echo "detail line A"; echo "detail line B" >&2; echo "fail: 1 passed, 2 failed, 1 skipped"; exit 1'
fake t_crash 'echo "before the crash"; kill -SEGV $$'
fake t_silent 'echo "no counters here"'
printf 'echo "cli detail"\necho "cli: 0 passed, 1 failed"\nexit 1\n' >"$T/tests/cli/c.sh"
(cd "$T" && bash "$R" b) >"$T/out2" 2>&1
[ $? -ne 0 ] && ok || bad "failures: exit status 0"
for want in "detail line A" "detail line B" "before the crash" "no counters here" "cli detail"; do
  grep -qF -- "$want" "$T/out2" && ok || bad "failing output lacks '$want': $(cat "$T/out2")"
done
want="total: 4 passed, 5 failed, 1 skipped (failing: t_crash t_fail t_silent c.sh)"
grep -qxF -- "$want" "$T/out2" && ok || bad "total line: want '$want': $(tail -2 "$T/out2")"
grep -qxF -- "$want" "$T/b/test-summary" && ok || bad "summary file: $(cat "$T/b/test-summary")"
finish
