#!/usr/bin/env bash
# trainers.sh: the trainer contract tests (tests/contracts/*.py: verl,
# OpenRLHF, TRL, slime, NeMo-Gym, the recipes' keys, scale-out) against real
# `verif serve` processes with the test judge behind them, and the
# per-request judge gate: a judge_url outside --judge-url-allow is a 400 and
# its listener sees no connection.  Needs python3 (missing: a failure).
# Prints one closing line adding up the suites' counts.
set -u
TEST_NAME=trainers
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
skipped=0
summary() {
  local extra=""
  [ "$skipped" -eq 0 ] || extra=", $skipped skipped"
  echo "$TEST_NAME: $pass passed, $fail failed$extra"
  [ "$fail" -eq 0 ]; exit $?
}
command -v python3 >/dev/null || { bad "python3 is missing"; summary; }

wait_line() { # FILE PATTERN: up to 20 s
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# A server needs --no-judge when it has no --judge-url, on builds that ask.
NOJ=$("$V" serve --help 2>/dev/null | grep -q -- '--no-judge' && echo --no-judge)
start_serve() { # NAME ARGS...: sets PORT
  local name=$1; shift
  "$V" serve --port 0 "$@" > "$T/$name.out" 2> "$T/$name.err" &
  pids+=($!)
  wait_line "$T/$name.out" '^listening on' || { bad "$name did not start: $(head -c 300 "$T/$name.err")"; summary; }
  PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$T/$name.out")
}

"$J" --port 0 --latency-ms 50 --record "$T/judge.rec" > "$T/judge.port" &
pids+=($!)
wait_line "$T/judge.port" '^port ' || { bad "judge server did not start"; summary; }
JPORT=$(awk '/^port /{print $2}' "$T/judge.port")

start_serve a --judge-url "http://127.0.0.1:$JPORT/v1" --judge-model test --judge-retries 0 \
  --judge-url-allow "127.0.0.1:$JPORT" --error-reward -1
PA=$PORT
start_serve b $NOJ
PB=$PORT

# ---- the judge gate: a listener that must see no connection -----------------
python3 - "$PA" "$PB" "$JPORT" <<'PY' && ok || bad "per-request judge gate"
import json, socket, sys, http.client
pa, pb, jport = map(int, sys.argv[1:])
lis = socket.socket(); lis.bind(("127.0.0.1", 0)); lis.listen(8); lis.settimeout(0.5)
lport = lis.getsockname()[1]
fails = []
def post(port, items):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/v1/score", json.dumps({"items": items}), {"Content-Type": "application/json"})
    r = c.getresponse(); return r.status, json.loads(r.read())
item = {"prompt": "Write formally.", "checkers": ["[llm] Style: formal"], "functions": [""],
        "response": "Dear Sir JUDGE:PASS", "judge_model": "m"}
for port, url, why in ((pa, "http://127.0.0.1:%d/v1" % lport, "not in --judge-url-allow"),
                       (pa, "http://localhost:%d/v1" % jport, "not in --judge-url-allow"),
                       (pb, "http://127.0.0.1:%d/v1" % lport, "allows none")):
    st, js = post(port, [dict(item, id=1), dict(item, id=2, judge_url=url)])
    if st != 400 or why not in js.get("error", "") or "items'[1]" not in js["error"]:
        fails.append("%s on %d: %d %s" % (url, port, st, js))
try:
    conn, _ = lis.accept(); fails.append("the listener was contacted")
except socket.timeout:
    pass
st, js = post(pa, [dict(item, judge_url="http://127.0.0.1:%d/v1" % jport)])
if st != 200 or js["results"][0]["reward"] != 1.0:
    fails.append("allowed judge: %d %s" % (st, js))
for f in fails: print("FAILED:", f, file=sys.stderr)
sys.exit(1 if fails else 0)
PY

# ---- the contract suites ----------------------------------------------------
export VERIF_URL="http://127.0.0.1:$PA" JUDGE_ADDR="127.0.0.1:$JPORT" JUDGE_RECORD="$T/judge.rec"
export VERIF_URL_B="http://127.0.0.1:$PB" VERIF_RETRIES=2 VERIF_BIN="$V" T
for suite in tests/contracts/[a-z]*.py; do
  case $suite in */lib.py) continue ;; esac
  out=$(python3 "$suite" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
  if [ -z "$line" ]; then
    bad "$suite ended without its summary (status $rc): $(printf '%s\n' "$out" | tail -n 15)"; continue
  fi
  printf '%s\n' "$out" | grep -E '^(FAILED|skipped):' | sed 's/^/  /' >&2
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
  s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+')
  pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + ${s:-0}))
  [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || bad "$suite exited with status $rc"
done
summary
