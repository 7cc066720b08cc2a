#!/usr/bin/python3
"""gen-syllapy-cases.py: writes tests/data/syllapy/cases.jsonl, syllapy
0.7.2's count(word) for every distinct whitespace-separated word of the
IFBench sample responses and IFEval GPT-4 responses (as they are, and as
words:odd_even_syllables cleans them) plus hand-written edge cases, for
tests/unit/test_lexicon.c.

    /usr/bin/python3 scripts/gen-syllapy-cases.py SYLLAPY_DIR

SYLLAPY_DIR is a checkout of mholtzscher/syllapy at tag v0.7.2 (commit
9b95c13d809a87e9eaba96f6b61e7fc3978acded, the version IFBench's uv.lock
pins), outside this repository; syllapy is not a Debian package, so it is
imported from there (it needs only pkg_resources, from python3-pkg-resources):
    git clone https://github.com/mholtzscher/syllapy /tmp/syllapy
    git -C /tmp/syllapy checkout v0.7.2
Its syllapy/data.csv must equal data/syllapy/data.csv (checked).
Lines: {"words": [...], "counts": [...]} in chunks of 500.
"""
import filecmp
import json
import os
import string
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "syllapy", "cases.jsonl")
SOURCES = [
    os.path.join(ROOT, "tests", "data", "ifbench", "sample_output.jsonl"),
    os.path.join(ROOT, "data", "ifeval",
                 "input_response_data_gpt4_20231107_145030.jsonl"),
]
EDGE = ["", " ", "a", "e", "the", "table", "able", "le", "ble", "apple",
        "self-care", "-care", "self-", "a-b-c", "x--y", "well-\nknown",
        "co-op", "re-enter", "2nd", "x²", "١٢", "Hello!", "  World  ",
        "İstanbul", "naïve", "café", "rhythm", "syzygy", "queue", "yyy",
        "e-e", "tree-", "-", "--", "...", "O'Neill", "don't", "ΣΟΦΙΑ",
        "the-le", "bcd-le", "\tcat\n", "aeiouy", "xyz", "yes", "year"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.path.insert(0, sys.argv[1])
    import syllapy
    assert syllapy.__version__ == "0.7.2", syllapy.__version__
    assert filecmp.cmp(os.path.join(sys.argv[1], "syllapy", "data.csv"),
                       os.path.join(ROOT, "data", "syllapy", "data.csv"),
                       shallow=False)
    words = set(EDGE)
    table = str.maketrans("", "", string.punctuation)
    for path in SOURCES:
        with open(path, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line)["response"]
                words.update(text.split())
                words.update(text.translate(table).lower().split())
    words = sorted(words)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for i in range(0, len(words), 500):
            chunk = words[i:i + 500]
            f.write(json.dumps({"words": chunk,
                                "counts": [syllapy.count(w) for w in chunk]},
                               ensure_ascii=False) + "\n")
    print(f"{len(words)} words -> {OUT}", file=sys.stderr)


main()
