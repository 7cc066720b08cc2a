#!/usr/bin/env bash
# serve.sh: `verif serve --port 0` on loopback with the engine behind it:
# every endpoint's answers equal `verif score`'s records on the same items,
# every error status (400 naming the field, 401, 404, 405, 413), the token,
# 503 with Retry-After past --max-inflight, answers at --request-timeout
# with the rest as errors, metrics, and SIGTERM with a request in flight
# (answered, then exit 0).  Slow items are [llm] checks that the test judge
# server holds (JUDGE:HOLD) until the test opens its gate, and every wait is
# on an observable condition (the server's /metrics, the judge's /stats, a
# line in a log), never on a sleep.  Run by scripts/run-tests with VERIF set.
set -u
TEST_NAME=serve
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
J=${JUDGE_SERVER:-$(dirname "$V")/judge_server}
T=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
command -v python3 >/dev/null || { bad "python3 is missing"; finish; }

# wait_line FILE PATTERN: up to 60 s for PATTERN to appear in FILE
wait_line() {
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# start_serve NAME ARGS...: sets PORT and SPID
start_serve() {
  local name=$1; shift
  "$V" serve --port 0 "$@" > "$T/$name.out" 2> "$T/$name.err" &
  SPID=$!
  pids+=("$SPID")
  if ! wait_line "$T/$name.out" '^listening on http://127.0.0.1:[0-9]*$'; then
    bad "$name: no 'listening on' line: $(head -c 300 "$T/$name.err")"; finish
  fi
  PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$T/$name.out")
}

"$J" --port 0 > "$T/judge.port" &
pids+=($!)
wait_line "$T/judge.port" '^port ' || { bad "judge server did not start"; finish; }
JPORT=$(awk '/^port /{print $2}' "$T/judge.port")
JURL="http://127.0.0.1:$JPORT/v1"
export JPORT

# ---- the items, and what `verif score` says of them -------------------------
python3 - "$T" data/ifeval <<'PY' || bad "building items"
import json, sys
t, d = sys.argv[1], sys.argv[2]
resp = {}
for l in open(d + "/input_response_data_gpt4_20231107_145030.jsonl"):
    r = json.loads(l); resp[r["prompt"]] = r["response"]
items = []
for l in open(d + "/input_data.jsonl"):
    x = json.loads(l)
    if x["prompt"] in resp and len(items) < 24:
        x["response"] = resp[x["prompt"]]; items.append(x)
fn = "def check_following(instruction, response):\n    return len(response.split()) <= 5\n"
items.append({"id": "vi-pass", "prompt": "Two words.", "checkers": ["[rule] Length: at most 5 words"], "functions": [fn], "response": "two words"})
items.append({"id": "vi-fail", "prompt": "Two words.", "checkers": ["[rule] Length: at most 5 words"], "functions": [fn], "response": "one two three four five six"})
gt = {"checkers": ["[rule] Hi: says hi"], "functions": ["def check_following(instruction, response):\n    return 'hi' in response\n"]}
items.append({"id": "verl", "prompt": [{"role": "user", "content": "Say hi"}], "reward_model": {"ground_truth": json.dumps(gt)}, "response": "hi there"})
items.append({"key": 7, "prompt": "x", "instruction_id_list": ["no:such_id"], "kwargs": [{}], "response": "y"})
items.append({"id": "think", "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}], "response": "a, b</think>no commas here"})
with open(t + "/items.jsonl", "w") as f:
    for x in items: f.write(json.dumps(x) + "\n")
PY
"$V" score --input "$T/items.jsonl" --output "$T/records.jsonl" 2>/dev/null
[ -s "$T/records.jsonl" ] && ok || bad "verif score gave no records"

cat > "$T/h.py" <<'PY'
import json, os, http.client, socket, time
PORT = int(os.environ["PORT"]); TOKEN = os.environ.get("TOKEN")
T = os.environ["T"]; JPORT = int(os.environ["JPORT"])
def call(method, path, body=None, token=TOKEN, raw=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"}
    if token: h["Authorization"] = "Bearer " + token
    c.request(method, path, body=data, headers=h)
    r = c.getresponse(); text = r.read(); c.close()
    try: js = json.loads(text)
    except ValueError: js = None
    return r.status, {k.lower(): v for k, v in r.getheaders()}, js
items = [json.loads(l) for l in open(T + "/items.jsonl")]
records = [json.loads(l) for l in open(T + "/records.jsonl")]
fails = []
def check(cond, what):
    if not cond: fails.append(what)
def done(name):
    for f in fails: print("FAILED:", name + ":", f)
    raise SystemExit(1 if fails else 0)
def judge(path, method="POST"):
    """The test judge: POST /gate/open or /gate/close, GET /stats."""
    c = http.client.HTTPConnection("127.0.0.1", JPORT, timeout=30)
    c.request(method, path); js = json.loads(c.getresponse().read()); c.close()
    return js
def metric(name):
    """One sample of the server's /metrics (None when absent)."""
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    c.request("GET", "/metrics", headers={"Authorization": "Bearer " + TOKEN} if TOKEN else {})
    text = c.getresponse().read().decode(); c.close()
    for line in text.splitlines():
        if line.startswith(name + " "): return float(line.split()[-1])
    return None
def wait_until(cond, what, limit=60):
    """Polls cond until it holds; a failure (not a hang) after limit s."""
    end = time.time() + limit
    while time.time() < end:
        if cond(): return True
        time.sleep(0.02)
    check(False, "timed out waiting for " + what)
    return False
HOLD = "JUDGE:HOLD JUDGE:PASS"  # held by the judge until its gate opens
CHAT_PRE, CHAT_MID = "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"
def norm(r):
    """A record with the place named in its error dropped (file:line for
    verif score, items[i] for the server)."""
    r = dict(r)
    if isinstance(r.get("error"), str) and ": " in r["error"]:
        r["error"] = r["error"].split(": ", 1)[1]
    return r
def label_of(x):
    return json.dumps({k: v for k, v in x.items() if k not in ("response", "responses", "id", "key")})
def prompt_text(x):
    p = x["prompt"]
    return p if isinstance(p, str) else p[-1]["content"]
PY
export T

# ---- server A: auth, every endpoint against verif score, errors -------------
start_serve a --token sekrit --max-body 1M --max-inflight 40 --error-reward -1 \
  --judge-url "$JURL" --judge-model test --judge-retries 0 --judge-timeout 20 \
  --strip-token '<|END|>'
A_PID=$SPID
PORT=$PORT TOKEN=sekrit python3 - <<'PY' && ok || bad "endpoints"
import sys; sys.path.insert(0, __import__("os").environ["T"])
from h import *
st, hd, js = call("GET", "/healthz", token=None)
check(st == 200 and js == {"status": "ok"}, f"healthz {st} {js}")
st, hd, js = call("POST", "/v1/score", {"items": []}, token=None)
check(st == 401 and "bearer" in js["error"].lower() and hd.get("www-authenticate") == "Bearer", f"no token: {st} {js}")
st, hd, js = call("POST", "/v1/score", {"items": []}, token="wrong")
check(st == 401, f"wrong token: {st}")
st, hd, js = call("GET", "/metrics", token=None)
check(st == 401, f"metrics without token: {st}")

# /v1/score: the same records as verif score, in order
st, hd, js = call("POST", "/v1/score", {"items": items})
check(st == 200 and [norm(r) for r in js["results"]] == [norm(r) for r in records], f"/v1/score differs from verif score: {st}")
check(records[-2]["error"] and "no:such_id" in records[-2]["error"], f"error item: {records[-2]}")

# /get_reward: chat-templated queries, labels in each format
q, p, lab, want = [], [], [], []
for x, r in zip(items, records):
    pre = CHAT_PRE + prompt_text(x) + CHAT_MID
    q.append(pre + x["response"] + "<|im_end|><|endoftext|>"); p.append(pre); lab.append(label_of(x))
    want.append(r["reward"] if r["error"] is None else -1)
q.append("no prompt in here, commas, yes"); p.append("absent"); lab.append(label_of(items[-1])); want.append(0.0)
end = {"instruction_id_list": ["startend:end_checker"], "kwargs": [{"end_phrase": "Bye."}]}
q.append(CHAT_PRE + "x" + CHAT_MID + "Hello. Bye.<|END|>"); p.append(CHAT_PRE + "x" + CHAT_MID); lab.append(json.dumps(end)); want.append(1.0)
st, hd, js = call("POST", "/get_reward", {"query": q, "prompts": p, "labels": lab})
check(st == 200, f"/get_reward status {st} {js}")
if st == 200:
    check(js["rewards"] == want, f"rewards {js['rewards']} want {want}")
    check(js["scores"] == js["rewards"], "scores")
    n = len(q)
    check(all(len(js["extra_logs"][k]) == n for k in ("hard", "soft", "errors")), "extra_logs lengths")
    bad_i = len(items) - 2
    check([e["index"] for e in js["errors"]] == [bad_i] and "no:such_id" in js["errors"][0]["error"], f"errors {js['errors']}")
    check(js["extra_logs"]["errors"][bad_i] == 1 and sum(js["extra_logs"]["errors"]) == 1, "extra_logs.errors")
    check([x["index"] for x in js["notes"]] == [n - 2], f"notes {js['notes']}")
# labels as objects, prompts missing (the label's prompt is found in the query)
vi = items[-6]
st, hd, js = call("POST", "/get_reward", {"query": ["<s>" + vi["prompt"] + vi["response"]], "labels": [vi]})
check(st == 200 and js["rewards"] == [records[-6]["reward"]] and js["notes"] == [], f"object label {st} {js}")

# /reward (slime)
x, r = items[0], records[0]
st, hd, js = call("POST", "/reward", {"prompt": x["prompt"], "response": x["response"], "label": label_of(x)})
check(st == 200 and js["reward"] == r["reward"] and js["hard"] == r["hard"] and js["checks"] == r["checks"] and "error" not in js, f"/reward {st} {js}")
st, hd, js = call("POST", "/reward", {"prompt": "x", "response": "y", "label": label_of(items[-2])})
check(st == 200 and js["reward"] == -1 and "no:such_id" in js["error"], f"/reward error item {st} {js}")

# /verify (NeMo-Gym): top-level fields, and verifier_metadata
for i in (0, 1, 2):
    x, r = items[i], records[i]
    resp = {"id": "resp_1", "object": "response", "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": x["response"], "annotations": []}]}]}
    meta = {"instruction_id_list": x["instruction_id_list"], "kwargs": x["kwargs"], "prompt": x["prompt"]}
    follow = [c["verdict"] is True for c in r["checks"]]
    for body in ({"id": x["key"], **meta, "responses_create_params": {"input": []}, "response": resp},
                 {"verifier_metadata": meta, "response": resp}):
        st, hd, js = call("POST", "/verify", body)
        check(st == 200 and js["follow_instruction_list"] == follow and js["follow_all_instructions"] == all(follow)
              and js["reward"] == float(all(follow)) and js["response"] == resp, f"/verify {i}: {st} {js and {k: js[k] for k in js if k != 'response'}}")
