#!/usr/bin/env bash
# serve_guard.sh: issue 8's server reproducers against `verif serve`, each
# waiting on what it can observe, never on a sleep:
#  - an empty or unsendable token (--token "", VERIF_TOKEN="") is an error
#    at start-up, not authentication turned off;
#  - two Content-Lengths, Content-Length with Transfer-Encoding, a
#    Transfer-Encoding but chunked, and "Bearer <token>\0junk" are refused
#    and the connection closed (the bytes after them never read as a
#    second request); two Authorization lines are a 401;
#  - sockets that never send an authenticated request are closed within
#    seconds (they exhausted --max-connections for 450 s), while an
#    authenticated keep-alive connection stays open;
#  - SIGTERM with default options answers every request in flight (each
#    held 12 s by the test judge, longer than the old 10 s drain).
# Run by scripts/run-tests with VERIF set.
set -u
TEST_NAME=serve_guard
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

# wait_line FILE PATTERN: up to 30 s for PATTERN to appear in FILE
wait_line() {
  for _ in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
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

"$J" --port 0 --latency-ms 12000 > "$T/judge.port" &
pids+=($!)
wait_line "$T/judge.port" '^port ' || { bad "judge server did not start"; finish; }
JURL="http://127.0.0.1:$(awk '/^port /{print $2}' "$T/judge.port")/v1"
JUDGE=(--judge-url "$JURL" --judge-model test --judge-retries 0)

# ---- tokens that would turn authentication off ---------------------------
# (timeout: the old server took the empty token as "no token" and served)
timeout 20 "$V" serve --port 0 --token "" "${JUDGE[@]}" >/dev/null 2>"$T/tok.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--token: the token is empty" "$T/tok.err" && ok ||
  bad "--token '': status $rc: $(head -c 200 "$T/tok.err")"
VERIF_TOKEN= timeout 20 "$V" serve --port 0 "${JUDGE[@]}" >/dev/null 2>"$T/tok.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "VERIF_TOKEN: the token is empty" "$T/tok.err" && ok ||
  bad "VERIF_TOKEN='': status $rc: $(head -c 200 "$T/tok.err")"
timeout 20 "$V" serve --port 0 --token "two words" "${JUDGE[@]}" >/dev/null 2>"$T/tok.err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "printable ASCII" "$T/tok.err" && ok ||
  bad "--token 'two words': status $rc: $(head -c 200 "$T/tok.err")"

cat > "$T/raw.py" <<'PY'
import socket, os, time
PORT = int(os.environ["PORT"])
fails = []
def check(cond, what):
    if not cond: fails.append(what)
def done(name):
    for f in fails: print("FAILED:", name + ":", f)
    raise SystemExit(1 if fails else 0)
def raw(req, timeout=30):
    """Sends req on a fresh connection and reads until the server closes
    it (or timeout): the whole byte stream it answered."""
    s = socket.create_connection(("127.0.0.1", PORT)); s.settimeout(timeout)
    s.sendall(req); out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except socket.timeout: out += b"<no close>"
    except ConnectionResetError: out += b"<reset>"
    s.close(); return out
def status(out):
    return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/1.1 ") else 0
PY
export T

# ---- header lines that could smuggle a request, or a token --------------
start_serve g --token sekrit --max-connections 6 "${JUDGE[@]}"
G_PID=$SPID
PORT=$PORT python3 - <<'PY' && ok || bad "header lines"
import sys; sys.path.insert(0, __import__("os").environ["T"])
from raw import *
body = b'{"items": []}'
auth = b"Authorization: Bearer sekrit\r\n"
smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
def post(headers, data=body, tail=smuggled):
    return raw(b"POST /v1/score HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + data + tail)
cases = [
  ("two Content-Lengths", auth + b"Content-Length: 13\r\nContent-Length: 70\r\n", 400, b"Content-Length"),
  ("two equal Content-Lengths", auth + b"Content-Length: 13\r\nContent-Length: 13\r\n", 400, b"Content-Length"),
  ("Content-Length and chunked", auth + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", 400, b"Transfer-Encoding"),
  ("Transfer-Encoding: gzip", auth + b"Transfer-Encoding: gzip\r\n", 501, b"chunked"),
  ("token\\0junk", b"Authorization: Bearer sekrit\0junk\r\nContent-Length: 13\r\n", 400, b"NUL"),
  ("token\\0", b"Authorization: Bearer sekrit\0\r\nContent-Length: 13\r\n", 400, b"NUL"),
  ("another line with \\0", auth + b"X-Note: a\0b\r\nContent-Length: 13\r\n", 400, b"NUL"),
]
for name, headers, want, text in cases:
    out = post(headers)
    check(status(out) == want and text in out, f"{name}: {out[:160]}")
    check(out.count(b"HTTP/1.1 ") == 1, f"{name}: the bytes after it were read as a request: {out[:300]}")
    check(b"<no close>" not in out, f"{name}: connection left open")
for name, lines in [("right then wrong", auth + b"Authorization: Bearer wrong\r\n"),
                    ("wrong then right", b"Authorization: Bearer wrong\r\n" + auth)]:
    out = post(lines + b"Content-Length: 13\r\nConnection: close\r\n", tail=b"")
    check(status(out) == 401, f"two Authorization lines, {name}: {out[:160]}")
out = post(auth + b"Content-Length: 13\r\nConnection: close\r\n", tail=b"")
check(status(out) == 200 and out.endswith(b'{"results":[]}'), f"a sound request: {out[:200]}")
out = post(auth + b"Transfer-Encoding: chunked\r\nConnection: close\r\n", b"d\r\n" + body + b"\r\n0\r\n\r\n", b"")
check(status(out) == 200 and out.endswith(b'{"results":[]}'), f"a chunked request: {out[:200]}")
out = raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth + b"Connection: close\r\n\r\n")
check(b'verif_rejected_total{reason="bad_headers"} 7\n' in out, "metrics: bad_headers count")
done("header lines")
PY

# ---- idle connections that never authenticate ------------------------------
# Five silent sockets and one authenticated keep-alive connection fill
# --max-connections 6; the silent ones are closed by the server within the
# handshake allowance (10 s; the test allows 40), the keep-alive one is not.
PORT=$PORT python3 - <<'PY' && ok || bad "idle connections"
import sys, http.client; sys.path.insert(0, __import__("os").environ["T"])
from raw import *
H = {"Authorization": "Bearer sekrit", "Content-Type": "application/json"}
k = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
k.request("POST", "/v1/score", body=b'{"items": []}', headers=H)
r = k.getresponse(); r.read()
check(r.status == 200, f"keep-alive request: {r.status}")
t0 = time.monotonic()
idle = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(5)]
# the limit is real: a seventh connection is turned away while they idle
out = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=5)
check(status(out) != 200, f"a connection past --max-connections was served: {out[:100]}")
for s in idle:
    s.settimeout(40)
    try: got = s.recv(1)
    except socket.timeout: got = b"<open>"
    except ConnectionResetError: got = b""
    check(got == b"", f"an idle socket was not closed by the server: {got!r}")
    s.close()
