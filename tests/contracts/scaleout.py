"""scaleout.py: the Python client in front of several `verif serve`s.

VERIF_URL with two servers spreads requests over both (each server's
/metrics counts what it answered); a server that refuses connections is
skipped and the request goes on to the next one at once; and
VERIF_MAX_CONCURRENCY caps the requests in flight (a counting test server
sees at most that many at a time; without the cap it sees more, so the
check can fail), for the sync client's threads and the async client alike.
"""
import asyncio
import http.server
import json
import os
import socket
import threading
import time

from lib import GOOD, PROMPT, Suite, call, label

from verif_client import AsyncClient, Client, VerifError

t = Suite("scaleout")
A, B = os.environ["VERIF_URL"].split(",")[0], os.environ["VERIF_URL_B"]
ITEM = dict(json.loads(label("ifeval")), prompt=PROMPT, response=GOOD)


def answered(url):
    st, _, text = call("GET", "/metrics", url=url)
    for line in text.decode().splitlines():
        if line.startswith('verif_http_requests_total{endpoint="/v1/score",code="200"}'):
            return int(float(line.split()[-1]))
    return 0


def dead_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return "http://127.0.0.1:%d" % port


# ---- spreading ----------------------------------------------------------------
before = answered(A), answered(B)
c = Client(url="%s,%s" % (A, B))
got = [c.post("/v1/score", {"items": [ITEM]})["results"][0]["reward"] for _ in range(8)]
after = answered(A), answered(B)
t.check(got == [1.0] * 8, "rewards through two servers: %s" % got)
t.check(after[0] - before[0] == 4 and after[1] - before[1] == 4,
        "8 requests spread 4 + 4: %s -> %s" % (before, after))


async def spread_async():
    ac = AsyncClient(url="%s,%s" % (A, B))
    return await asyncio.gather(*[ac.post("/v1/score", {"items": [ITEM]}) for _ in range(6)])


before = answered(A), answered(B)
asyncio.run(spread_async())
after = answered(A), answered(B)
t.check(after[0] - before[0] == 3 and after[1] - before[1] == 3,
        "async: 6 requests spread 3 + 3: %s -> %s" % (before, after))

# ---- failover ----------------------------------------------------------------------
dead = dead_url()
c = Client(url="%s,%s" % (dead, A), retries=1)
t0 = time.monotonic()
got = [c.post("/v1/score", {"items": [ITEM]})["results"][0]["reward"] for _ in range(6)]
t.check(got == [1.0] * 6 and time.monotonic() - t0 < 5, "failover past a dead server: %s" % got)


async def failover_async():
    ac = AsyncClient(url="%s,%s" % (A, dead), retries=1)
    return [(await ac.post("/v1/score", {"items": [ITEM]}))["results"][0]["reward"] for _ in range(4)]


t.check(asyncio.run(failover_async()) == [1.0] * 4, "async failover")
try:
    Client(url="%s,%s" % (dead, dead_url()), retries=1).post("/v1/score", {"items": [ITEM]})
    t.check(False, "no server up, yet an answer")
except VerifError as e:
    t.check("unreachable after 2 attempts" in str(e), "all down: %s" % e)


# ---- VERIF_MAX_CONCURRENCY -------------------------------------------------------------
class Counting(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    now = peak = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with Counting.lock:
            Counting.now += 1
            Counting.peak = max(Counting.peak, Counting.now)
        time.sleep(0.2)
        with Counting.lock:
            Counting.now -= 1
        body = b'{"results": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % srv.server_address[1]


def peak_sync(cap):
    Counting.peak = 0
    c = Client(url=url, max_concurrency=cap)
    th = [threading.Thread(target=c.post, args=("/v1/score", {"items": []})) for _ in range(6)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    return Counting.peak


def peak_async(cap):
    Counting.peak = 0

    async def go():
        ac = AsyncClient(url=url, max_concurrency=cap)
        await asyncio.gather(*[ac.post("/v1/score", {"items": []}) for _ in range(6)])
    asyncio.run(go())
    return Counting.peak


for kind, peak in (("sync", peak_sync), ("async", peak_async)):
    uncapped, capped = peak(64), peak(2)
    t.check(uncapped > 2 and capped <= 2, "%s: peak %d uncapped, %d with a cap of 2"
            % (kind, uncapped, capped))
os.environ["VERIF_MAX_CONCURRENCY"] = "1"
t.check(Client(url=url).cfg["max_concurrency"] == 1, "VERIF_MAX_CONCURRENCY read from the environment")
os.environ["VERIF_MAX_CONCURRENCY"] = "0"
try:
    Client(url=url)
    t.check(False, "VERIF_MAX_CONCURRENCY=0 accepted")
except ValueError as e:
    t.check("VERIF_MAX_CONCURRENCY" in str(e), "a bad cap: %s" % e)
srv.shutdown()

t.done()
