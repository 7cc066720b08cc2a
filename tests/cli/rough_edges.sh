#!/usr/bin/env bash
# rough_edges.sh: what a new user tripped over (issue 9, list 5), each
# reproduced: eval's errors said once and its --output_dir not left behind;
# score's summary naming each kind of item error; the reason (strerror) on
# every failing system call; blank lines skipped and counted by score and
# eval; exit status 0 / 1 (some items carry an error) / 2 (the run failed);
# serve refusing to start without --judge-url or --no-judge, score warning
# once about unverified [llm] constraints; eval's progress counter; the
# Python client's VerifError on a malformed label; the README's examples
# (a score input line, a /verify body) doing what the README says.
set -u
TEST_NAME=rough_edges
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
T=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

# expect NAME STATUS TEXT CMD...: CMD exits STATUS and its stderr has TEXT.
expect() {
  local name=$1 want=$2 text=$3; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  [ "$rc" -eq "$want" ] && grep -qF -- "$text" "$T/err" && ok ||
    bad "$name: exit $rc (want $want), stderr lacks '$text': $(head -c 400 "$T/err")"
}
# wait_line FILE PATTERN: up to 60 s for PATTERN to appear in FILE.
wait_line() {
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

p1='{"key": 1, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}'
p2='{"key": 2, "prompt": "Say bye.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}'
p3='{"key": 3, "prompt": "Say nothing.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}'
printf '%s\n%s\n' '{"prompt": "Say hi.", "response": "hi there"}' \
  '{"prompt": "Say bye.", "response": "bye, then"}' >"$T/resp.jsonl"
printf '%s\n%s\n' "$p1" "$p2" >"$T/in.jsonl"
ev() { "$V" eval ifeval --input_response_data "$T/resp.jsonl" "$@"; }

# ---- eval: each bad line said once; no --output_dir left behind ------------
printf '%s\n{"key": 9, "prompt": \n' "$p1" >"$T/bad.jsonl"
ev --input_data "$T/bad.jsonl" --output_dir "$T/fresh" >/dev/null 2>"$T/err"
rc=$?
n=$(grep -c "bad.jsonl:2: malformed JSON" "$T/err")
[ "$rc" -eq 2 ] && [ "$n" -eq 1 ] && ok || bad "eval error printed $n times (exit $rc): $(cat "$T/err")"
[ ! -e "$T/fresh" ] && ok || bad "eval left its --output_dir behind: $(ls -la "$T/fresh" 2>&1)"
mkdir "$T/keep" && echo mine >"$T/keep/note"
ev --input_data "$T/bad.jsonl" --output_dir "$T/keep" >/dev/null 2>&1
[ "$(cat "$T/keep/note" 2>/dev/null)" = mine ] && [ "$(ls "$T/keep")" = note ] && ok ||
  bad "eval touched a --output_dir it did not create: $(ls "$T/keep" 2>&1)"

# ---- eval: blank lines skipped and counted; exit status; progress ----------
printf '\n%s\n   \n%s\n' "$p1" "$p2" >"$T/in_blank.jsonl"
printf '\n' >>"$T/resp.jsonl"
ev --input_data "$T/in_blank.jsonl" --output_dir "$T/ob" >"$T/report_b" 2>"$T/err"
rc=$?
ev --input_data "$T/in.jsonl" --output_dir "$T/ob2" >/dev/null 2>&1
[ "$rc" -eq 0 ] && cmp -s "$T/ob/eval_results_loose.jsonl" "$T/ob2/eval_results_loose.jsonl" && ok ||
  bad "eval with blank lines: exit $rc, results differ: $(cat "$T/err")"
grep -qF "in_blank.jsonl: 2 blank line(s) skipped" "$T/err" &&
  grep -qF "resp.jsonl: 1 blank line(s) skipped" "$T/err" && ok ||
  bad "eval does not count blank lines: $(cat "$T/err")"
printf '%s\n%s\n%s\n' "$p1" "$p2" "$p3" >"$T/in3.jsonl"
ev --input_data "$T/in3.jsonl" --output_dir "$T/o3" --skip-missing >/dev/null 2>&1
rc=$?
[ "$rc" -eq 1 ] && [ -s "$T/o3/eval_results_strict.jsonl" ] && ok ||
  bad "eval with a skipped prompt: exit $rc (want 1, with the files)"
expect "eval: missing input" 2 "No such file or directory" ev --input_data "$T/nope.jsonl" --output_dir "$T/o4"
expect "eval: output under a file" 2 "Not a directory" ev --input_data "$T/in.jsonl" --output_dir "$T/keep/note/x"
script -qec "$V eval ifeval --input_data $T/in3.jsonl --input_response_data $T/resp.jsonl --output_dir $T/o5 --skip-missing >/dev/null" /dev/null </dev/null |
  tr '\r' '\n' >"$T/tty" 2>&1
grep -qa "verif: 2 prompts evaluated, 1 skipped (no response)" "$T/tty" && ! grep -qa "3 prompts evaluated" "$T/tty" && ok ||
  bad "eval's progress counter: $(grep -a evaluated "$T/tty" | tail -2)"

# ---- score: error kinds, blank lines, exit status, strerror -----------------
fn='def check_following(i, r):\n    return True\n'
cat >"$T/kinds.jsonl" <<J
{"id": 1, "prompt": "p", "checkers": ["[rule] A: a"], "functions": ["$fn"]}
{"id": 2, "prompt": "p", "checkers": ["[rule] A: a", "[rule] B: b"], "functions": ["$fn"], "response": "r"}
{"id": 3, "prompt": "p", "checkers": ["A: a"], "functions": ["$fn"], "response": "r"}
{"id": 4, "prompt": "p", "checkers": ["[rule] A: a"], "functions": ["def check_following(i, r) return"], "response": "r"}
{"id": 5,

{"id": 6, "prompt": "p", "checkers": ["[rule] A: a"], "functions": ["$fn"], "response": "r"}
J
"$V" score --input "$T/kinds.jsonl" --output "$T/kinds.out" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$T/kinds.out")" -eq 6 ] && ok ||
  bad "score with item errors: exit $rc (want 1), $(wc -l <"$T/kinds.out") records (want 6)"
for k in "missing response" "mismatched checkers/functions" "untagged checker" \
         "function does not compile" "malformed JSON"; do
  grep -qE "item: $k +1\$" "$T/err" && ok || bad "summary lacks 'item: $k 1': $(grep -A8 'errors by kind' "$T/err")"
done
grep -qF "blank lines skipped: 1" "$T/err" && ok || bad "score does not count its blank line: $(tail -3 "$T/err")"
printf '%s\n' "{\"id\": 7, \"prompt\": \"p\", \"checkers\": [\"[rule] A: a\"], \"functions\": [\"$fn\"], \"response\": \"r\"}" >"$T/good.jsonl"
"$V" score --input "$T/good.jsonl" >/dev/null 2>&1 && ok || bad "score, all good: exit $?"
expect "score: missing input" 2 "cannot open $T/nope.jsonl: No such file or directory" "$V" score --input "$T/nope.jsonl"
expect "score: a directory" 2 "read error on $T: Is a directory" "$V" score --input "$T"
expect "score: bad output" 2 "cannot open $T/no/dir: No such file or directory" "$V" score --input "$T/good.jsonl" --output "$T/no/dir"
expect "data dir" 2 "No such file or directory" env VERIF_DATA_DIR="$T/nodata" "$V" check --id punctuation:no_comma </dev/null
expect "check: stdin a directory" 2 "Is a directory" "$V" check --id punctuation:no_comma <"$T"

# ---- unverified [llm] constraints: one loud warning, counted ---------------
for i in 1 2 3; do
  printf '{"id": %d, "prompt": "p", "checkers": ["[llm] Style: formal"], "functions": [""], "response": "r%d"}\n' "$i" "$i"
done >"$T/llm.jsonl"
"$V" score --input "$T/llm.jsonl" >/dev/null 2>"$T/err"
[ "$(grep -c WARNING "$T/err")" -eq 2 ] && grep -qF "WARNING: $T/llm.jsonl:1 has [llm] constraints" "$T/err" &&
  grep -qE "soft unverified +3 responses" "$T/err" && ok ||
  bad "unverified [llm]: want one warning naming line 1 and the count: $(cat "$T/err")"

# ---- serve: a judge or --no-judge; the port's reason ------------------------
# (timeout: a serve that does start must not hang the test)
expect "serve without a judge" 2 "--no-judge" timeout 30 "$V" serve --port 0
grep -qF -- "--judge-url" "$T/err" && ok || bad "serve's refusal does not name --judge-url"
"$V" serve --port 0 --no-judge --token tok >"$T/s.out" 2>"$T/s.err" &
spid=$!
pids+=("$spid")
if wait_line "$T/s.out" '^listening on http://127.0.0.1:[0-9]*$'; then
  ok
  port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$T/s.out")
  expect "serve: port in use" 2 "Address already in use" timeout 30 "$V" serve --port "$port" --no-judge
  awk '/<!-- example: verify-body -->/{f=1;next} f&&/^```json/{g=1;next} g&&/^```/{exit} g{print}' README.md >"$T/verify.json"
  PORT=$port python3 - "$T/verify.json" <<'PY' && ok || bad "README's /verify body and /metrics"
import http.client, json, os, sys
def call(method, path, body=None, token="tok"):
    c = http.client.HTTPConnection("127.0.0.1", int(os.environ["PORT"]), timeout=30)
    c.request(method, path, body=body, headers={"Authorization": "Bearer " + token} if token else {})
    r = c.getresponse(); return r.status, r.read()
st, body = call("POST", "/verify", open(sys.argv[1], "rb").read())
js = json.loads(body)
ok = st == 200 and js["reward"] == 1.0 and js["follow_all_instructions"] is True and js["follow_instruction_list"] == [True, True]
st2, _ = call("GET", "/metrics", token=None)
st3, _ = call("GET", "/metrics")
if not (ok and st2 == 401 and st3 == 200):
    print("FAILED:", st, body[:300], st2, st3); sys.exit(1)
PY
  kill -TERM "$spid"; wait "$spid"; rc=$?
  [ "$rc" -eq 0 ] && ok || bad "serve --no-judge: exit $rc after SIGTERM"
else
  bad "serve --no-judge did not start: $(head -c 300 "$T/s.err")"
fi

# ---- the README's score example, and its install and /metrics notes --------
awk '/<!-- example: score-input -->/{f=1;next} f&&/^```json/{g=1;next} g&&/^```/{exit} g{print}' README.md >"$T/ex.jsonl"
awk '/Without a judge, the line above gives/{f=1;next} f&&/^```json/{g=1;next} g&&/^```/{exit} g{print}' README.md >"$T/ex.want"
grep -q '"response"' "$T/ex.jsonl" && "$V" score --input "$T/ex.jsonl" >"$T/ex.got" 2>/dev/null && cmp -s "$T/ex.got" "$T/ex.want" && ok ||
  bad "README's score example: $(cat "$T/ex.got" 2>&1) vs $(cat "$T/ex.want")"
grep -q '^## Install' README.md && grep -q 'make install' README.md && grep -qF '`/metrics` needs the token' README.md && ok ||
  bad "README lacks the install section or the /metrics token note"

# ---- the Python client: a malformed label is a VerifError -------------------
PYTHONPATH="$(pwd)/python" python3 - <<'PY' && ok || bad "python client: malformed label"
import json, verif_client
for label in ["not json", '{"checkers": [', b"\xff", "[1]"]:
    try:
        verif_client.make_item(label, "p", "r")
    except verif_client.VerifError:
        continue
    except Exception as e:
        raise SystemExit("FAILED: %r raised %s, not VerifError" % (label, type(e).__name__))
    raise SystemExit("FAILED: %r accepted" % (label,))
PY
finish