done("endpoints")
PY

PORT=$PORT TOKEN=sekrit python3 - <<'PY' && ok || bad "error statuses"
import sys; sys.path.insert(0, __import__("os").environ["T"])
from h import *
cases = [
  ("/v1/score", b'{"items": [', 400, "malformed JSON"),
  ("/v1/score", b'[1]', 400, "must be a JSON object"),
  ("/v1/score", b'{"item": []}', 400, "field 'items': missing"),
  ("/v1/score", b'{"items": [{"id": 1}, 2]}', 400, "field 'items'[1]"),
  ("/get_reward", b'{"query": ["a"], "labels": ["{}", "{}"]}', 400, "field 'labels': has 2 entries"),
  ("/get_reward", b'{"query": ["a"], "labels": "x"}', 400, "field 'labels'"),
  ("/get_reward", b'{"query": [1], "labels": ["{}"]}', 400, "field 'query'[0]"),
  ("/get_reward", b'{"query": ["a"]}', 400, "field 'labels'"),
  ("/reward", b'{"prompt": "p", "label": "{}"}', 400, "field 'response'"),
  ("/reward", b'{"prompt": 5, "response": "r", "label": "{}"}', 400, "field 'prompt'"),
  ("/verify", b'{"prompt": "p", "kwargs": [], "response": {}}', 400, "field 'instruction_id_list'"),
  ("/verify", b'{"verifier_metadata": {"instruction_id_list": "a", "kwargs": [], "prompt": "p"}}', 400, "verifier_metadata.instruction_id_list"),
  ("/verify", b'{"instruction_id_list": [], "kwargs": [], "prompt": "p"}', 400, "field 'response'"),
  ("/nowhere", b'{}', 404, "no such endpoint"),
]
for path, raw, status, text in cases:
    st, hd, js = call("POST", path, raw=raw)
    check(st == status and js and text in js.get("error", ""), f"{path} {raw[:60]}: {st} {js}")
