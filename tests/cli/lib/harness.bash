# harness.bash: the counters every shell test in tests/cli sources (this
# folder is not run as a test).  Set TEST_NAME first; `finish` prints the
# closing "NAME: N passed, N failed[, N skipped]" line scripts/run-tests adds
# up and exits non-zero when anything failed.  `skip WHY` names and counts a
# case that cannot run here.
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED: $*" >&2; }
skip() { skipped=$((skipped + 1)); echo "SKIPPED: $*" >&2; }
finish() {
  if [ "$skipped" -gt 0 ]; then
    echo "$TEST_NAME: $pass passed, $fail failed, $skipped skipped"
  else
    echo "$TEST_NAME: $pass passed, $fail failed"
  fi
  [ "$fail" -eq 0 ]; exit $?
}
