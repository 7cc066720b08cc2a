#!/usr/bin/python3
r"""gen-ifbench-cases.py: fills in the IFBench reference's verdicts for the
hand-written checker cases, and adds seeded random cases.

    /usr/bin/python3 scripts/gen-ifbench-cases.py IFBENCH_DIR SYLLAPY_DIR MODEL_DIR

reads tests/data/ifbench-cases.in.jsonl and writes tests/cases/ifbench.jsonl,
which tests/unit/test_cases.c runs against verif's "ifbench" family.  Every
expectation comes from running the real reference; none is written by hand.

The reference (kept outside the repository):
  IFBENCH_DIR  a checkout of github.com/allenai/IFBench at commit
               c94da0204a1552be9e5c206b732e29f7d279f0c7 (the commit that
               reproduces the shipped eval_results), e.g.
                 git clone https://github.com/allenai/IFBench /tmp/ref-ifbench
                 git -C /tmp/ref-ifbench checkout c94da0204a1552be9e5c206b732e29f7d279f0c7
  SYLLAPY_DIR  a checkout of github.com/mholtzscher/syllapy at v0.7.2
               (9b95c13d; IFBench's uv.lock pins 0.7.2), imported from there
               because syllapy is not a Debian package
  MODEL_DIR    the official nltk_data taggers/averaged_perceptron_tagger_eng/
               JSON files (see data/NOTICE and scripts/nltk_ref.py)
Python: Debian's /usr/bin/python3 (3.11) with python3-nltk 3.8,
python3-emoji 2.2.0 and python3-immutabledict.

What is patched, and why:
  * spacy: instructions.py imports spacy and downloads en_core_web_sm at
    import time, and count:person_names loads the model in build_description
    without using it; a stub module stands in (load returns None).
  * nltk: nltk.download is a no-op (no network); word_tokenize, pos_tag and
    the stop words work offline as scripts/nltk_ref.py describes.
  * random: the reference falls back to random values for missing or
    out-of-range kwargs; any such call is an error here, so no expectation
    depends on chance.  One exception: repeat:repeat_span with n_start = 0,
    which the real data carries (test key 286) and verif reads as index 0;
    its randint(0, len - 2) is made to return its lower bound, 0.

Input, one JSON object a line ('#' lines are comments, copied through):
  {"id", "kwargs", "response", "note"}          -> adds "expect": the
      reference's check_following(response) after build_description(**kwargs)
      (None-valued kwargs dropped, as evaluation_lib does); when it raises,
      "expect": false and "raises": the exception's name
  {..., "mode": "loose"}                         -> adds "strict" and "loose":
      evaluation_lib.test_instruction_following_strict / _loose on a
      one-instruction prompt; where a variant's check raises (the reference's
      run would stop), that variant counts as not followed, as NeMo-Gym's
      IFBench server does, and "raises" names the exception
  {"id", "kwargs", "error": "substring", "note"} -> copied as it is: these
      test verif's own kwarg validation; the reference's behaviour is
      printed to stderr for information.
  {"id", "kwargs", "random": N, "alphabet": [...]} -> N cases with seeded
      random responses drawn from the alphabet's pieces, each with "expect"
      (and "raises") as above.
Every output case carries "family": "ifbench".
"""
import json
import os
import random
import sys
import types
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(HERE)
IN = os.path.join(ROOT, "tests", "data", "ifbench-cases.in.jsonl")
OUT = os.path.join(ROOT, "tests", "cases", "ifbench.jsonl")
COMMIT = "c94da0204a1552be9e5c206b732e29f7d279f0c7"