st, hd, js = call("GET", "/v1/score")
check(st == 405 and hd.get("allow") == "POST", f"405: {st} {hd.get('allow')}")
st, hd, js = call("POST", "/v1/score", raw=b'{"items": ["' + b"x" * (2 << 20) + b'"]}')
check(st == 413 and "--max-body" in js["error"], f"413: {st} {js}")
st, hd, js = call("POST", "/v1/score", {"items": items * 2})
check(st == 413 and "--max-inflight" in js["error"], f"413 items: {st} {js}")
st, hd, js = call("POST", "/v1/score", {"items": items[:1]})
check(st == 200, f"after the errors: {st}")
c = http.client.HTTPConnection("127.0.0.1", PORT); c.request("GET", "/metrics", headers={"Authorization": "Bearer sekrit"})
m = c.getresponse().read().decode()
for want in ['verif_http_requests_total{endpoint="/v1/score",code="200"}', 'code="400"}', 'code="401"}', 'code="404"}',
             'code="405"}', 'code="413"}', 'verif_checks_total{kind="rule",verdict="pass"}', 'verif_rejected_total{reason="unauthorized"} 3',
             'verif_rejected_total{reason="body_too_large"} 1', 'verif_rejected_total{reason="too_many_items"} 1',
             'verif_items_total{endpoint="/get_reward",outcome="error"} 1', 'verif_prompt_not_found_total 1']:
    check(want in m, "metrics lack " + want)
