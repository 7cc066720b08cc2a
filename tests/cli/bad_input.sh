#!/usr/bin/env bash
# bad_input.sh: bad input to `verif eval ifeval` and `verif check` gives a
# clear error naming file, line and field, a non-zero exit, no crash and no
# output files left behind.  Run by scripts/run-tests with VERIF set.
set -u
TEST_NAME=bad_input
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# expect_err NAME WANT_STATUS WANT_TEXT CMD...: runs CMD, checks status and stderr
expect_err() {
  local name=$1 want=$2 text=$3; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, want $want ($(head -c 300 "$T/err"))"; return; fi
  if [ "$rc" -ge 128 ]; then bad "$name: crashed"; return; fi
  if ! grep -qF -- "$text" "$T/err"; then bad "$name: stderr lacks '$text': $(head -c 300 "$T/err")"; return; fi
  ok
}

resp='{"prompt": "Say hi.", "response": "hi there"}'
printf '%s\n' "$resp" > "$T/resp.jsonl"
good='{"key": 1, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}'

# 1. a malformed JSONL line: file and line named
printf '%s\n{"key": 2, "prompt": \n' "$good" > "$T/in1.jsonl"
expect_err malformed 2 "in1.jsonl:2: malformed JSON" \
  "$V" eval ifeval --input_data "$T/in1.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o1"
[ ! -e "$T/o1/eval_results_strict.jsonl" ] && [ ! -e "$T/o1/eval_results_strict.jsonl.tmp" ] && ok || bad "malformed: output file left behind"

# 2. invalid UTF-8 in the responses file and in the prompts file
printf '{"prompt": "Say hi.", "response": "bad \xff byte"}\n' > "$T/resp_bad.jsonl"
expect_err utf8-responses 2 "resp_bad.jsonl:1: malformed JSON" \
  "$V" eval ifeval --input_data <(printf '%s\n' "$good") --input_response_data "$T/resp_bad.jsonl" --output_dir "$T/o2"
printf '%s\n{"key": 3, "prompt": "\xc3\x28", "instruction_id_list": [], "kwargs": []}\n' "$good" > "$T/in2.jsonl"
expect_err utf8-prompts 2 "in2.jsonl:2: malformed JSON" \
  "$V" eval ifeval --input_data "$T/in2.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o2"

# 3. an unknown instruction id: line and field named
printf '%s\n' '{"key": 4, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma", "no:such_check"], "kwargs": [{}, {}]}' > "$T/in3.jsonl"
expect_err unknown-id 2 "in3.jsonl:1: field 'instruction_id_list'[1]: unknown instruction id 'no:such_check'" \
  "$V" eval ifeval --input_data "$T/in3.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o3"

# 4. bad kwargs: mistyped, bad relation, missing, unknown
printf '%s\n' '{"key": 5, "prompt": "Say hi.", "instruction_id_list": ["length_constraints:number_words"], "kwargs": [{"num_words": "ten", "relation": "at least"}]}' > "$T/in4.jsonl"
expect_err kwarg-type 2 "in4.jsonl:1: field 'kwargs'[0]: instruction 'length_constraints:number_words': kwarg 'num_words' must be an integer >= 0, got a string" \
  "$V" eval ifeval --input_data "$T/in4.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o4"
printf '%s\n' '{"key": 6, "prompt": "Say hi.", "instruction_id_list": ["length_constraints:number_words"], "kwargs": [{"num_words": 10, "relation": "more than"}]}' > "$T/in5.jsonl"
expect_err kwarg-relation 2 "kwarg 'relation' must be \"less than\" or \"at least\", got \"more than\"" \
  "$V" eval ifeval --input_data "$T/in5.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o5"
printf '%s\n' '{"key": 7, "prompt": "Say hi.", "instruction_id_list": ["length_constraints:number_words"], "kwargs": [{"num_words": 10}]}' > "$T/in6.jsonl"
expect_err kwarg-missing 2 "missing kwarg 'relation'" \
  "$V" eval ifeval --input_data "$T/in6.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o6"
