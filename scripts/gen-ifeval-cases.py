#!/usr/bin/python3
r"""gen-ifeval-cases.py: fills in the IFEval reference's verdicts for the
hand-written checker cases.

    /usr/bin/python3 scripts/gen-ifeval-cases.py [REF_DIR]

reads tests/data/ifeval-cases.in.jsonl and writes tests/cases/ifeval.jsonl,
which tests/unit/test_cases.c runs against verif.  Every expectation comes
from running the real Python reference; none is written by hand.

Input, one JSON object a line ('#' lines are comments, copied through):
  {"id", "kwargs", "response", "note"}          -> adds "expect": the
      reference's check_following(response) after build_description(**kwargs)
  {..., "mode": "loose"}                         -> adds "strict" and "loose":
      evaluation_lib.test_instruction_following_strict / _loose on a
      one-instruction prompt (response.strip() must be non-empty; the eight
      loose variants)
  {"id", "kwargs", "error": "substring", "note"} -> copied as it is: these
      test verif's own kwarg validation (the reference either raises or
      silently substitutes a random value there); the reference's behaviour
      is printed to stderr for information.

The reference (not committed; it stays outside the repository):
  google-research/google-research, instruction_following_eval/
  {instructions.py, instructions_util.py, instructions_registry.py,
  evaluation_lib.py}, fetched verbatim into
  REF_DIR/instruction_following_eval/ (default REF_DIR: /tmp/ifeval_ref),
  plus an empty __init__.py there.  The cases were generated with
  instructions.py and instructions_util.py at commit
  83282e4ec6e140949e0f51d04e279be7949409ff (52,878 and 19,532 characters),
  instructions_registry.py at 1d49f2c0d5506a6e11115726164d42f6b7b7b95a and
  evaluation_lib.py at 4c4299485319ed72ef782020c81784be5468924e; e.g.
    d=/tmp/ifeval_ref/instruction_following_eval; mkdir -p $d; touch $d/__init__.py
    u=https://raw.githubusercontent.com/google-research/google-research
    for f in 83282e4ec6e140949e0f51d04e279be7949409ff/instructions \
             83282e4ec6e140949e0f51d04e279be7949409ff/instructions_util \
             1d49f2c0d5506a6e11115726164d42f6b7b7b95a/instructions_registry \
             4c4299485319ed72ef782020c81784be5468924e/evaluation_lib
    do curl -fsSL -o $d/${f#*/}.py $u/${f%%/*}/instruction_following_eval/${f#*/}.py
    done
  (or page through the files with any copy of the repository).  The newest
  instructions.py (3f357bde..., 2025) no longer substitutes a random letter
  for a keywords:letter_frequency letter outside a-z; no case here depends
  on that, and every other check is the same there.

Python: Debian's /usr/bin/python3 with python3-nltk (3.8), python3-langdetect
(1.0.9), python3-absl and python3-immutabledict (apt-get install -y
python3-absl python3-immutabledict; absl.logging and immutabledict are
stubbed below when missing).

What is patched, and why:
  * Punkt: no punkt model is installed.  The English tokenizer is built from
    data/punkt_tab/english (the punkt_tab files NLTK >= 3.8.2 loads), with
    NLTK >= 3.8.2's candidate selection (_match_potential_end_contexts, as in
    scripts/gen-punkt-cases.py); instructions_util.count_sentences counts its
    sentences and nltk.word_tokenize is NLTKWordTokenizer over each of them,
    which is what word_tokenize(text) does in NLTK 3.8.2+/3.9.
  * langdetect: DetectorFactory.seed = 0, so detect() is deterministic
    (verif's port is seeded at 0 too).
  * random: the reference falls back to random values for missing or
    out-of-range kwargs; the generator makes any such call an error, so no
    expectation depends on chance.
"""
import json
import os
import sys
import types
import unicodedata
import warnings
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ifeval_ref"
IN = os.path.join(ROOT, "tests", "data", "ifeval-cases.in.jsonl")
OUT = os.path.join(ROOT, "tests", "cases", "ifeval.jsonl")
PUNKT = os.path.join(ROOT, "data", "punkt_tab", "english")

if not os.path.isfile(os.path.join(REF, "instruction_following_eval",
                                   "instructions.py")):
    sys.exit(f"gen-ifeval-cases: no reference at {REF} (see the top of "
             f"this script for how to fetch it)")
sys.path.insert(0, REF)

warnings.filterwarnings("ignore", category=FutureWarning)  # "[[:alpha:]]"

# ---- stubs for the reference's light dependencies, where not installed ----
try:
    import absl.logging  # noqa: F401
except ImportError:
    absl = types.ModuleType("absl")
    absl.logging = types.ModuleType("absl.logging")
    absl.logging.error = lambda *a, **k: None
    sys.modules["absl"] = absl
    sys.modules["absl.logging"] = absl.logging
try:
    import immutabledict  # noqa: F401
except ImportError:
    mod = types.ModuleType("immutabledict")
    mod.immutabledict = dict
    sys.modules["immutabledict"] = mod

import absl.logging  # noqa: E402
import langdetect  # noqa: E402
import nltk  # noqa: E402
from nltk.tokenize.destructive import NLTKWordTokenizer  # noqa: E402
from nltk.tokenize.punkt import (PunktParameters,  # noqa: E402
                                 PunktSentenceTokenizer)

from instruction_following_eval import evaluation_lib  # noqa: E402
from instruction_following_eval import instructions  # noqa: E402
from instruction_following_eval import instructions_registry  # noqa: E402
from instruction_following_eval import instructions_util  # noqa: E402