took = time.monotonic() - t0
check(took < 40, f"idle sockets closed after {took:.1f} s")
# the server frees their slots just after closing them: retry until then
for _ in range(300):
    out = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    if status(out) == 200: break
    time.sleep(0.1)
check(status(out) == 200, f"after the idle sockets: {out[:100]}")
k.request("POST", "/v1/score", body=b'{"items": []}', headers=H)  # same socket
r = k.getresponse(); r.read()
check(r.status == 200, f"the keep-alive connection was closed with the idle ones: {r.status}")
done("idle")
PY
kill -TERM "$G_PID"; wait "$G_PID"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "server G exit status $rc"

# ---- SIGTERM with 30 requests in flight, default options -----------------
start_serve d --scorers 32 --judge-concurrency 64 "${JUDGE[@]}"
D_PID=$SPID
PORT=$PORT python3 - > "$T/drain.out" 2>&1 <<'PY' &
import sys, json, threading, http.client; sys.path.insert(0, __import__("os").environ["T"])
from raw import *
def one(i, res):
    item = {"id": i, "prompt": "Write formally.", "checkers": ["[llm] Style: formal"],
            "functions": [""], "response": f"Dear Sir {i} JUDGE:PASS"}  # distinct: no dedupe
    try:
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        c.request("POST", "/v1/score", body=json.dumps({"items": [item]}))
        r = c.getresponse(); js = json.loads(r.read())
        res[i] = (r.status, js["results"][0]["reward"] if r.status == 200 else js)
    except Exception as e:
        res[i] = (0, repr(e))
res = {}
th = [threading.Thread(target=one, args=(i, res)) for i in range(30)]
for t in th: t.start()
for t in th: t.join()
ok = [i for i in range(30) if res.get(i) == (200, 1.0)]
print(f"answered {len(ok)} of 30")
for i in range(30):
    if res.get(i) != (200, 1.0): print("request", i, res.get(i))
PY
client=$!
# SIGTERM once all 30 are in flight (the metrics request is the 31st)
PORT=$PORT python3 - <<'PY' || bad "the 30 requests never were in flight together"
import sys, time, http.client; sys.path.insert(0, __import__("os").environ["T"])
from raw import *
for _ in range(600):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    c.request("GET", "/metrics"); m = c.getresponse().read().decode(); c.close()
    n = [int(l.split()[1]) for l in m.splitlines() if l.startswith("verif_inflight_requests ")]
    if n and n[0] >= 31: raise SystemExit(0)
    time.sleep(0.05)
raise SystemExit(1)
PY
kill -TERM "$D_PID"
wait "$D_PID"; rc=$?
wait "$client"
[ "$rc" -eq 0 ] && ok || bad "exit status after SIGTERM: $rc ($(tail -n 2 "$T/d.err"))"
grep -q "^answered 30 of 30$" "$T/drain.out" && ok ||
  bad "in-flight requests during SIGTERM: $(head -c 600 "$T/drain.out")"
finish
