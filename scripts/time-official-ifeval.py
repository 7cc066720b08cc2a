#!/usr/bin/env python3
"""time-official-ifeval.py REF_DIR [REPS]: times google-research's official
IFEval evaluator (instruction_following_eval/evaluation_lib.py under REF_DIR)
on the bundled GPT-4 responses, strict then loose, as evaluation_main does
(file I/O not counted), so that `make bench` can report verif's speed as a
ratio measured in the same run.  Needs nltk, langdetect, absl and
immutabledict (Debian: python3-nltk python3-langdetect python3-absl
python3-immutabledict); Punkt is built from data/punkt_tab/english since
NLTK 3.8 has no punkt_tab loader.
"""
import os, sys, time

ref = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
sys.path.insert(0, ref)
from nltk.tokenize import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
d = os.path.join(root, "data", "punkt_tab", "english") + "/"
p = PunktParameters()
p.abbrev_types = set(l for l in open(d + "abbrev_types.txt").read().split("\n") if l)
p.collocations = set(tuple(l.split("\t")) for l in open(d + "collocations.tab").read().split("\n") if l)
p.sent_starters = set(l for l in open(d + "sent_starters.txt").read().split("\n") if l)
for l in open(d + "ortho_context.tab").read().split("\n"):
    if l:
        a, b = l.split("\t")
        p.ortho_context[a] = int(b)
tok = PunktSentenceTokenizer(p)
from instruction_following_eval import evaluation_lib, instructions_util
instructions_util._get_sentence_tokenizer = lambda: tok
wt = NLTKWordTokenizer()
instructions_util.nltk.word_tokenize = lambda text: [t for s in tok.tokenize(text) for t in wt.tokenize(s)]
import logging
logging.disable(logging.CRITICAL)
from absl import logging as absl_logging
absl_logging.set_verbosity(absl_logging.FATAL)

data = os.path.join(root, "data", "ifeval")
inputs = [i for i in evaluation_lib.read_prompt_list(os.path.join(data, "input_data.jsonl"))]
p2r = evaluation_lib.read_prompt_to_response_dict(
    os.path.join(data, "input_response_data_gpt4_20231107_145030.jsonl"))
inputs = [i for i in inputs if i.prompt in p2r]
t0 = time.perf_counter()
for _ in range(reps):
    for f in (evaluation_lib.test_instruction_following_strict,
              evaluation_lib.test_instruction_following_loose):
        [f(inp, p2r) for inp in inputs]
t = time.perf_counter() - t0
n = len(inputs) * reps
print(f"official Python evaluator: {n} prompts in {t:.2f} s = {t / n * 1e3:.3f} ms/prompt "
      f"(strict + loose, one core)")