if hasattr(absl.logging, "set_verbosity"):
    absl.logging.set_verbosity(absl.logging.FATAL)

# ---- Punkt from punkt_tab ---------------------------------------------------


def punkt_lines(name):
    with open(os.path.join(PUNKT, name), encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if l]


def punkt_params():
    p = PunktParameters()
    p.abbrev_types = set(punkt_lines("abbrev_types.txt"))
    p.collocations = set(tuple(l.split("\t"))
                         for l in punkt_lines("collocations.tab"))
    p.sent_starters = set(punkt_lines("sent_starters.txt"))
    ortho = defaultdict(int)
    for l in punkt_lines("ortho_context.tab"):
        typ, val = l.split("\t")
        ortho[typ] = int(val)
    p.ortho_context = ortho
    return p


class NewerPunkt(PunktSentenceTokenizer):
    """NLTK >= 3.8.2's _match_potential_end_contexts (3.8 has an older one)."""

    def _match_potential_end_contexts(self, text):
        found = list(self._lang_vars.period_context_re().finditer(text))
        kept, before, limit = [], {}, 0
        for m in reversed(found):
            if kept and m.end() > limit:
                continue
            parts = text[: m.start()].rsplit(maxsplit=1)
            limit = len(parts[0]) if len(parts) == 2 else 0
            before[m] = parts[-1] if parts else ""
            kept.append(m)
        kept.reverse()
        return [(m, before[m] + m.group() + m.group("after_tok"))
                for m in kept]


SENT = NewerPunkt(punkt_params())
WORD = NLTKWordTokenizer()


def word_tokenize(text, language="english", preserve_line=False):
    sents = [text] if preserve_line else SENT.tokenize(text)
    return [t for s in sents for t in WORD.tokenize(s)]


instructions_util._get_sentence_tokenizer = lambda: SENT
instructions_util.count_sentences = lambda text: len(SENT.tokenize(text))
nltk.word_tokenize = word_tokenize
instructions_util.nltk.word_tokenize = word_tokenize

# ---- langdetect: seeded -----------------------------------------------------
langdetect.DetectorFactory.seed = 0

# ---- random: any use is an error ---------------------------------------------


class NoRandom:
    def __getattr__(self, name):
        def refuse(*a, **k):
            raise RandomUsed(name)
        return refuse


class RandomUsed(Exception):
    pass


instructions.random = NoRandom()
instructions_util.random = NoRandom()

# ---- running the reference ---------------------------------------------------


def build(iid, kwargs):
    inst = instructions_registry.INSTRUCTION_DICT[iid](iid)
    inst.build_description(**kwargs)
    return inst


def check(iid, kwargs, response):
    return bool(build(iid, kwargs).check_following(response))


def strict_loose(iid, kwargs, response):
    inp = evaluation_lib.InputExample(key=0, instruction_id_list=[iid],
                                      prompt="case", kwargs=[kwargs])
    p2r = {"case": response}
    s = evaluation_lib.test_instruction_following_strict(inp, p2r)
    l = evaluation_lib.test_instruction_following_loose(inp, p2r)
    return s.follow_instruction_list[0], l.follow_instruction_list[0]


def reference_on_error_case(c):
    """What the reference does with a kwarg set verif refuses (stderr only)."""
    try:
        inst = build(c["id"], c.get("kwargs") or {})
    except RandomUsed as e:
        return f"substitutes a random value (random.{e})"
    except KeyError as e:
        return f"KeyError {e}"
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    try:
        inst.check_following("probe")
    except Exception as e:  # noqa: BLE001
        return f"builds, check raises {type(e).__name__}: {e}"
    return "accepts it"


# ---- output ----------------------------------------------------------------


def visible(ch):
    """Characters kept literal in the output; the rest are \\u-escaped so
    that odd spaces and invisible characters can be seen in a diff."""
    if ch == " ":
        return True
    cat = unicodedata.category(ch)
    return not (ch.isspace() or cat[0] in "CZ" or cat in ("Mn", "Me"))


def dump(obj):
    text = json.dumps(obj, ensure_ascii=False)
    out = []
    for ch in text:
        if visible(ch) or ch in "\n":
            out.append(ch)
        elif ord(ch) > 0xFFFF:
            v = ord(ch) - 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (v >> 10),
                                           0xDC00 + (v & 0x3FF)))
        else:
            out.append("\\u%04x" % ord(ch))
    return "".join(out)


def main():
    out_lines = []
    n = {"expect": 0, "loose": 0, "error": 0}
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
        iid, kwargs = c["id"], c.get("kwargs") or {}
        o = {"id": iid, "kwargs": c.get("kwargs", {})}
        if "error" in c:
            o["error"] = c["error"]
            print(f"{where}: error case {iid} {json.dumps(kwargs)}: "
                  f"reference {reference_on_error_case(c)}", file=sys.stderr)
            n["error"] += 1
        else:
            o["response"] = c["response"]
            try:
                if c.get("mode") == "loose":
                    o["strict"], o["loose"] = strict_loose(iid, kwargs,
                                                           c["response"])
                    n["loose"] += 1
                else:
                    o["expect"] = check(iid, kwargs, c["response"])
                    n["expect"] += 1
            except RandomUsed as e:
                sys.exit(f"{where}: the reference used random.{e}; give "
                         f"kwargs it accepts as they are")
        for k in ("reason", "note"):
            if k in c:
                o[k] = c[k]
        out_lines.append(dump(o))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out_lines) + "\n")
    print(f"wrote {OUT}: {n['expect']} check cases, {n['loose']} strict/loose "
          f"cases, {n['error']} error cases", file=sys.stderr)


if __name__ == "__main__":
    main()
