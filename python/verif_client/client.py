"""HTTP client for `verif serve`, standard library only.

Configuration comes from the environment (read on each Client() with no
arguments), so that trainers that import the adapters by path need no code:

  VERIF_URL      base URL of the server (default http://127.0.0.1:8765)
  VERIF_TOKEN    bearer token, if the server was started with --token
  VERIF_TIMEOUT  seconds per HTTP attempt (default 300)
  VERIF_RETRIES  extra attempts on connection errors, 502/503/504 (default 3)

Connection errors and 502/503/504 are retried with exponential backoff
(503's Retry-After is honoured); other HTTP errors raise VerifError at once
with the server's message.  The sync client keeps one keep-alive connection
per thread; the async client one pool per event loop.
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

ENV = ("VERIF_URL", "VERIF_TOKEN", "VERIF_TIMEOUT", "VERIF_RETRIES")

RETRY_STATUS = (502, 503, 504)


class VerifError(RuntimeError):
    """The server refused a request, or could not be reached."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def config(url=None, token=None, timeout=None, retries=None):
    """The effective settings: arguments first, then the environment."""
    env = os.environ
    url = url or env.get("VERIF_URL") or "http://127.0.0.1:8765"
    token = token if token is not None else env.get("VERIF_TOKEN") or None
    timeout = float(timeout if timeout is not None else env.get("VERIF_TIMEOUT", 300))
    retries = int(retries if retries is not None else env.get("VERIF_RETRIES", 3))
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("VERIF_URL must look like http://host:port, got %r" % url)
    return {"url": url, "scheme": parts.scheme, "host": parts.hostname,
            "port": parts.port or (443 if parts.scheme == "https" else 80),
            "base": parts.path.rstrip("/"), "token": token,
            "timeout": timeout, "retries": max(0, retries)}


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


class Client:
    """Synchronous client: client.post("/v1/score", {"items": [...]})."""

    def __init__(self, url=None, token=None, timeout=None, retries=None):
        self.cfg = config(url, token, timeout, retries)
        self._local = threading.local()

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            cls = http.client.HTTPSConnection if self.cfg["scheme"] == "https" else http.client.HTTPConnection
            c = cls(self.cfg["host"], self.cfg["port"], timeout=self.cfg["timeout"])
            self._local.conn = c
        return c

    def _drop(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
        self._local.conn = None

    def post(self, path, payload):
        """POSTs payload as JSON; returns the decoded answer."""
        body = json.dumps(payload).encode("utf-8")
        full = self.cfg["base"] + path
        last = None
        for attempt in range(self.cfg["retries"] + 1):
            try:
                c = self._conn()
                c.request("POST", full, body=body, headers=_headers(self.cfg, len(body)))
                r = c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self._drop()
                if r.status in RETRY_STATUS and attempt < self.cfg["retries"]:
                    time.sleep(_backoff(attempt, r.getheader("Retry-After")))
                    continue
                return _decode(r.status, data, path)
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                last = e
                if attempt < self.cfg["retries"]:
                    time.sleep(_backoff(attempt))
        raise VerifError("verif serve at %s unreachable after %d attempts: %s"
                         % (self.cfg["url"], self.cfg["retries"] + 1, last))


class AsyncClient:
    """asyncio client over raw HTTP/1.1 streams with a keep-alive pool."""

    def __init__(self, url=None, token=None, timeout=None, retries=None, pool=64):
        self.cfg = config(url, token, timeout, retries)
        if self.cfg["scheme"] != "http":
            raise ValueError("AsyncClient speaks plain http; use Client for https")
        self._pools = {}  # event loop -> list of idle (reader, writer)
        self._pool_size = pool

    async def _open(self):
        pool = self._pools.setdefault(asyncio.get_running_loop(), [])
        while pool:
            r, w = pool.pop()
            if not w.is_closing() and not r.at_eof():
                return r, w
            w.close()
        return await asyncio.open_connection(self.cfg["host"], self.cfg["port"])

    def _release(self, r, w, keep):
        pool = self._pools.setdefault(asyncio.get_running_loop(), [])
        if keep and len(pool) < self._pool_size:
            pool.append((r, w))
        else:
            w.close()

    async def _once(self, path, body):
        r, w = await self._open()
        keep = False
        try:
            head = "POST %s HTTP/1.1\r\nHost: %s:%d\r\n" % (path, self.cfg["host"], self.cfg["port"])
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
            self._release(r, w, keep)

    async def post(self, path, payload):
        body = json.dumps(payload).encode("utf-8")
        full = self.cfg["base"] + path
        last = None
        for attempt in range(self.cfg["retries"] + 1):
            try:
                status, headers, data = await asyncio.wait_for(
                    self._once(full, body), self.cfg["timeout"])
                if status in RETRY_STATUS and attempt < self.cfg["retries"]:
                    await asyncio.sleep(_backoff(attempt, headers.get("retry-after")))
                    continue
                return _decode(status, data, path)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
                last = e
                if attempt < self.cfg["retries"]:
                    await asyncio.sleep(_backoff(attempt))
        raise VerifError("verif serve at %s unreachable after %d attempts: %r"
                         % (self.cfg["url"], self.cfg["retries"] + 1, last))
