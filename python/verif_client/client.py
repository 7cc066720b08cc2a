"""HTTP client for `verif serve`, standard library only.

Configuration comes from the environment (read on each Client() with no
arguments), so that trainers that import the adapters by path need no code:

  VERIF_URL              base URL of the server, or several separated by
                         commas (one `verif serve` per node): requests are
                         spread over them in turn, and one that cannot be
                         reached is left out for a while (default
                         http://127.0.0.1:8765)
  VERIF_TOKEN            bearer token, if the servers were started with --token
  VERIF_TIMEOUT          seconds per HTTP attempt (default 300)
  VERIF_RETRIES          extra attempts on connection errors, 502/503/504
                         (default 3)
  VERIF_MAX_CONCURRENCY  most requests in flight from this process, over all
                         servers (default 64)

A connection error moves the request to the next server at once (failover);
502/503/504 are retried with exponential backoff (503's Retry-After is
honoured); other HTTP errors raise VerifError at once with the server's
message.  The sync client keeps one keep-alive connection per thread and
server; the async client one pool per event loop and server.
"""

import asyncio
import http.client
import json
import os
import random
import threading
import time
import urllib.parse

__all__ = ["Client", "AsyncClient", "VerifError", "config", "env_key"]

ENV = ("VERIF_URL", "VERIF_TOKEN", "VERIF_TIMEOUT", "VERIF_RETRIES", "VERIF_MAX_CONCURRENCY")

RETRY_STATUS = (502, 503, 504)
DOWN_SECONDS = 5.0  # a server that refused a connection is skipped this long


class VerifError(RuntimeError):
    """The server refused a request, or could not be reached."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def _server(url):
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("VERIF_URL must look like http://host:port (several: comma-separated), "
                         "got %r" % url)
    return {"url": url.strip(), "scheme": parts.scheme, "host": parts.hostname,
            "port": parts.port or (443 if parts.scheme == "https" else 80),
            "base": parts.path.rstrip("/")}


def config(url=None, token=None, timeout=None, retries=None, max_concurrency=None):
    """The effective settings: arguments first, then the environment."""
    env = os.environ
    url = url or env.get("VERIF_URL") or "http://127.0.0.1:8765"
    token = token if token is not None else env.get("VERIF_TOKEN") or None
    timeout = float(timeout if timeout is not None else env.get("VERIF_TIMEOUT", 300))
    retries = int(retries if retries is not None else env.get("VERIF_RETRIES", 3))
    conc = int(max_concurrency if max_concurrency is not None
               else env.get("VERIF_MAX_CONCURRENCY", 64))
    if conc < 1:
        raise ValueError("VERIF_MAX_CONCURRENCY must be at least 1, got %d" % conc)
    servers = [_server(u) for u in url.split(",") if u.strip()]
    if not servers:
        raise ValueError("VERIF_URL names no server: %r" % url)
    return {"url": url, "servers": servers, "token": token, "timeout": timeout,
            "retries": max(0, retries), "max_concurrency": conc}


def env_key():
    """The environment's settings, to cache one client per configuration."""
    return tuple(os.environ.get(k) for k in ENV)


def _headers(cfg, length):
    h = {"Content-Type": "application/json", "Content-Length": str(length),
         "Accept": "application/json"}
    if cfg["token"]:
        h["Authorization"] = "Bearer " + cfg["token"]
    return h


def _backoff(attempt, retry_after=None):
    if retry_after:
        try:
            return min(float(retry_after), 30.0)
        except ValueError:
            pass
    return min(0.2 * (2 ** attempt), 10.0) * (0.5 + random.random())


def _decode(status, body, path):
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if status == 200 and data is not None:
        return data
    why = data.get("error") if isinstance(data, dict) else body[:300].decode("utf-8", "replace")
    raise VerifError("verif serve %s: HTTP %d: %s" % (path, status, why), status)


class _Servers:
    """The servers in turn, skipping those that recently refused."""

    def __init__(self, servers):
        self.servers = servers
        self.down = [0.0] * len(servers)
        self.next = random.randrange(len(servers))  # processes start apart
        self.lock = threading.Lock()

    def pick(self):
        with self.lock:
            now = time.monotonic()
            n = len(self.servers)
            for k in range(n):
                i = (self.next + k) % n
                if self.down[i] <= now:
                    self.next = i + 1
                    return i
            i = min(range(n), key=lambda j: self.down[j])  # all down: the soonest back
            self.next = i + 1
            return i

    def failed(self, i):
        with self.lock:
            self.down[i] = time.monotonic() + DOWN_SECONDS

    def any_up(self):
        now = time.monotonic()
        return any(d <= now for d in self.down)


