#!/usr/bin/python3
r"""gen-tulu3-cases.py: fills in the verdicts of open-instruct's
if_functions.py (Tulu 3's RLVR-IFeval checks) for the hand-written cases of
the tulu3 family.

    /usr/bin/python3 scripts/gen-tulu3-cases.py [OPEN_INSTRUCT_DIR]

reads tests/data/tulu3-cases.in.jsonl and writes tests/cases/tulu3.jsonl
(every case with "family": "tulu3"), which tests/unit/test_cases.c runs
against verif.  Every expectation comes from running the real reference;
none is written by hand.

Input, one JSON object a line ('#' lines are comments, copied through):
  {"define": NAME, "responses": [...]}       a named list of responses
  {"id": FUNC_NAME, "kwargs", "response" | "responses": [...] | "@NAME"}
      -> "expect": bool(func(response, **kwargs)), as open-instruct's
      IFEvalVerifierOld calls it (kwargs whose value is None dropped);
      where the function raises, "expect" is false with "raises" and
      "reason": "the reference raises" (open-instruct does not catch it)
  {"id", "kwargs", "error": "substring"}     -> copied: verif refuses the
      kwargs (the reference's behaviour is printed to stderr)

The reference (not committed): OPEN_INSTRUCT_DIR (default
/tmp/open_instruct_ref) is a checkout of github.com/allenai/open-instruct at
commit e6c3044aa6201c8bfa4573c1b03142af599e730d; only
open_instruct/if_functions.py is loaded (by path: the package itself pulls
in the training stack).  e.g.
  git clone -q --no-checkout https://github.com/allenai/open-instruct \
      /tmp/open_instruct_ref
  git -C /tmp/open_instruct_ref reset -q e6c3044aa
  git -C /tmp/open_instruct_ref checkout -q -- open_instruct/if_functions.py
(HEAD must be that commit; that one file is all that is read).
Python: Debian's /usr/bin/python3 with python3-langdetect (1.0.9);
langdetect is seeded (DetectorFactory.seed = 0) as verif's port is.
"""
import importlib.util
import json
import os
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = sys.argv[1] if len(sys.argv) > 1 else "/tmp/open_instruct_ref"
IN = os.path.join(ROOT, "tests", "data", "tulu3-cases.in.jsonl")
OUT = os.path.join(ROOT, "tests", "cases", "tulu3.jsonl")
COMMIT = "e6c3044aa6201c8bfa4573c1b03142af599e730d"


def load_reference():
    try:
        head = subprocess.run(["git", "-C", REF, "rev-parse", "HEAD"],
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sys.exit(f"gen-tulu3-cases: {REF} is not a git checkout (see the top "
                 f"of this script)")
    if head != COMMIT:
        sys.exit(f"gen-tulu3-cases: {REF} is at {head}, not {COMMIT}")
    print(f"open-instruct at {head}", file=sys.stderr)
    path = os.path.join(REF, "open_instruct", "if_functions.py")
    spec = importlib.util.spec_from_file_location("if_functions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


IF = load_reference()
import langdetect  # noqa: E402

langdetect.DetectorFactory.seed = 0


def call(name, kwargs, response):
    """IFEvalVerifierOld: func(answer, **non-None kwargs) (no kwargs: func(answer))."""
    func = IF.IF_FUNCTIONS_MAP[name]
    args = {k: v for k, v in kwargs.items() if v is not None}
    try:
        return bool(func(response, **args)), None
    except Exception as e:  # noqa: BLE001
        return False, f"{type(e).__name__}: {e}"


def visible(ch):
    if ch == " ":
        return True
    cat = unicodedata.category(ch)
    return not (ch.isspace() or cat[0] in "CZ" or cat in ("Mn", "Me"))


def dump(obj):
    text = json.dumps(obj, ensure_ascii=False)
    out = []
    for ch in text:
        if visible(ch):
            out.append(ch)
        elif ord(ch) > 0xFFFF:
            v = ord(ch) - 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (v >> 10),
                                           0xDC00 + (v & 0x3FF)))
        else:
            out.append("\\u%04x" % ord(ch))
    return "".join(out)


def main():
    out, defs, ids = [], {}, set()
    n = {"expect": 0, "raises": 0, "error": 0}
    with open(IN, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            out.append(line)
            continue
        c = json.loads(line)
        if "define" in c:
            defs[c["define"]] = c["responses"]
            continue
        name, kwargs = c["id"], c.get("kwargs") or {}
        ids.add(name)
        base = {"family": "tulu3", "id": name, "kwargs": c.get("kwargs", {})}
        if "error" in c:
            _, raised = call(name, kwargs, "probe")
            print(f"{IN}:{lineno}: error case {name} {json.dumps(kwargs)}: "
                  f"reference {raised or 'accepts it'}", file=sys.stderr)
            out.append(dump({**base, "error": c["error"],
                             **({"note": c["note"]} if "note" in c else {})}))
            n["error"] += 1
            continue
        rs = c.get("responses", [c.get("response")])
        if isinstance(rs, str):
            rs = defs[rs[1:]]
        for r in rs:
            o = {**base, "response": r}
            o["expect"], raised = call(name, kwargs, r)
            if raised:
                o["raises"], o["reason"] = raised, "the reference raises"
                n["raises"] += 1
            if "note" in c:
                o["note"] = c["note"]
            out.append(dump(o))
            n["expect"] += 1
    missing = set(IF.IF_FUNCTIONS_MAP) - ids
    if missing:
        sys.exit(f"gen-tulu3-cases: no case for {sorted(missing)}")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {OUT}: {n['expect']} check cases ({n['raises']} where the "
          f"reference raises), {n['error']} error cases, {len(ids)} functions",
          file=sys.stderr)


if __name__ == "__main__":
    main()