printf '%s\n' '{"key": 8, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{"foo": 1}]}' > "$T/in7.jsonl"
expect_err kwarg-unknown 2 "unknown kwarg 'foo'" \
  "$V" eval ifeval --input_data "$T/in7.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o7"
printf '%s\n' '{"key": 9, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": {}}' > "$T/in8.jsonl"
expect_err wrong-shape 2 "in8.jsonl:1: field 'kwargs' must be a list" \
  "$V" eval ifeval --input_data "$T/in8.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o8"

# 5. a prompt without a response: keys listed; --skip-missing evaluates the rest
printf '%s\n%s\n' "$good" '{"key": 77, "prompt": "Unanswered.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}' > "$T/in9.jsonl"
expect_err missing 2 "1 prompt(s) have no response" \
  "$V" eval ifeval --input_data "$T/in9.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o9"
grep -qF "keys: 77" "$T/err" && ok || bad "missing: key 77 not listed"
"$V" eval ifeval --input_data "$T/in9.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o9" --skip-missing >"$T/out" 2>"$T/err"
[ $? -eq 1 ] && grep -qF "skipped 1 prompt(s)" "$T/err" && [ "$(wc -l < "$T/o9/eval_results_strict.jsonl")" -eq 1 ] && ok || bad "skip-missing"
grep -qF "prompt-level: 1.0" "$T/out" && ok || bad "skip-missing: report"

# 6. verif check: unknown id, bad kwargs JSON, invalid UTF-8 on stdin
expect_err check-unknown 2 "unknown instruction id 'x:y'" sh -c "echo hi | '$V' check --id x:y"
expect_err check-json 2 "kwargs are not valid JSON" sh -c "echo hi | '$V' check --id punctuation:no_comma --kwargs '{bad'"
expect_err check-utf8 2 "stdin: response is not valid UTF-8 (byte offset 3)" sh -c "printf 'abc\\377' | '$V' check --id punctuation:no_comma"
printf 'one, two' | "$V" check --id punctuation:no_comma > "$T/out"; [ $? -eq 1 ] && grep -q "^FAIL: found a comma" "$T/out" && ok || bad "check: FAIL verdict"
printf 'one two' | "$V" check --id punctuation:no_comma > "$T/out"; [ $? -eq 0 ] && grep -q "^PASS" "$T/out" && ok || bad "check: PASS verdict"

# 6b. checker families: --family, a qualified id, --list
expect_err check-family 2 "unknown checker family 'nosuch' (families: ifeval" sh -c "echo hi | '$V' check --family nosuch --id punctuation:no_comma"
expect_err check-qualified 2 "no family 'nosuch'" sh -c "echo hi | '$V' check --id nosuch/punctuation:no_comma"
expect_err check-in-family 2 "unknown instruction id 'x:y' in family 'ifeval'" sh -c "echo hi | '$V' check --family ifeval --id x:y"
printf 'one two' | "$V" check --id ifeval/punctuation:no_comma > "$T/out"; [ $? -eq 0 ] && grep -q "^PASS" "$T/out" && ok || bad "check: qualified id"
"$V" check --list > "$T/out"; [ $? -eq 0 ] && grep -q "^family ifeval  *25 ids" "$T/out" && grep -q "^  punctuation:no_comma " "$T/out" && ok || bad "check --list: families and ids"
"$V" check --list --family ifeval > "$T/out"; [ $? -eq 0 ] && [ "$(grep -c '^  ' "$T/out")" -eq 25 ] && ok || bad "check --list --family ifeval: 25 ids"
expect_err list-family 2 "unknown family 'nosuch'" "$V" check --list --family nosuch
expect_err score-family 2 "unknown checker family 'nosuch'" sh -c "echo '{}' | '$V' score --input - --family nosuch"

# 7. missing files and unknown options
expect_err no-file 2 "cannot open" "$V" eval ifeval --input_data "$T/nope.jsonl" --input_response_data "$T/resp.jsonl" --output_dir "$T/o10"
expect_err bad-option 2 "unknown option '--frobnicate'" "$V" eval ifeval --frobnicate
"$V" --help | grep -q "usage: verif" && ok || bad "--help"

finish
