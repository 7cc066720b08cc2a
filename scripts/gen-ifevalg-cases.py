#!/usr/bin/python3
r"""gen-ifevalg-cases.py: fills in the IFEvalG reference's verdicts for the
hand-written checker cases of the ifevalg family.

    /usr/bin/python3 scripts/gen-ifevalg-cases.py [VI_DIR [IFBENCH_DIR]]

reads tests/data/ifevalg-cases.in.jsonl and writes tests/cases/ifevalg.jsonl
(every case with "family": "ifevalg"), which tests/unit/test_cases.c runs
against verif.  Every expectation comes from running the real reference;
none is written by hand.

Input, one JSON object a line ('#' lines are comments, copied through):
  {"define": NAME, "responses": [...]}     a named list of responses
  {"id", "kwargs", "response", "note"}      -> "expect": check_following()
      after build_description(**kwargs), as NeMo-Gym calls them; where the
      reference raises inside check_following, "expect" is false (NeMo-Gym
      counts an exception as not followed) with "raises" saying what it
      raised and "reason": "the reference raises" (verif must say so too)
  "responses": [...] or "@NAME" instead of "response": one case for each
  {..., "mode": "loose"}                    -> "strict" and "loose":
      evaluation_lib.test_instruction_following_strict / _loose on a
      one-instruction prompt (IFEval's eight loose variants)
  {"id", "kwargs", "error": "substring", "note"} -> copied as it is: verif's
      own kwarg validation (the reference raises, or draws a random value);
      the reference's behaviour is printed to stderr for information.

The references (not committed; they stay outside the repository):
  VI_DIR (default /tmp/ifevalg_ref): a checkout of
    github.com/abukharin-nv/verifiable-instructions at commit
    f46a5ac87b1400a4f8973039844b6be9b56e3faf (f46a5ac, "Update synthesis
    file"), the package NeMo-Gym's instruction_following server imports;
    its verifiable_instructions/ is imported as is.
  IFBENCH_DIR (default /tmp/ifbench_ref): a checkout of
    github.com/allenai/IFBench at c94da0204a1552be9e5c206b732e29f7d279f0c7,
    only for evaluation_lib.py (IFEval's strict/loose protocol, copied
    there verbatim), run with the verifiable_instructions registry.
  e.g. git clone -q https://github.com/abukharin-nv/verifiable-instructions \
         /tmp/ifevalg_ref && git -C /tmp/ifevalg_ref checkout -q f46a5ac
       git clone -q https://github.com/allenai/IFBench /tmp/ifbench_ref &&
         git -C /tmp/ifbench_ref checkout -q c94da02
  The commit each checkout is at is printed and checked.

Python: Debian's /usr/bin/python3 with python3-nltk (3.8), python3-langdetect
(1.0.9), python3-absl and python3-immutabledict.

What is patched, and why (as in scripts/gen-ifeval-cases.py):
  * Punkt: instructions_util loads nltk's punkt pickle, which is not
    installed; count_sentences and nltk.word_tokenize use scripts/nltk_ref.py's
    English Punkt (data/punkt_tab/english, NLTK >= 3.8.2's candidate
    selection) and word_tokenize (NLTKWordTokenizer over each sentence, as
    in NLTK 3.8.2+/3.9, which NeMo-Gym installs).
  * langdetect: DetectorFactory.seed = 0 (verif's port is seeded at 0 too).
  * random: the reference falls back to random values for missing or falsy
    kwargs; any such call here is an error, so no expectation depends on
    chance.
"""
import json
import os
import subprocess
import sys
import unicodedata
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VI = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ifevalg_ref"
IFB = sys.argv[2] if len(sys.argv) > 2 else "/tmp/ifbench_ref"
IN = os.path.join(ROOT, "tests", "data", "ifevalg-cases.in.jsonl")
OUT = os.path.join(ROOT, "tests", "cases", "ifevalg.jsonl")
VI_COMMIT = "f46a5ac"
IFB_COMMIT = "c94da0204a1552be9e5c206b732e29f7d279f0c7"


def checkout_commit(path, want):
    """The commit a checkout is at; exits unless it is the wanted one."""
    try:
        head = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"],
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sys.exit(f"gen-ifevalg-cases: {path} is not a git checkout (see the "
                 f"top of this script)")
    if not head.startswith(want):
        sys.exit(f"gen-ifevalg-cases: {path} is at {head}, not {want}")
    return head


VI_HEAD = checkout_commit(VI, VI_COMMIT)
IFB_HEAD = checkout_commit(IFB, IFB_COMMIT)
print(f"verifiable_instructions at {VI_HEAD}, IFBench at {IFB_HEAD}",
      file=sys.stderr)
sys.path.insert(0, VI)
warnings.filterwarnings("ignore", category=FutureWarning)

import absl.logging  # noqa: E402
import langdetect  # noqa: E402
import nltk  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nltk_ref  # noqa: E402

from verifiable_instructions import instructions  # noqa: E402
from verifiable_instructions import instructions_registry  # noqa: E402
from verifiable_instructions import instructions_util  # noqa: E402

