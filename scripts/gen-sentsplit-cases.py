#!/usr/bin/python3
"""gen-sentsplit-cases.py: writes tests/data/sentsplit/cases.jsonl, what
IFBench's instructions_util.split_into_sentences returns on many texts, for
tests/unit/test_sentsplit.c.

    /usr/bin/python3 scripts/gen-sentsplit-cases.py IFBENCH_DIR

IFBENCH_DIR is a checkout of allenai/IFBench at commit
c94da0204a1552be9e5c206b732e29f7d279f0c7, outside this repository, e.g.
    git clone https://github.com/allenai/IFBench /tmp/ref-ifbench
    git -C /tmp/ref-ifbench checkout c94da0204a1552be9e5c206b732e29f7d279f0c7
Its instructions_util.py is imported as it is (nltk.download is made a no-op
first: the module calls it on import).  IFEvalG's copy of the function
(verifiable_instructions at f46a5ac) is the same code.

Cases: {"id", "source", "index", "n", "hash", "lhash"} for every IFBench
sample response and IFEval GPT-4 response: the number of sentences and
their tokens_hash (see nltk_ref.py), and in lhash the hash of the sentences
of each of its lines (str.split("\n")) in turn, each line's list followed by
"\x1e"; {"id", "text", "sentences"} for hand-written and random texts.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nltk  # noqa: E402
import nltk_ref  # noqa: E402

ROOT = nltk_ref.ROOT
OUT = os.path.join(ROOT, "tests", "data", "sentsplit", "cases.jsonl")
SOURCES = {
    "ifbench": os.path.join(ROOT, "tests", "data", "ifbench",
                            "sample_output.jsonl"),
    "ifeval": os.path.join(ROOT, "data", "ifeval",
                           "input_response_data_gpt4_20231107_145030.jsonl"),
}
TEXTS = [
    "", " ", "\n", "a", "Hello.", "Hello", "Hi! How are you? Fine.",
    "Mr. Smith and Mrs. Jones met Dr. Who at St. Paul's.",
    "Visit example.com or foo.org. Then go.", "Pi is 3.14 and e is 2.71.",
    "Wait... what?! Really..", "He has a Ph.D. in physics. She has a Ph.D",
    "I am J. Smith. You are K. Lee.", "The U.S.A. He said. U.K. They went.",
    "Acme Inc. He left. Acme Ltd. is big. Jr. ok", "i.e. e.g. a.b.c. d.e.",
    "He said \"stop.\" Then \"go!\" and \"why?\"", "She said “hello.” Then.",
    "literal <prd> and <stop> markers. ok<stop>ok", "<stop>", "<prd>",
    "a.\nb.\n\nc", "Tabs\tand\u00a0nbsp. Next\u2028line.", "x. . . y",
    "Ends with space. ", "!?!?", "?!", "...", "A. B. C.", "1. 2. 3.",
    "Mr.Smith", "Dr. Ph.D. St.", "It is. He is. They are. This works.",
    "A.B. He left. A.B.C. She came.", "Co. We did. Inc. But no.",
    "ÉCOLE. école. Çà. 中文。句子. Done", "emoji 😀. next 😀!", "1.5.2 v2.0.",
]
ALPHABET = [".", "?", "!", "\"", "”", "“", " ", "  ", "\n", "\t", "a", "B",
            "x", "Mr", "Mrs", "St", "Dr", "Ph.D", "Ph.D.", "<prd>", "<stop>",
            ".com", ".org", "1", "9", "A.", "b.", "Inc", "Co", "Jr", "He ",
            "They ", "This\t", "U.S.", "...", "..", "é", "😀", "\u00a0"]


def read_responses(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l)["response"] for l in f if l.strip()]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    nltk.download = lambda *a, **k: True
    sys.path.insert(0, sys.argv[1])
    import instructions_util
    split = instructions_util.split_into_sentences
    cases = []
    for src, path in SOURCES.items():
        for i, text in enumerate(read_responses(path)):
            s = split(text)
            per_line = []
            for line in text.split("\n"):
                per_line += split(line) + ["\x1e"]
            cases.append({"id": f"{src}-{i}", "source": src, "index": i,
                          "n": len(s), "hash": nltk_ref.tokens_hash(s),
                          "lhash": nltk_ref.tokens_hash(per_line)})
    for i, text in enumerate(TEXTS):
        cases.append({"id": f"text-{i}", "text": text,
                      "sentences": split(text)})
    rng = random.Random(7)
    for i in range(2000):
        text = "".join(rng.choice(ALPHABET)
                       for _ in range(rng.randint(1, 30)))
        cases.append({"id": f"random-{i}", "text": text,
                      "sentences": split(text)})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases -> {OUT}", file=sys.stderr)


main()