done("errors")
PY

kill -TERM "$A_PID"; wait "$A_PID"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "server A exit status $rc"

# ---- server C: 503 past --max-inflight (4): four slow [llm] items ----------
start_serve c --token sekrit --max-inflight 4 \
  --judge-url "$JURL" --judge-model test --judge-retries 0 --judge-timeout 20
C_PID=$SPID
PORT=$PORT TOKEN=sekrit python3 - <<'PY' && ok || bad "busy (503)"
import sys, threading, time; sys.path.insert(0, __import__("os").environ["T"])
from h import *
slow = {"id": "slow", "prompt": "Write formally.", "checkers": ["[llm] Style: formal"], "functions": [""], "response": "Dear Sir " + HOLD}
got = {}
four = [dict(slow, id=i, response=f"Dear Sir {i} {HOLD}") for i in range(4)]  # distinct: no dedupe
judge("/gate/close")
th = threading.Thread(target=lambda: got.update(r=call("POST", "/v1/score", {"items": four})))
th.start()
wait_until(lambda: metric("verif_inflight_items") == 4, "four items in flight")
st, hd, js = call("POST", "/get_reward", {"query": ["a"], "prompts": [""], "labels": [label_of(items[0])]})
check(st == 503 and hd.get("retry-after") == "1" and "--max-inflight" in js["error"], f"busy: {st} {hd.get('retry-after')} {js}")
judge("/gate/open")
th.join(30)
st, hd, js = got.get("r", (0, {}, None))
check(st == 200 and [r["reward"] for r in js["results"]] == [1.0] * 4, f"the slow request: {st} {js}")
st, hd, js = call("POST", "/get_reward", {"query": ["a"], "prompts": [""], "labels": [label_of(items[0])]})
check(st == 200, f"after the slow request: {st}")
st, hd, js = call("GET", "/metrics")
check(st == 200 and hd["content-type"].startswith("text/plain"), f"metrics {st}")
import http.client
c = http.client.HTTPConnection("127.0.0.1", PORT); c.request("GET", "/metrics", headers={"Authorization": "Bearer sekrit"})
m = c.getresponse().read().decode()
for want in ['verif_http_requests_total{endpoint="/v1/score",code="200"}', 'verif_rejected_total{reason="busy"} 1',
             'verif_checks_total{kind="llm",verdict="pass"} 4', 'verif_judge_calls_total 4',
             'verif_http_request_duration_seconds_bucket{endpoint="/get_reward",le="+Inf"} 2',
             'verif_inflight_items 0', 'verif_engine_responses_total 5', 'verif_engine_soft_total{status="judged"} 4',
             'verif_sandbox_restarts_total ', 'verif_sandbox_timeouts_total ', 'verif_judge_retries_total ',
             'verif_judge_cache_hits_total ', 'verif_engine_hard_checks_total{verdict="error"} ']:
    check(want in m, "metrics lack " + want)