def setup(ifbench_dir, syllapy_dir, model_dir):
    head = os.path.join(ifbench_dir, ".git", "HEAD")
    if os.path.exists(head):
        import subprocess
        rev = subprocess.run(["git", "-C", ifbench_dir, "rev-parse", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        if rev != COMMIT:
            sys.exit(f"gen-ifbench-cases: {ifbench_dir} is at {rev}, "
                     f"not {COMMIT}")
    import nltk_ref
    nltk_ref.install(model_dir)
    spacy = types.ModuleType("spacy")
    spacy.load = lambda name: None
    spacy.cli = types.ModuleType("spacy.cli")
    spacy.cli.download = lambda name: None
    sys.modules["spacy"] = spacy
    sys.modules["spacy.cli"] = spacy.cli
    sys.path.insert(0, syllapy_dir)
    import syllapy
    assert syllapy.__version__ == "0.7.2", syllapy.__version__
    import emoji
    assert emoji.__version__ == "2.2.0", emoji.__version__
    sys.path.insert(0, ifbench_dir)
    import evaluation_lib
    import instructions
    import instructions_registry
    import instructions_util
    instructions.random = NoRandom()
    instructions_util.random = NoRandom()
    return evaluation_lib, instructions_registry, instructions


class RandomUsed(Exception):
    pass


class NoRandom:
    def __getattr__(self, name):
        def refuse(*a, **k):
            raise RandomUsed(name)
        return refuse


def clean(kwargs):
    return {k: v for k, v in (kwargs or {}).items() if v is not None}


class LowRandom:
    """random.randint(a, b) -> a; nothing else."""

    def randint(self, a, b):
        return a

    def __getattr__(self, name):
        raise RandomUsed(name)


class Ref:
    def __init__(self, evaluation_lib, registry, instructions):
        self.ev = evaluation_lib
        self.reg = registry
        self.instructions = instructions

    def build(self, iid, kwargs):
        inst = self.reg.INSTRUCTION_DICT[iid](iid)
        kw = clean(kwargs)
        if iid == "repeat:repeat_span" and kw.get("n_start") == 0:
            # the one random fallback the real data reaches (test key 286):
            # verif reads n_start = 0 as index 0, i.e. randint's lower bound
            self.instructions.random = LowRandom()
            try:
                inst.build_description(**kw)
            finally:
                self.instructions.random = NoRandom()
            return inst
        inst.build_description(**kw)
        return inst

    def check(self, iid, kwargs, response):
        """(verdict, exception name or None)."""
        inst = self.build(iid, kwargs)
        try:
            return bool(inst.check_following(response)), None
        except RandomUsed:
            raise
        except Exception as e:  # noqa: BLE001
            return False, type(e).__name__

    def strict_loose(self, iid, kwargs, response):
        inp = self.ev.InputExample(key=0, instruction_id_list=[iid],
                                   prompt="case", kwargs=[dict(kwargs)])
        p2r = {"case": response}
        try:
            s = self.ev.test_instruction_following_strict(inp, p2r)
            l = self.ev.test_instruction_following_loose(inp, p2r)
            return s.follow_instruction_list[0], l.follow_instruction_list[0], None
        except RandomUsed:
            raise
        except Exception:  # noqa: BLE001
            return self.variants_rule(iid, kwargs, response)

    def variants_rule(self, iid, kwargs, response):
        """evaluation_lib's strict and loose rules with a raising variant
        counted as not followed (NeMo-Gym's IFBench server)."""
        r = response.split("\n")
        first = "\n".join(r[1:]).strip()
        last = "\n".join(r[:-1]).strip()
        both = "\n".join(r[1:-1]).strip()
        variants = [response, response.replace("*", ""), first, last, both,
                    first.replace("*", ""), last.replace("*", ""),
                    both.replace("*", "")]
        raised, results = None, []
        for v in variants:
            if not v.strip():
                results.append(False)
                continue
            ok, exc = self.check(iid, kwargs, v)
            raised = raised or exc
            results.append(ok)
        return results[0], any(results), raised

    def on_error_case(self, iid, kwargs):
        try:
            inst = self.build(iid, kwargs)
        except RandomUsed as e:
            return f"substitutes a random value (random.{e})"
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"
        try:
            inst.check_following("probe text.")
        except Exception as e:  # noqa: BLE001
            return f"builds, check raises {type(e).__name__}: {e}"
        return "accepts it"


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


def case_out(ref, c, response, where, n):
    iid, kwargs = c["id"], c.get("kwargs") or {}
    o = {"family": "ifbench", "id": iid, "kwargs": c.get("kwargs", {}),
         "response": response}
    try:
        if c.get("mode") == "loose":
            o["strict"], o["loose"], exc = ref.strict_loose(iid, kwargs,
                                                            response)
            n["loose"] += 1
        else:
            o["expect"], exc = ref.check(iid, kwargs, response)
            n["expect"] += 1
    except RandomUsed as e:
        sys.exit(f"{where}: the reference used random.{e}; give kwargs it "
                 f"accepts as they are")
    if exc:
        o["raises"] = exc
        n["raises"] += 1
    return o


def random_responses(c, seed):
    rng = random.Random(seed)
    pieces = c["alphabet"]
    lo, hi = c.get("length", [1, 12])
    for _ in range(c["random"]):
        yield "".join(rng.choice(pieces) for _ in range(rng.randint(lo, hi)))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ref = Ref(*setup(*sys.argv[1:]))
    out_lines = [f"# Generated by scripts/gen-ifbench-cases.py from "
                 f"tests/data/ifbench-cases.in.jsonl;",
                 f"# expectations from allenai/IFBench at {COMMIT}."]
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
        ids.add(c["id"])
        if "error" in c:
            o = {"family": "ifbench", "id": c["id"],
                 "kwargs": c.get("kwargs", {}), "error": c["error"]}
            print(f"{where}: error case {c['id']} "
                  f"{json.dumps(c.get('kwargs'))}: reference "
                  f"{ref.on_error_case(c['id'], c.get('kwargs'))}",
                  file=sys.stderr)
            n["error"] += 1
            if "note" in c:
                o["note"] = c["note"]
            out_lines.append(dump(o))
            continue
        responses = ([c["response"]] if "random" not in c
                     else list(random_responses(c, lineno)))
        for i, response in enumerate(responses):
            o = case_out(ref, c, response, where, n)
            for k in ("reason", "note"):
                if k in c:
                    o[k] = c[k]
            if "random" in c:
                o["note"] = f"random {i + 1}/{c['random']} (seed {lineno})"
            out_lines.append(dump(o))
    missing = set(ref.reg.INSTRUCTION_DICT) - ids
    if missing:
        sys.exit(f"gen-ifbench-cases: no case for {sorted(missing)}")
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out_lines) + "\n")
    print(f"wrote {OUT}: {n['expect']} check cases, {n['loose']} strict/loose "
          f"cases, {n['error']} error cases; {n['raises']} where the "
          f"reference raises; {len(ids)} ids", file=sys.stderr)


if __name__ == "__main__":
    main()
