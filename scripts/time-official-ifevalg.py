#!/usr/bin/python3
"""time-official-ifevalg.py VI_DIR WORKLOAD ROWS VERDICTS_OUT MODE [IFBENCH_DIR]

Times the IFEvalG reference (verifiable_instructions under VI_DIR, a
checkout outside the repository, e.g. of f46a5ac) on the first ROWS rows of
a workload written by bench/bench_ifevalg.c, for `make bench` to set verif's
speed against it in the same run.  One core, as the reference runs.
  MODE verify: as NeMo-Gym's instruction_following server checks a row
      (resources_servers/instruction_following/app.py verify(): the row
      parsed, INSTRUCTION_DICT[id](id), null kwargs and null values dropped,
      build_description, check_following, any exception False);
      verdicts "1,0,1".
  MODE eval: IFEval's strict and loose evaluation of the row
      (evaluation_lib.test_instruction_following_strict / _loose of IFBench
      under IFBENCH_DIR, a checkout of c94da02, run with the
      verifiable_instructions registry); verdicts "strict|loose".
Prints "WALL_SECONDS CPU_SECONDS ROWS" and writes each row's verdicts to
VERDICTS_OUT.  Needs Debian's /usr/bin/python3 with python3-nltk,
python3-langdetect, python3-absl, python3-immutabledict; Punkt comes from
scripts/nltk_ref.py (data/punkt_tab), langdetect is seeded as verif's is.
"""
import json
import os
import sys
import time

vi, workload, rows, out, mode = sys.argv[1:6]
rows = int(rows)
sys.path.insert(0, vi)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nltk_ref  # noqa: E402
import langdetect  # noqa: E402
import nltk  # noqa: E402
from absl import logging as absl_logging  # noqa: E402
from verifiable_instructions import instructions_registry  # noqa: E402
from verifiable_instructions import instructions_util  # noqa: E402

instructions_util._get_sentence_tokenizer = lambda: nltk_ref.SENT
instructions_util.count_sentences = lambda t: len(nltk_ref.SENT.tokenize(t))
nltk.word_tokenize = nltk_ref.word_tokenize
langdetect.DetectorFactory.seed = 0
absl_logging.set_verbosity(absl_logging.FATAL)
if mode == "eval":
    sys.modules["instructions_registry"] = instructions_registry
    sys.path.insert(0, sys.argv[6])
    import evaluation_lib  # noqa: E402

with open(workload, encoding="utf-8") as f:
    lines = [next(f) for _ in range(rows)]


def bits(v):
    return ",".join("1" if x else "0" for x in v)


def verify(line):
    row = json.loads(line)
    follow = []
    for iid, kwargs in zip(row["instruction_id_list"], row["kwargs"]):
        try:
            inst = instructions_registry.INSTRUCTION_DICT[iid](iid)
            kwargs = {k: v for k, v in (kwargs or {}).items() if v is not None}
            inst.build_description(**kwargs)
            follow.append(bool(inst.check_following(row["response"])))
        except Exception:  # noqa: BLE001
            follow.append(False)
    return bits(follow)


def evaluate(line):
    row = json.loads(line)
    p2r = {row["prompt"]: row["response"]}
    out = []
    for f in (evaluation_lib.test_instruction_following_strict,
              evaluation_lib.test_instruction_following_loose):
        inp = evaluation_lib.InputExample(
            key=row["key"], instruction_id_list=row["instruction_id_list"],
            prompt=row["prompt"], kwargs=[dict(k) for k in row["kwargs"]])
        out.append(bits(f(inp, p2r).follow_instruction_list))
    return "|".join(out)


check = evaluate if mode == "eval" else verify
t0, c0 = time.perf_counter(), time.process_time()
verdicts = [check(line) for line in lines]
t, c = time.perf_counter() - t0, time.process_time() - c0
with open(out, "w") as f:
    f.write("".join(v + "\n" for v in verdicts))
print(f"{t:.6f} {c:.6f} {len(lines)}")
