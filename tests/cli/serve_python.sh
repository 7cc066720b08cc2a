#!/usr/bin/env bash
# serve_python.sh: the Python adapters (python/verif_client) against a real
# `verif serve --port 0`, with the machine's python3 (missing: a failure,
# not a skip).  verl's compute_score (sync, async, batch, loaded by path as
# verl does), TRL's reward function (async and sync, chat completions,
# every label column), OpenRLHF's reward_func file (loaded by path as
# OpenRLHF does): rewards equal `verif score`'s on the same items; error
# items get the error reward and a warning; VERIF_TOKEN, VERIF_RETRIES
# (503 with Retry-After, then success), VERIF_TIMEOUT, an unreachable URL.
# A slow item is an [llm] check the test judge holds (JUDGE:HOLD) until the
# test opens its gate; every wait is on an observable condition.
set -u
TEST_NAME=serve_python
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
if ! command -v python3 >/dev/null; then bad "python3 is missing (the adapters need it)"; finish; fi

wait_line() { # FILE PATTERN: up to 60 s for PATTERN to appear in FILE
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
start_serve() { # NAME ARGS...: sets PORT, SPID
  local name=$1; shift
  "$V" serve --port 0 "$@" > "$T/$name.out" 2> "$T/$name.err" &
  SPID=$!
  pids+=("$SPID")
  wait_line "$T/$name.out" '^listening on' || { bad "$name did not start: $(head -c 300 "$T/$name.err")"; finish; }
  PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$T/$name.out")
}

"$J" --port 0 > "$T/judge.port" &
pids+=($!)
wait_line "$T/judge.port" '^port ' || { bad "judge server did not start"; finish; }
JPORT=$(awk '/^port /{print $2}' "$T/judge.port")
JURL="http://127.0.0.1:$JPORT/v1"

python3 - "$T" data/ifeval <<'PY' || bad "building items"
import json, sys
t, d = sys.argv[1], sys.argv[2]
resp = {json.loads(l)["prompt"]: json.loads(l)["response"] for l in open(d + "/input_response_data_gpt4_20231107_145030.jsonl")}
items = [dict(x, response=resp[x["prompt"]]) for x in map(json.loads, open(d + "/input_data.jsonl")) if x["prompt"] in resp][:16]
fn = "def check_following(instruction, response):\n    return instruction.startswith('Two') and len(response.split()) <= 5\n"
items.append({"id": "vi", "prompt": "Two words.", "checkers": ["[rule] Length: at most 5 words"], "functions": [fn], "response": "two words"})
items.append({"id": "vi2", "prompt": "Two words.", "checkers": ["[rule] Length: at most 5 words"], "functions": [fn], "response": "a b c d e f g"})
items.append({"key": 9, "prompt": "x", "instruction_id_list": ["no:such_id"], "kwargs": [{}], "response": "y"})
with open(t + "/items.jsonl", "w") as f:
    for x in items: f.write(json.dumps(x) + "\n")
PY
"$V" score --input "$T/items.jsonl" --output "$T/records.jsonl" 2>/dev/null
[ -s "$T/records.jsonl" ] && ok || bad "verif score gave no records"

start_serve main --token tok --no-judge
export VERIF_URL="http://127.0.0.1:$PORT" VERIF_TOKEN=tok T PYTHONPATH="$PWD/python"
python3 - <<'PY' && ok || bad "adapters"
import asyncio, importlib.util, json, logging, os, time
import verif_client
from verif_client import VerifError
T = os.environ["T"]
items = [json.loads(l) for l in open(T + "/items.jsonl")]
want = [r["reward"] if r["reward"] is not None else 0.0 for r in map(json.loads, open(T + "/records.jsonl"))]
want_trl = [r["reward"] for r in map(json.loads, open(T + "/records.jsonl"))]  # TRL: None, not 0.0
fails = []
def check(c, what):
    if not c: fails.append(what)
def label(x): return json.dumps({k: v for k, v in x.items() if k not in ("response", "id", "key", "prompt")})
warnings = []
class H(logging.Handler):
    def emit(self, rec): warnings.append(rec.getMessage())
logging.getLogger("verif_client").addHandler(H())

# verl: ground_truth = the constraints; the instruction in extra_info
def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m
verl = load("python/verif_client/verl.py", "custom_module")      # as verl loads it
got = [verl.compute_score("ifeval", x["response"], label(x), {"prompt": x["prompt"]}) for x in items]
check(got == want, f"verl compute_score {got} want {want}")
check(any(w and "no:such_id" in w for w in warnings), f"no warning for the error item: {warnings}")
d = verif_client.compute_score("ifeval", items[0]["response"], label(items[0]), {"prompt": items[0]["prompt"]}, return_dict=True)
check(set(d) == {"score", "hard", "soft", "verif_error"} and d["score"] == want[0], f"return_dict {d}")
d = verif_client.compute_score("x", "y", label(items[-1]), {"prompt": "x"}, return_dict=True, error_reward=-1)
check(d["score"] == -1 and d["verif_error"] == 1.0, f"error item {d}")
async def all_async():
    return await asyncio.gather(*[verif_client.compute_score_async("ifeval", x["response"], label(x), {"prompt": x["prompt"]}) for x in items])
check(list(asyncio.run(all_async())) == want, "verl compute_score_async")
b = verif_client.compute_score_batch(["ifeval"] * len(items), [x["response"] for x in items], [label(x) for x in items], [{"prompt": x["prompt"]} for x in items])
check(b == want, f"verl compute_score_batch {b}")
# a ground_truth that carries its own prompt needs no extra_info
vi = items[-3]
check(verif_client.compute_score("v", vi["response"], json.dumps({k: vi[k] for k in ("prompt", "checkers", "functions")})) == want[-3], "gt with prompt")

# TRL: chats, columns as kwargs, each label style; None for the error item
prompts = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": x["prompt"]}] for x in items]
comps = [[{"role": "assistant", "content": x["response"]}] for x in items]
r = asyncio.run(verif_client.verif_reward(prompts=prompts, completions=comps, ground_truth=[label(x) for x in items], trainer_state=None))
check(r == want_trl and r[-1] is None, f"trl ground_truth {r}")
n = 16  # the IFEval rows, as their own columns
r = verif_client.verif_reward_sync(prompts=[x["prompt"] for x in items[:n]], completions=[x["response"] for x in items[:n]],
                                   instruction_id_list=[x["instruction_id_list"] for x in items[:n]], kwargs=[x["kwargs"] for x in items[:n]])
check(r == want[:n], f"trl ifeval columns {r}")
vis = items[n:n + 2]
r = asyncio.run(verif_client.verif_reward(prompts=[x["prompt"] for x in vis], completions=[x["response"] for x in vis],
                                          checkers=[x["checkers"] for x in vis], functions=[x["functions"] for x in vis]))
check(r == want[n:n + 2], f"trl verinstruct columns {r}")
check(verif_client.verif_reward.__name__ == "verif", "reward function name")

# OpenRLHF: the file loaded by path, queries with the chat template
orl = load("python/verif_client/openrlhf_reward.py", "reward_func")
pre = ["<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n" % x["prompt"] for x in items]
q = [p + x["response"] + "<|im_end|>" for p, x in zip(pre, items)]
out = orl.reward_func(q, pre, [label(x) for x in items])
rw = [float(v) for v in out["rewards"]]
check(rw == want, f"openrlhf rewards {rw}")
check(set(out["extra_logs"]) == {"hard", "soft", "errors"} and [float(v) for v in out["extra_logs"]["errors"]] == [0.0] * (len(items) - 1) + [1.0], f"extra_logs {out['extra_logs']}")

# the example converters: their rows go through the adapters unchanged
import subprocess
subprocess.run(["python3", "examples/verl/convert.py", "--input", T + "/items.jsonl", "--output", T + "/verl.jsonl"], check=True, capture_output=True)
rows = [json.loads(l) for l in open(T + "/verl.jsonl")]
got = verif_client.compute_score_batch([r["data_source"] for r in rows], [x["response"] for x in items],
                                       [r["reward_model"]["ground_truth"] for r in rows], [r["extra_info"] for r in rows])
check(got == want and rows[0]["prompt"] == [{"role": "user", "content": items[0]["prompt"]}], f"verl converter rows {got}")
subprocess.run(["python3", "examples/openrlhf/convert.py", "--input", T + "/items.jsonl", "--output", T + "/orl.jsonl"], check=True, capture_output=True)
rows = [json.loads(l) for l in open(T + "/orl.jsonl")]
pre = ["<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n" % r["prompt"][0]["content"] for r in rows]
out = orl.reward_func([p + x["response"] for p, x in zip(pre, items)], pre, [r["label"] for r in rows])
check([float(v) for v in out["rewards"]] == want, f"openrlhf converter rows {out['rewards']}")
bad = subprocess.run(["python3", "examples/verl/convert.py", "--input", "/dev/null", "--output", T + "/x"], capture_output=True)
check(bad.returncode == 0, "empty input")
open(T + "/bad.jsonl", "w").write('{"prompt": "p"}\n')
bad = subprocess.run(["python3", "examples/openrlhf/convert.py", "--input", T + "/bad.jsonl", "--output", T + "/x"], capture_output=True, text=True)
check(bad.returncode != 0 and "bad.jsonl:1" in bad.stderr, f"converter error: {bad.stderr}")

# the token, and an unreachable server
os.environ["VERIF_TOKEN"] = "wrong"
try:
    verif_client.Client().post("/v1/score", {"items": []}); check(False, "wrong token accepted")
except VerifError as e:
    check(e.status == 401 and "bearer" in str(e).lower(), f"wrong token: {e}")
os.environ["VERIF_TOKEN"] = "tok"
t0 = time.time()
try:
    verif_client.Client(url="http://127.0.0.1:1", retries=1).post("/v1/score", {"items": []}); check(False, "port 1 answered")
except VerifError as e:
    check("unreachable after 2 attempts" in str(e) and time.time() - t0 < 5, f"unreachable: {e}")
try:
    asyncio.run(verif_client.AsyncClient(url="http://127.0.0.1:1", retries=0).post("/v1/score", {"items": []})); check(False, "async port 1")
except VerifError as e:
    check("unreachable" in str(e), f"async unreachable: {e}")
for f in fails: print("FAILED:", f)
raise SystemExit(1 if fails else 0)
PY

# VERIF_RETRIES: a 503 (--max-inflight 1 held by a slow [llm] item) is
# retried after Retry-After and then succeeds once the item is released;
# VERIF_TIMEOUT gives up.
unset VERIF_TOKEN  # else the server takes it as its --token
start_serve busy --max-inflight 1 --judge-url "$JURL" --judge-model test --judge-retries 0
export VERIF_URL="http://127.0.0.1:$PORT" JPORT
python3 - <<'PY' && ok || bad "retries and timeouts"
import http.client, json, os, threading, time
import verif_client
from verif_client import VerifError
T = os.environ["T"]
x = json.loads(open(T + "/items.jsonl").readline())
want = json.loads(open(T + "/records.jsonl").readline())["reward"]
slow = {"id": "slow", "prompt": "Write formally.", "checkers": ["[llm] Style: formal"], "functions": [""], "response": "Dear Sir JUDGE:HOLD JUDGE:PASS"}
fails = []
def get(port, method, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path); text = c.getresponse().read().decode(); c.close()
    return text
def metric(name):
    for line in get(int(os.environ["VERIF_URL"].rsplit(":", 1)[1]), "GET", "/metrics").splitlines():
        if line.startswith(name + " "): return float(line.split()[-1])
def wait_until(cond, what):
    end = time.time() + 60
    while time.time() < end:
        if cond(): return
        time.sleep(0.02)
    fails.append("timed out waiting for " + what)
gate = lambda how: get(int(os.environ["JPORT"]), "POST", "/gate/" + how)
gate("close")
hold = threading.Thread(target=lambda: verif_client.Client(retries=0).post("/v1/score", {"items": [slow]}))
hold.start()
wait_until(lambda: metric("verif_inflight_items") == 1, "the slow item in flight")
# opens the gate once the retrying call below has met its own first 503
opener = threading.Thread(target=lambda: (wait_until(lambda: metric('verif_rejected_total{reason="busy"}') == 2, "the second 503"), gate("open")))
t0 = time.time()
lab = json.dumps({"instruction_id_list": x["instruction_id_list"], "kwargs": x["kwargs"]})
os.environ["VERIF_RETRIES"] = "0"
try:
    verif_client.compute_score("ifeval", x["response"], lab, {"prompt": x["prompt"]}); fails.append("no 503 without retries")
except VerifError as e:
    if e.status != 503: fails.append(f"want 503: {e}")
os.environ["VERIF_RETRIES"] = "5"
opener.start()
got = verif_client.compute_score("ifeval", x["response"], lab, {"prompt": x["prompt"]})
took = time.time() - t0
hold.join(); opener.join()
gate("close")
if got != want or took < 0.5: fails.append(f"retried: {got} (want {want}) after {took:.2f} s")
try:
    verif_client.Client(timeout=0.3, retries=0).post("/v1/score", {"items": [dict(slow, response="Dear Madam JUDGE:HOLD JUDGE:PASS")]})
    fails.append("no timeout")
except VerifError as e:
    if "unreachable" not in str(e): fails.append(f"timeout: {e}")
gate("open")
for f in fails: print("FAILED:", f)
raise SystemExit(1 if fails else 0)
PY
finish
