#!/usr/bin/env bash
# ifbench.sh: the IFBench family through the command: `verif eval ifbench`
# as a drop-in for run_eval.py (both result files and the report on the
# shipped sample, its flags and errors), `verif check` on IFBench ids, and
# IFBench rows in `verif score` (told from IFEval rows by their ids; a check
# that raises in the reference is an exception: not passed, and said).
set -u
TEST_NAME=ifbench
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
D=tests/data/ifbench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

expect_err() {
  local name=$1 want=$2 text=$3; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, want $want ($(head -c 300 "$T/err"))"; return; fi
  if ! grep -qF -- "$text" "$T/err"; then bad "$name: stderr lacks '$text': $(head -c 300 "$T/err")"; return; fi
  ok
}

# 1. the drop-in: same flags (both spellings), same files, same report
"$V" eval ifbench --input_data="$D/IFBench_test_2025-07_8a66c06.jsonl" \
  --input_response_data "$D/sample_output.jsonl" --output_dir "$T/o" >"$T/report" 2>"$T/err"
[ $? -eq 0 ] && ok || bad "eval ifbench failed: $(head -c 300 "$T/err")"
cmp -s "$T/o/eval_results_strict.jsonl" "$D/eval_results_strict.jsonl" && ok || bad "strict results differ"
cmp -s "$T/o/eval_results_loose.jsonl" "$D/eval_results_loose.jsonl" && ok || bad "loose results differ"
sed "s|^OUT/|$T/o/|" "$D/report.txt" | cmp -s - "$T/report" && ok || bad "the report differs from run_eval.py's"
"$V" eval ifbench --help | grep -q "run_eval.py" && ok || bad "eval ifbench --help"
expect_err unknown-bench 2 "unknown benchmark 'ifbenc' (known: ifeval, ifbench)" "$V" eval ifbenc
expect_err bad-option 2 "unknown option '--frob'" "$V" eval ifbench --frob
printf '%s\n' '{"key": "9", "prompt": "p", "instruction_id_list": ["count:numbers"], "kwargs": [{"N": -1}]}' > "$T/bad.jsonl"
printf '%s\n' '{"prompt": "p", "response": "1 2"}' > "$T/resp.jsonl"
expect_err random-kwarg 2 "bad.jsonl:1: field 'kwargs'[0]: instruction 'count:numbers': kwarg 'N'" \
  "$V" eval ifbench --input_data "$T/bad.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o2"
[ ! -e "$T/o2/eval_results_strict.jsonl" ] && ok || bad "an output file was left behind"

# 2. check: IFBench ids, found without a family; raising checks said
printf 'Write a poem.' | "$V" check --id words:start_verb >"$T/out"; [ $? -eq 0 ] && ok || bad "check words:start_verb"
printf 'Hi \xf0\x9f\x98\x80?!' | "$V" check --id ifbench/format:emoji >"$T/out"
[ $? -eq 1 ] && grep -q "the reference raises here" "$T/out" && ok || bad "check format:emoji raising"
"$V" check --list --family ifbench >"$T/out"; [ "$(grep -c '^  ' "$T/out")" -eq 58 ] && ok || bad "58 ifbench ids"

# 3. score: an IFBench row (its ids are IFBench's) and an IFEval row
cat > "$T/items.jsonl" <<'J'
{"key": "3", "prompt": "p", "instruction_id_list": ["format:no_whitespace"], "kwargs": [{"N": null}], "response": "abc"}
{"key": "4", "prompt": "p", "instruction_id_list": ["format:emoji"], "kwargs": [{}], "response": "Hi \ud83d\ude00?!"}
{"key": 5, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}], "response": "a b"}
J
"$V" score --input "$T/items.jsonl" --output "$T/scored.jsonl" 2>"$T/err"
[ $? -eq 0 ] && ok || bad "score failed: $(head -c 300 "$T/err")"
sed -n 1p "$T/scored.jsonl" | grep -q '"reward":1.0' && ok || bad "IFBench row not scored: $(sed -n 1p "$T/scored.jsonl")"
sed -n 2p "$T/scored.jsonl" | grep -q '"verdict":false,"error":"exception: the reference raises here' && ok ||
  bad "raising check: $(sed -n 2p "$T/scored.jsonl")"
sed -n 3p "$T/scored.jsonl" | grep -q '"reward":1.0' && ok || bad "IFEval row: $(sed -n 3p "$T/scored.jsonl")"
finish
