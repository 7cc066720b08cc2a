#!/usr/bin/python3
"""official-ifbench.py: runs allenai/IFBench's own evaluator (run_eval.py /
evaluation_lib.py at c94da0204a1552be9e5c206b732e29f7d279f0c7), for the
report test and for `make bench`'s side-by-side timing.

    official-ifbench.py report IFBENCH_DIR SYLLAPY_DIR INPUT RESPONSES OUTDIR
        run_eval.py itself: writes OUTDIR/eval_results_{strict,loose}.jsonl
        and prints its report on stdout
    official-ifbench.py time IFBENCH_DIR SYLLAPY_DIR [REPS]
        times strict then loose over every prompt of
        tests/data/ifbench/IFBench_test_2025-07_8a66c06.jsonl with
        sample_output.jsonl, REPS times (default 3), as run_eval.py loops
        (file I/O not counted), on one core; prints wall and CPU time
        per prompt

IFBENCH_DIR is a checkout of github.com/allenai/IFBench at c94da02 and
SYLLAPY_DIR one of github.com/mholtzscher/syllapy at v0.7.2, both outside
this repository (see scripts/gen-ifbench-cases.py).  Run with Debian's
/usr/bin/python3 (python3-nltk 3.8, python3-emoji 2.2.0, python3-absl,
python3-immutabledict).  spacy is stubbed, NLTK runs offline with verif's
copies of its models (scripts/nltk_ref.py).
"""
import os
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def setup(ifbench_dir, syllapy_dir):
    import nltk_ref
    nltk_ref.install()
    spacy = types.ModuleType("spacy")
    spacy.load = lambda name: None
    spacy.cli = types.ModuleType("spacy.cli")
    spacy.cli.download = lambda name: None
    sys.modules["spacy"] = spacy
    sys.modules["spacy.cli"] = spacy.cli
    sys.path.insert(0, syllapy_dir)
    sys.path.insert(0, ifbench_dir)
    import logging
    logging.disable(logging.CRITICAL)


def report(ifbench_dir, syllapy_dir, inp, resp, outdir):
    setup(ifbench_dir, syllapy_dir)
    from absl import app
    from absl import logging as absl_logging
    import run_eval
    absl_logging.set_verbosity(absl_logging.FATAL)
    sys.argv = ["run_eval", f"--input_data={inp}",
                f"--input_response_data={resp}", f"--output_dir={outdir}"]
    app.run(run_eval.main)


def timing(ifbench_dir, syllapy_dir, reps):
    setup(ifbench_dir, syllapy_dir)
    import evaluation_lib
    data = os.path.join(ROOT, "tests", "data", "ifbench")
    inputs = evaluation_lib.read_prompt_list(
        os.path.join(data, "IFBench_test_2025-07_8a66c06.jsonl"))
    p2r = evaluation_lib.read_prompt_to_response_dict(
        os.path.join(data, "sample_output.jsonl"))
    for inp in inputs:  # warm up: first calls build NLTK's regexes
        evaluation_lib.test_instruction_following_strict(inp, p2r)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        for f in (evaluation_lib.test_instruction_following_strict,
                  evaluation_lib.test_instruction_following_loose):
            [f(inp, p2r) for inp in inputs]
    t = time.perf_counter() - t0
    c = time.process_time() - c0
    n = len(inputs) * reps
    print(f"official Python evaluator: {n} prompts in {t:.2f} s = "
          f"{t / n * 1e3:.3f} ms/prompt, CPU {c / n * 1e3:.3f} ms/prompt "
          f"(strict + loose, one core)")


def main():
    a = sys.argv[1:]
    if len(a) == 6 and a[0] == "report":
        report(*a[1:])
    elif len(a) in (3, 4) and a[0] == "time":
        timing(a[1], a[2], int(a[3]) if len(a) == 4 else 3)
    else:
        sys.exit(__doc__)


main()