done("busy")
PY

# SIGTERM with a request in flight (the server counts it, the judge holds
# its call): the server says it is draining, answers it, then exits 0
PORT=$PORT TOKEN=sekrit SPID=$C_PID python3 - <<'PY' && ok || { bad "in-flight request during SIGTERM"; kill -KILL "$C_PID"; }
import signal, sys, threading; sys.path.insert(0, __import__("os").environ["T"])
from h import *
slow = {"id": "term", "prompt": "Write formally.", "checkers": ["[llm] Style: formal"], "functions": [""], "response": "Dear Sir " + HOLD}
got = {}
judge("/gate/close")
th = threading.Thread(target=lambda: got.update(r=call("POST", "/v1/score", {"items": [slow]})))
th.start()
if wait_until(lambda: metric("verif_inflight_items") == 1 and judge("/stats", "GET")["held"] == 1, "the request in flight"):
    os.kill(int(os.environ["SPID"]), signal.SIGTERM)
    wait_until(lambda: "draining" in open(T + "/c.err").read(), "the draining message")
judge("/gate/open")
th.join(60)
st, hd, js = got.get("r", (0, {}, None))
check(st == 200 and js["results"][0]["reward"] == 1.0, f"answer: {st} {js}")
done("sigterm")
PY
wait "$C_PID"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "exit status after SIGTERM: $rc"
PORT=$PORT python3 -c "
import socket, os
s = socket.socket(); s.settimeout(2)
try: s.connect(('127.0.0.1', int(os.environ['PORT']))); print('still accepting')
except OSError: pass" | grep -q . && bad "still accepting after exit" || ok

# ---- server B: --request-timeout answers with what is scored ---------------
start_serve b --request-timeout 0.6 --batch 1 --judge-url "$JURL" --judge-model test --judge-retries 0
PORT=$PORT python3 - <<'PY' && ok || bad "request timeout"
import sys, time; sys.path.insert(0, __import__("os").environ["T"])
from h import *
# the judge holds the late item for as long as this runs: only the request
# timeout can answer, and not before it has passed
slow = {"id": "late", "prompt": "Write formally.", "checkers": ["[llm] Style: formal"], "functions": [""], "response": "Dear Sir " + HOLD}
judge("/gate/close")
t0 = time.time()
st, hd, js = call("POST", "/v1/score", {"items": [items[0], slow, items[1]]})
took = time.time() - t0
check(st == 200 and took >= 0.6, f"status {st} after {took:.2f} s (--request-timeout 0.6)")
if st == 200:
    r = js["results"]
    check(r[0] == records[0], "the first item")
    check(r[1]["id"] == "late" and r[1]["reward"] is None and "request timeout" in r[1]["error"], f"the late item: {r[1]}")
    check(r[2] == records[1], f"the third item (its own engine call with --batch 1): {r[2]}")
st, hd, js = call("POST", "/get_reward", {"query": ["x Dear Sir " + HOLD], "prompts": ["x"], "labels": [json.dumps(slow)]})
check(st == 200 and js["rewards"] == [0.0] and js["extra_logs"]["errors"] == [1] and "request timeout" in js["errors"][0]["error"], f"/get_reward timeout {st} {js}")
judge("/gate/open")
done("timeout")
PY
kill -TERM "$SPID"; wait "$SPID"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "server B exit status $rc"

# ---- bad options ---------------------------------------------------------------
"$V" serve --port 70000 >/dev/null 2>"$T/opt.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--port" "$T/opt.err" && ok || bad "--port 70000: $rc $(cat "$T/opt.err")"
"$V" serve --bogus >/dev/null 2>"$T/opt.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown option" "$T/opt.err" && ok || bad "--bogus: $rc"
"$V" serve --help | grep -q "/get_reward" && ok || bad "--help"
finish
