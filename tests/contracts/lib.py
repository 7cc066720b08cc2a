"""lib.py: what the trainer contract tests share (standard library only).

Each tests/contracts/<framework>.py replays the requests a framework sends
and reads the answers the way that framework's code reads them, against a
running `verif serve` (tests/cli/trainers.sh starts it and passes its URL
in VERIF_URL, the judge test server's in JUDGE_URL).  A suite prints
"<name>: N passed, N failed[, N skipped]"; skips are named.
"""

import http.client
import importlib.util
import json
import os
import sys
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))


class Suite:
    def __init__(self, name):
        self.name, self.passed, self.failed, self.skipped = name, 0, 0, 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAILED: %s: %s" % (self.name, what), file=sys.stderr)
        return cond

    def skip(self, what):
        self.skipped += 1
        print("skipped: %s: %s" % (self.name, what), file=sys.stderr)

    def done(self):
        extra = ", %d skipped" % self.skipped if self.skipped else ""
        print("%s: %d passed, %d failed%s" % (self.name, self.passed, self.failed, extra))
        sys.exit(1 if self.failed else 0)


def server(url=None):
    u = urllib.parse.urlsplit(url or os.environ["VERIF_URL"].split(",")[0])
    return u.hostname, u.port


def call(method, path, body=None, url=None, raw=None, timeout=60):
    """(status, decoded JSON or None, raw text) of one request."""
    host, port = server(url)
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    c.request(method, path, body=data, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    text = r.read()
    c.close()
    try:
        js = json.loads(text)
    except ValueError:
        js = None
    return r.status, js, text


def load_path(path, name):
    """A module loaded by file path, as verl and OpenRLHF load reward files."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def score(items, url=None):
    """verif's own records of items (POST /v1/score)."""
    st, js, text = call("POST", "/v1/score", {"items": items}, url=url)
    if st != 200:
        raise RuntimeError("/v1/score: %d %s" % (st, text[:300]))
    return js["results"]


# A few items with known rewards, in the formats trainers carry.
FN_SHORT = ("def check_following(instruction, response):\n"
            "    return instruction.startswith('Answer') and len(response.split()) <= 5\n")
VERINSTRUCT = {"checkers": ["[rule] Length: at most 5 words"], "functions": [FN_SHORT]}
IFEVAL = {"instruction_id_list": ["punctuation:no_comma", "change_case:english_lowercase"],
          "kwargs": [{}, {}]}
PROMPT = "Answer in at most five words, lowercase, no commas."
GOOD = "a short lowercase answer"          # passes both labels
BAD = "This answer, sadly, is far too long and it has Capitals"  # fails both


def label(kind, with_prompt=False):
    d = dict(VERINSTRUCT if kind == "verinstruct" else IFEVAL)
    if with_prompt:
        d["prompt"] = PROMPT
    return json.dumps(d)
