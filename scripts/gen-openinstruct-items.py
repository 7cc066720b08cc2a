#!/usr/bin/python3
r"""gen-openinstruct-items.py: open-instruct's own reward for hand-written
instruction-following items, so that verif score's open-instruct formats
can be checked against it.

    /usr/bin/python3 scripts/gen-openinstruct-items.py [OPEN_INSTRUCT_DIR]

reads tests/data/openinstruct/items.in.jsonl, one case a line:
  {"verifier": "IFEvalVerifier" | "IFEvalVerifierOld",
   "label": the ground truth exactly as open-instruct's verifier receives it,
   "form": "row" | "bare" | "verl", "responses": [...], "note": ...}
and writes
  tests/data/openinstruct/items.jsonl     the verif items, in the form named:
      row   {"id", "messages", "ground_truth": label, "responses"}
      bare  {"id", <the label's fields>, "responses"} (the label parsed as
            the verifier parses it)
      verl  {"id", "prompt": [chat], "reward_model": {"ground_truth":
            label}, "responses"}
  tests/data/openinstruct/expected.jsonl  {"id", "rewards": [...]}: the
      verifier's score for each response, or null where it raises
tests/unit/test_oi_items.c scores the items with verif's engine and compares.

The reference (not committed): OPEN_INSTRUCT_DIR (default
/tmp/open_instruct_ref), a checkout of github.com/allenai/open-instruct at
e6c3044aa6201c8bfa4573c1b03142af599e730d holding at least
open_instruct/ground_truth_utils.py, open_instruct/if_functions.py and
open_instruct/IFEvalG/ (e.g. git clone --no-checkout; git reset -q
e6c3044aa; git checkout -- those paths).  ground_truth_utils.py imports the
whole training stack, so the definitions the two verifiers use
(VerifierConfig, VerificationResult, VerifierFunction,
remove_thinking_section, IFEvalVerifier, IFEvalVerifierOld) are taken from
it verbatim by their line spans (ast) and run with its own imports of
if_functions and IFEvalG.  IFEvalG runs as in gen-ifevalg-cases.py (Punkt
from data/punkt_tab via scripts/nltk_ref.py, langdetect seed 0, random
refused).  Debian's /usr/bin/python3 (python3-nltk 3.8, python3-langdetect,
python3-absl, python3-immutabledict).
"""
import ast
import json
import logging
import os
import subprocess
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = sys.argv[1] if len(sys.argv) > 1 else "/tmp/open_instruct_ref"
DIR = os.path.join(ROOT, "tests", "data", "openinstruct")
COMMIT = "e6c3044aa6201c8bfa4573c1b03142af599e730d"
TAKEN = ("VerifierConfig", "VerificationResult", "VerifierFunction",
         "remove_thinking_section", "IFEvalVerifier", "IFEvalVerifierOld")

head = subprocess.run(["git", "-C", REF, "rev-parse", "HEAD"],
                      capture_output=True, text=True).stdout.strip()
if head != COMMIT:
    sys.exit(f"gen-openinstruct-items: {REF} is at '{head}', not {COMMIT} "
             f"(see the top of this script)")
print(f"open-instruct at {head}", file=sys.stderr)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nltk_ref  # noqa: E402
import langdetect  # noqa: E402
import nltk  # noqa: E402

# open_instruct as a bare namespace: only the modules the verifiers import.
pkg = types.ModuleType("open_instruct")
pkg.__path__ = [os.path.join(REF, "open_instruct")]
sys.modules["open_instruct"] = pkg
from open_instruct import if_functions  # noqa: E402
from open_instruct.IFEvalG import instructions  # noqa: E402
from open_instruct.IFEvalG import instructions_registry  # noqa: E402
from open_instruct.IFEvalG import instructions_util  # noqa: E402

instructions_util._get_sentence_tokenizer = lambda: nltk_ref.SENT
instructions_util.count_sentences = lambda t: len(nltk_ref.SENT.tokenize(t))
nltk.word_tokenize = nltk_ref.word_tokenize
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


def load_verifiers():
    """The verifier definitions of ground_truth_utils.py, verbatim."""
    path = os.path.join(REF, "open_instruct", "ground_truth_utils.py")
    with open(path, encoding="utf-8") as f:
        src = f.read()
    lines = src.split("\n")
    ns = {"__name__": "ground_truth_utils"}
    exec("import ast, dataclasses, json, logging\n"
         "from abc import ABC, abstractmethod\n"
         "from typing import Any, Literal\n", ns)
    ns.update(logger=logging.getLogger("ground_truth_utils"),
              IF_FUNCTIONS_MAP=if_functions.IF_FUNCTIONS_MAP,
              instructions_registry=instructions_registry)
    for node in ast.parse(src).body:
        if getattr(node, "name", None) in TAKEN:
            start = min([node.lineno] + [d.lineno for d in
                                         getattr(node, "decorator_list", [])])
            exec("\n".join(lines[start - 1:node.end_lineno]), ns)
    return ns


NS = load_verifiers()
logging.disable(logging.CRITICAL)


def score(verifier, label, response):
    """The verifier's score, or None where it raises or would draw a random
    kwarg (verif refuses those kwargs: the item is an error)."""
    v = NS[verifier]()
    lab = json.loads(json.dumps(label))  # IFEvalVerifierOld pops from it
    try:
        return float(v([], response, lab).score)
    except Exception:  # noqa: BLE001 (RandomUsed included)
        return None


def parsed(verifier, label):
    """The label as the verifier parses it (for the bare form)."""
    if verifier == "IFEvalVerifierOld":
        return json.loads(label) if isinstance(label, str) else label
    d = ast.literal_eval(label)[0]
    return json.loads(d) if isinstance(d, str) else d


def item(i, c):
    label, form = c["label"], c["form"]
    chat = [{"role": "user", "content": f"Instruction {i}."}]
    if form == "row":
        return {"id": i, "messages": chat, "ground_truth": label,
                "dataset": "ifeval", "responses": c["responses"]}
    if form == "verl":
        return {"id": i, "prompt": chat,
                "reward_model": {"ground_truth": label},
                "responses": c["responses"]}
    return {"id": i, **parsed(c["verifier"], label),
            "responses": c["responses"]}


def main():
    items, expected = [], []
    with open(os.path.join(DIR, "items.in.jsonl"), encoding="utf-8") as f:
        cases = [json.loads(l) for l in f if l.strip() and l[0] != "#"]
    for i, c in enumerate(cases, 1):
        items.append(item(i, c))
        expected.append({"id": i, "rewards": [score(c["verifier"], c["label"], r)
                                              for r in c["responses"]]})
    for name, rows in (("items.jsonl", items), ("expected.jsonl", expected)):
        with open(os.path.join(DIR, name), "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n"
                            for r in rows))
    n = sum(len(e["rewards"]) for e in expected)
    raised = sum(r is None for e in expected for r in e["rewards"])
    print(f"wrote {len(items)} items, {n} responses ({raised} where the "
          f"reference raises) to {DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()
