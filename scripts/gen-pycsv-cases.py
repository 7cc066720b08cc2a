#!/usr/bin/python3
"""gen-pycsv-cases.py: writes tests/data/pycsv/cases.jsonl, what Python's
csv.reader(io.StringIO(text), delimiter=d) returns (or the csv.Error it
raises) on hand-written and seeded random texts, for tests/unit/test_pycsv.c.

    /usr/bin/python3 scripts/gen-pycsv-cases.py

The reference is the csv module of the Python that runs the script (Debian
12's 3.11, whose _csv.c verif's src/text/pycsv.c follows).
Lines: {"text", "delim", "rows": [[field, ...], ...]} or {"text", "delim",
"error": message}; the texts that test the field size limit are too long to
write out, so they are given as {"build": [prefix, char, count, suffix]}
(the text is prefix + char * count + suffix) with "error", or "lengths"
(each field's length in characters) in place of "rows".
"""
import csv
import io
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "pycsv", "cases.jsonl")
TEXTS = ["", "\n", "a", "a,b", "a,b\n", "a,b\n\nc", "\"a\nb\",c\n", "a\x00b,c",
         "a\rb", "a\r\nb", "\"a\"b,c", "\"a", "a\"b\"", "\"\"\"a\"\"\"", ",",
         "\"", "a,\"", "x\r", "\r\n", "a,b\r\r\n", "\"a\"\"b\" ,c",
         "\"ab\"\rc", "é,ü\n\"ß\"", "a\tb\tc", "\"a\"\t\"b\"", " a , b ",
         "\n\n\n",
         "a\n\"b\nc\nd\"\ne", "\"a\"\"\""]
PIECES = [",", "\t", "\"", "\n", "\r", "a", "b", " ", "\"\"", "é", "\r\n",
          "\x00", "xyz"]


def read(text, delim):
    try:
        return {"rows": list(csv.reader(io.StringIO(text), delimiter=delim))}
    except csv.Error as e:
        return {"error": str(e)}


def main():
    rng = random.Random(5)
    texts = [(t, d) for t in TEXTS for d in (",", "\t")]
    for _ in range(3000):
        t = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 16)))
        texts.append((t, rng.choice((",", "\t"))))
    builds = [["", "x", 131072, ""], ["", "x", 131073, ""],
              ["\"", "é", 131072, "\""], ["\"", "y", 131073, "\""],
              ["a,", "z", 131073, ",b"]]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for t, d in texts:
            o = {"text": t, "delim": d}
            o.update(read(t, d))
            f.write(json.dumps(o) + "\n")
        for b in builds:
            o = {"build": b, "delim": ","}
            r = read(b[0] + b[1] * b[2] + b[3], ",")
            if "rows" in r:  # the long field itself is not written out
                r["rows"] = [[len(x) for x in row] for row in r["rows"]]
                o["lengths"] = r.pop("rows")
            o.update(r)
            f.write(json.dumps(o) + "\n")
    print(f"{len(texts)} cases -> {OUT}", file=sys.stderr)


main()