absl.logging.set_verbosity(absl.logging.FATAL)

# IFBench's evaluation_lib imports "instructions_registry": give it ours.
sys.modules["instructions_registry"] = instructions_registry
sys.path.insert(0, IFB)
import evaluation_lib  # noqa: E402

# ---- Punkt and word_tokenize from punkt_tab (scripts/nltk_ref.py) -----------
SENT, word_tokenize = nltk_ref.SENT, nltk_ref.word_tokenize
instructions_util._get_sentence_tokenizer = lambda: SENT
instructions_util.count_sentences = lambda text: len(SENT.tokenize(text))
nltk.word_tokenize = word_tokenize

# ---- langdetect: seeded; random: refused --------------------------------------
langdetect.DetectorFactory.seed = 0


class RandomUsed(Exception):
    pass


class NoRandom:
    def __getattr__(self, name):
        def refuse(*a, **k):
            raise RandomUsed(name)
        return refuse


instructions.random = NoRandom()
instructions_util.random = NoRandom()

# ---- running the reference ----------------------------------------------------


def build(iid, kwargs):
    """As NeMo-Gym does: None kwargs are {}, None values dropped."""
    inst = instructions_registry.INSTRUCTION_DICT[iid](iid)
    inst.build_description(**{k: v for k, v in (kwargs or {}).items()
                              if v is not None})
    return inst


def check(iid, kwargs, response):
    """(verdict, what it raised or None)."""
    inst = build(iid, kwargs)
    try:
        return bool(inst.check_following(response)), None
    except RandomUsed:
        raise
    except Exception as e:  # noqa: BLE001
        return False, f"{type(e).__name__}: {e}"


def strict_loose(iid, kwargs, response):
    inp = evaluation_lib.InputExample(key=0, instruction_id_list=[iid],
                                      prompt="case", kwargs=[dict(kwargs)])
    p2r = {"case": response}
    s = evaluation_lib.test_instruction_following_strict(inp, p2r)
    inp = evaluation_lib.InputExample(key=0, instruction_id_list=[iid],
                                      prompt="case", kwargs=[dict(kwargs)])
    lo = evaluation_lib.test_instruction_following_loose(inp, p2r)
    return s.follow_instruction_list[0], lo.follow_instruction_list[0]


def reference_on_error_case(c):
    """What the reference does with kwargs verif refuses (stderr only)."""
    try:
        inst = build(c["id"], c.get("kwargs"))
    except RandomUsed as e:
        return f"substitutes a random value (random.{e})"
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    try:
        inst.check_following("probe")
    except Exception as e:  # noqa: BLE001
        return f"builds, check raises {type(e).__name__}: {e}"
    return "accepts it"


# ---- output -----------------------------------------------------------------


def visible(ch):
    """Characters kept literal in the output; the rest are \\u-escaped."""
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


def one_case(c, iid, kwargs, response, where, n):
    o = {"family": "ifevalg", "id": iid, "kwargs": c.get("kwargs", {}),
         "response": response}
    try:
        if c.get("mode") == "loose":
            o["strict"], o["loose"] = strict_loose(iid, kwargs, response)
            n["loose"] += 1
        else:
            o["expect"], raised = check(iid, kwargs, response)
            if raised:
                o["raises"] = raised
                o["reason"] = "the reference raises"
                n["raises"] += 1
            n["expect"] += 1
    except RandomUsed as e:
        sys.exit(f"{where}: the reference used random.{e}; give kwargs it "
                 f"accepts as they are")
    if "note" in c:
        o["note"] = c["note"]
    return o


def main():
    out_lines, defs = [], {}
    n = {"expect": 0, "loose": 0, "error": 0, "raises": 0}
    ids = set()
    with open(IN, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            out_lines.append(line)
            continue
        c = json.loads(line)
        where = f"{IN}:{lineno}"
        if "define" in c:
            defs[c["define"]] = c["responses"]
            continue
        iid, kwargs = c["id"], c.get("kwargs") or {}
        ids.add(iid)
        if "error" in c:
            o = {"family": "ifevalg", "id": iid, "kwargs": c.get("kwargs", {}),
                 "error": c["error"]}
            if "note" in c:
                o["note"] = c["note"]
            print(f"{where}: error case {iid} {json.dumps(kwargs)}: "
                  f"reference {reference_on_error_case(c)}", file=sys.stderr)
            n["error"] += 1
            out_lines.append(dump(o))
            continue
        rs = c.get("responses", [c.get("response")])
        if isinstance(rs, str):
            rs = defs[rs[1:]]
        for r in rs:
            out_lines.append(dump(one_case(c, iid, kwargs, r, where, n)))
    missing = set(instructions_registry.INSTRUCTION_DICT) - ids
    if missing:
        sys.exit(f"gen-ifevalg-cases: no case for {sorted(missing)}")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out_lines) + "\n")
    print(f"wrote {OUT}: {n['expect']} check cases ({n['raises']} where the "
          f"reference raises), {n['loose']} strict/loose cases, "
          f"{n['error']} error cases, {len(ids)} ids", file=sys.stderr)


if __name__ == "__main__":
    main()
