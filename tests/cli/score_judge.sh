#!/usr/bin/env bash
# score_judge.sh: `verif score --judge-url` against the test judge server:
# rewards combine both parts, the short-circuit spares calls, unparsed and
# failed verdicts are flagged (reward null, or 0 with --on-judge-error
# zero), the cache answers a second run, and the summary counts it all.
set -u
TEST_NAME=score_judge
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
J=${JUDGE_SERVER:-$(dirname "$V")/judge_server}
T=$(mktemp -d)
"$J" --port 0 --record "$T/record.jsonl" > "$T/port" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do grep -q "^port " "$T/port" && break; sleep 0.1; done
port=$(awk '/^port /{print $2}' "$T/port")
[ -n "$port" ] || { bad "judge server did not start"; finish; }
URL="http://127.0.0.1:$port/v1"

rule_ok='def check_following(instruction, response):\n    return True\n'
rule_len='def check_following(instruction, response):\n    return len(response) > 12\n'
item() { # id response: one VerInstruct item with a hard and a soft constraint
  printf '{"id": "%s", "prompt": "Write.", "checkers": ["[rule] Length: long", "[llm] Style: formal"], "functions": ["%s", "from llm_call import llm_score\\ndef check_following(i, r):\\n    return llm_score(i, r, \\"Style\\")\\n"], "response": "%s"}\n' "$1" "$rule_len" "$2"
}
{
  item pass "long enough JUDGE:PASS"
  item fail "long enough JUDGE:FAIL"
  item short "JUDGE:PASS"            # hard 0: product needs no call
  item think "long enough JUDGE:THINK"
  item down "long enough JUDGE:500"
  item dup "long enough JUDGE:PASS"  # same prompt as "pass": deduped/cached
} > "$T/in.jsonl"

VERIF_JUDGE_API_KEY=sekret-key "$V" score --input "$T/in.jsonl" --output "$T/out.jsonl" \
  --judge-url "$URL" --judge-model test --judge-retries 1 --judge-timeout 5 \
  --judge-cache "$T/cache.sqlite" 2> "$T/err"
[ $? -eq 1 ] && ok || bad "exit status (want 1: the JUDGE:500 item's record carries an error): $(tail -3 "$T/err")"
python3 - "$T" <<'PY' && ok || bad "records"
import json, sys
o = {r["id"]: r for r in map(json.loads, open(sys.argv[1] + "/out.jsonl"))}
assert o["pass"]["reward"] == 1.0 and o["pass"]["soft"] == {"verdict": True, "status": "judged"}, o["pass"]
assert o["fail"]["reward"] == 0.0 and o["fail"]["soft"]["verdict"] is False
assert o["short"]["soft"]["status"] == "skipped" and o["short"]["reward"] == 0.0
assert o["think"]["soft"] == {"verdict": False, "status": "unparsed"} and o["think"]["reward"] == 0.0
assert o["down"]["reward"] is None and o["down"]["soft"]["status"] == "error", o["down"]
assert "judge failed" in o["down"]["error"] and "in.jsonl:5" in o["down"]["error"], o["down"]["error"]
assert o["dup"]["reward"] == 1.0
llm = [c for c in o["pass"]["checks"] if c["kind"] == "llm"]
assert llm and llm[0]["verdict"] is True
PY
grep -q "judge: 6 requests\|judge: 5 requests" "$T/err" && ok || bad "summary judge line: $(grep judge: "$T/err")"
grep -q "soft skipped" "$T/err" && grep -q "soft unparsed" "$T/err" && grep -q "soft error" "$T/err" && ok || bad "summary soft statuses"
grep -q "sekret-key" "$T/err" "$T/out.jsonl" && bad "API key leaked" || ok
grep -q '"Authorization"\|sekret' "$T/record.jsonl" && bad "key in request body" || ok
# the short-circuited item never reached the server
grep -c "JUDGE:PASS" "$T/record.jsonl" | grep -q "^1$" && ok || bad "calls for JUDGE:PASS: $(grep -c JUDGE:PASS "$T/record.jsonl") (want 1: short-circuit + dedupe)"

# --on-judge-error zero: VerIF's silent 0, still flagged in soft.status
"$V" score --input "$T/in.jsonl" --output "$T/zero.jsonl" --judge-url "$URL" --judge-model test \
  --judge-retries 0 --judge-timeout 5 --on-judge-error zero 2>/dev/null
python3 - "$T" <<'PY' && ok || bad "--on-judge-error zero"
import json, sys
o = {r["id"]: r for r in map(json.loads, open(sys.argv[1] + "/zero.jsonl"))}
assert o["down"]["reward"] == 0.0 and o["down"]["soft"]["status"] == "error" and o["down"]["error"] is None, o["down"]
PY

# a second run answers from the SQLite cache: no new calls
before=$(wc -l < "$T/record.jsonl")
"$V" score --input "$T/in.jsonl" --output "$T/again.jsonl" --judge-url "$URL" --judge-model test \
  --judge-retries 0 --judge-timeout 5 --judge-cache "$T/cache.sqlite" 2> "$T/err2"
after=$(wc -l < "$T/record.jsonl")
# only the failing JUDGE:500 item is asked again (errors are never cached)
[ $((after - before)) -eq 1 ] && ok || bad "cache: $((after - before)) new calls (want 1)"
cmp -s <(python3 -c "import json,sys;[print(json.loads(l)['reward']) for l in open('$T/out.jsonl')]") \
       <(python3 -c "import json,sys;[print(json.loads(l)['reward']) for l in open('$T/again.jsonl')]") && ok || bad "cached rewards differ"

# the llm_call bridge: a [rule] function calling llm_score reaches the judge
# (and raises a clear error when none is configured)
printf '%s\n' '{"id": "bridge", "prompt": "Write.", "checkers": ["[rule] Judge: via llm_call"], "functions": ["from llm_call import llm_score\ndef check_following(i, r):\n    return llm_score(i, r, \"Tone: calm\") >= 1\n"], "responses": ["calm JUDGE:PASS", "calm JUDGE:FAIL"]}' > "$T/bridge.jsonl"
"$V" score --input "$T/bridge.jsonl" --output "$T/bridge.out" --judge-url "$URL" --judge-model test --judge-timeout 5 2>/dev/null
python3 - "$T" <<'PY' && ok || bad "llm_call bridge with a judge"
import json, sys
o = json.loads(open(sys.argv[1] + "/bridge.out").read())
assert [r["reward"] for r in o["results"]] == [1.0, 0.0], o
PY
grep -q '"content": "[^"]*\\n\\n    \[\\u7ea6\\u675f\]\\n    Tone: calm\\n' "$T/record.jsonl" && ok || bad "bridge prompt: {checkers} must be the string itself"
"$V" score --input "$T/bridge.jsonl" --output "$T/bridge2.out" 2>/dev/null
python3 - "$T" <<'PY' && ok || bad "llm_call bridge without a judge"
import json, sys
o = json.loads(open(sys.argv[1] + "/bridge2.out").read())
c = o["results"][0]["checks"][0]
assert c["verdict"] is False and "no judge configured" in c["error"], c
PY

finish
