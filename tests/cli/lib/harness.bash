# harness.bash: the counters every shell test in tests/cli sources (this
# folder is not run as a test).  Set TEST_NAME first; `finish` prints the
# closing "NAME: N passed, N failed" line scripts/run-tests adds up and
# exits non-zero when anything failed.
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED: $*" >&2; }
finish() { echo "$TEST_NAME: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
