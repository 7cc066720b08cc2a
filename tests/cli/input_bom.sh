#!/usr/bin/env bash
# input_bom.sh: a file that starts with UTF-8's byte order mark (as editors
# on Windows write it) reads as the same file without it: `verif score`
# gives line 1 the record it gives without the BOM, and `verif eval
# ifeval` writes the same results and report when either input starts
# with one.  A BOM anywhere else is text, and line 2 starting with one is
# still a malformed item.  Run by scripts/run-tests with VERIF set.
set -u
TEST_NAME=input_bom
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
BOM=$'\xef\xbb\xbf'

# ---- verif score ----------------------------------------------------------
line='{"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}], "response": "no commas here"}'
printf '%s\n%s\n' "$line" "$line" > "$T/plain.jsonl"
printf '%s%s\n%s\n' "$BOM" "$line" "$line" > "$T/bom.jsonl"
printf '%s\n%s%s\n' "$line" "$BOM" "$line" > "$T/bom2.jsonl"
"$V" score --input "$T/plain.jsonl" --output "$T/plain.out" 2>/dev/null
"$V" score --input "$T/bom.jsonl" --output "$T/bom.out" 2>/dev/null
"$V" score --input "$T/bom2.jsonl" --output "$T/bom2.out" 2>/dev/null
[ -s "$T/plain.out" ] && grep -q '"error":null' "$T/plain.out" && ok || bad "score: no clean records without a BOM"
cmp -s "$T/plain.out" "$T/bom.out" && ok ||
  bad "score: a leading BOM changed the records: $(head -c 300 "$T/bom.out")"
[ "$(sed -n 1p "$T/bom2.out")" = "$(sed -n 1p "$T/plain.out")" ] &&
  sed -n 2p "$T/bom2.out" | grep -q '"error":"[^"]*:2: malformed JSON' && ok ||
  bad "score: a BOM on line 2 is not an error: $(sed -n 2p "$T/bom2.out" | head -c 300)"
printf '%s%s\n' "$BOM" "$line" | "$V" score --input - > "$T/stdin.out" 2>/dev/null
[ "$(cat "$T/stdin.out")" = "$(sed -n 1p "$T/plain.out")" ] && ok ||
  bad "score: a BOM on standard input: $(head -c 300 "$T/stdin.out")"

# ---- verif eval ifeval ----------------------------------------------------
D=data/ifeval
head -n 5 "$D/input_data.jsonl" > "$T/in.jsonl"
{ printf '%s' "$BOM"; cat "$T/in.jsonl"; } > "$T/in_bom.jsonl"
cp "$D/input_response_data_gpt4_20231107_145030.jsonl" "$T/resp.jsonl"
{ printf '%s' "$BOM"; cat "$T/resp.jsonl"; } > "$T/resp_bom.jsonl"
run_eval() { # name input responses
  "$V" eval ifeval --input_data "$2" --input_response_data "$3" \
    --output_dir "$T/$1" --skip-missing 2> "$T/$1.err" |
    sed "s|$T/$1/||" > "$T/$1.report" # the report names its output files
  return "${PIPESTATUS[0]}"
}
run_eval plain "$T/in.jsonl" "$T/resp.jsonl"; rc=$?
[ "$rc" -eq 0 ] && [ -s "$T/plain/eval_results_strict.jsonl" ] && ok || bad "eval without a BOM: status $rc"
for pair in "in_bom:$T/in_bom.jsonl:$T/resp.jsonl" "resp_bom:$T/in.jsonl:$T/resp_bom.jsonl"; do
  IFS=: read -r name in resp <<< "$pair"
  run_eval "$name" "$in" "$resp"; rc=$?
  if [ "$rc" -eq 0 ] && cmp -s "$T/plain.report" "$T/$name.report" &&
     cmp -s "$T/plain/eval_results_strict.jsonl" "$T/$name/eval_results_strict.jsonl" &&
     cmp -s "$T/plain/eval_results_loose.jsonl" "$T/$name/eval_results_loose.jsonl"; then
    ok
  else
    bad "eval with $name: status $rc: $(head -c 300 "$T/$name.err")"
  fi
done
finish