class Client:
    """Synchronous client: client.post("/v1/score", {"items": [...]})."""

    def __init__(self, url=None, token=None, timeout=None, retries=None, max_concurrency=None):
        self.cfg = config(url, token, timeout, retries, max_concurrency)
        self._servers = _Servers(self.cfg["servers"])
        self._slots = threading.BoundedSemaphore(self.cfg["max_concurrency"])
        self._local = threading.local()

    def _conn(self, i):
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        c = conns.get(i)
        if c is None:
            s = self.cfg["servers"][i]
            cls = http.client.HTTPSConnection if s["scheme"] == "https" else http.client.HTTPConnection
            c = conns[i] = cls(s["host"], s["port"], timeout=self.cfg["timeout"])
        return c

    def _drop(self, i):
        c = getattr(self._local, "conns", {}).pop(i, None)
        if c is not None:
            c.close()

    def _once(self, i, path, body):
        c = self._conn(i)
        c.request("POST", self.cfg["servers"][i]["base"] + path, body=body,
                  headers=_headers(self.cfg, len(body)))
        r = c.getresponse()
        data = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self._drop(i)
        return r.status, r.getheader("Retry-After"), data

    def post(self, path, payload):
        """POSTs payload as JSON to one of the servers; returns the decoded answer."""
        body = json.dumps(payload).encode("utf-8")
        last = None
        with self._slots:
            for attempt in range(self.cfg["retries"] + 1):
                i = self._servers.pick()
                try:
                    status, retry_after, data = self._once(i, path, body)
                except (OSError, http.client.HTTPException) as e:
                    self._drop(i)
                    self._servers.failed(i)
                    last = e
                    if attempt < self.cfg["retries"] and not self._servers.any_up():
                        time.sleep(_backoff(attempt))
                    continue
                if status in RETRY_STATUS and attempt < self.cfg["retries"]:
                    time.sleep(_backoff(attempt, retry_after))
                    continue
                return _decode(status, data, path)
        raise VerifError("verif serve at %s unreachable after %d attempts: %s"
                         % (self.cfg["url"], self.cfg["retries"] + 1, last))


class AsyncClient:
    """asyncio client over raw HTTP/1.1 streams with a keep-alive pool."""

    def __init__(self, url=None, token=None, timeout=None, retries=None, pool=64,
                 max_concurrency=None):
        self.cfg = config(url, token, timeout, retries, max_concurrency)
        if any(s["scheme"] != "http" for s in self.cfg["servers"]):
            raise ValueError("AsyncClient speaks plain http; use Client for https")
        self._servers = _Servers(self.cfg["servers"])
        self._pools = {}  # (event loop, server) -> list of idle (reader, writer)
        self._slots = {}  # event loop -> semaphore of VERIF_MAX_CONCURRENCY
        self._pool_size = pool

    def _pool(self, i):
        return self._pools.setdefault((asyncio.get_running_loop(), i), [])

    async def _open(self, i):
        pool = self._pool(i)
        while pool:
            r, w = pool.pop()
            if not w.is_closing() and not r.at_eof():
                return r, w
            w.close()
        s = self.cfg["servers"][i]
        return await asyncio.open_connection(s["host"], s["port"])

    def _release(self, i, r, w, keep):
        pool = self._pool(i)
        if keep and len(pool) < self._pool_size:
            pool.append((r, w))
        else:
            w.close()

    async def _once(self, i, path, body):
        s = self.cfg["servers"][i]
        r, w = await self._open(i)
        keep = False
        try:
            head = "POST %s HTTP/1.1\r\nHost: %s:%d\r\n" % (s["base"] + path, s["host"], s["port"])
            head += "".join("%s: %s\r\n" % kv for kv in _headers(self.cfg, len(body)).items())
            w.write(head.encode("latin-1") + b"\r\n" + body)
            await w.drain()
            status_line = await r.readline()
            if not status_line:
                raise ConnectionError("connection closed by the server")
            status = int(status_line.split()[1])
            headers = {}
            while True:
                line = await r.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            data = await r.readexactly(int(headers.get("content-length", "0")))
            keep = headers.get("connection", "").lower() != "close"
            return status, headers, data
        finally:
            self._release(i, r, w, keep)

    async def post(self, path, payload):
        body = json.dumps(payload).encode("utf-8")
        loop = asyncio.get_running_loop()
        if loop not in self._slots:
            self._slots[loop] = asyncio.Semaphore(self.cfg["max_concurrency"])
        last = None
        async with self._slots[loop]:
            for attempt in range(self.cfg["retries"] + 1):
                i = self._servers.pick()
                try:
                    status, headers, data = await asyncio.wait_for(
                        self._once(i, path, body), self.cfg["timeout"])
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
                        IndexError) as e:
                    self._servers.failed(i)
                    last = e
                    if attempt < self.cfg["retries"] and not self._servers.any_up():
                        await asyncio.sleep(_backoff(attempt))
                    continue
                if status in RETRY_STATUS and attempt < self.cfg["retries"]:
                    await asyncio.sleep(_backoff(attempt, headers.get("retry-after")))
                    continue
                return _decode(status, data, path)
        raise VerifError("verif serve at %s unreachable after %d attempts: %r"
                         % (self.cfg["url"], self.cfg["retries"] + 1, last))
