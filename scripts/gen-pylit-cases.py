#!/usr/bin/python3
"""gen-pylit-cases.py: the values Python's ast.literal_eval gives for the
literal texts of tests/data/pylit/texts.txt (one per line, written with
Python escapes: each line is itself read with ast.literal_eval as a str),
for tests/unit/test_pylit.c.

    /usr/bin/python3 scripts/gen-pylit-cases.py

writes tests/data/pylit/cases.jsonl: {"text", "value"} where literal_eval
gives a value JSON can hold (tuples as lists); {"text", "error": true}
where it raises or gives what JSON cannot hold (bytes, sets, complex
numbers, non-string keys, lone surrogates, integers past 64 bits); and,
where literal_eval raises but json.loads reads the text (true, false,
null), {"text", "value", "json": true}: verif reads JSON's literals too.
Any CPython 3 does; the cases were written with Debian's 3.11.
"""
import ast
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "tests", "data", "pylit")


def jsonable(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return not (isinstance(v, str) and any(0xD800 <= ord(c) <= 0xDFFF
                                                for c in v))
    if isinstance(v, int):
        return -2**63 <= v < 2**63
    if isinstance(v, float):
        return v == v and abs(v) != float("inf")
    if isinstance(v, (list, tuple)):
        return all(jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and jsonable(k) and jsonable(x)
                   for k, x in v.items())
    return False


def case(text):
    try:
        v = ast.literal_eval(text)
    except Exception:  # noqa: BLE001
        try:
            v = json.loads(text)
        except ValueError:
            return {"text": text, "error": True}
        if not jsonable(v):  # NaN, Infinity
            return {"text": text, "error": True}
        return {"text": text, "value": v, "json": True}
    if not jsonable(v):
        return {"text": text, "error": True}
    return {"text": text, "value": json.loads(json.dumps(v))}


def main():
    with open(os.path.join(DIR, "texts.txt"), encoding="utf-8") as f:
        texts = [ast.literal_eval(l) for l in f.read().split("\n")
                 if l.strip() and not l.startswith("#")]
    with open(os.path.join(DIR, "cases.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(case(t), ensure_ascii=False) + "\n")
    print(f"wrote {len(texts)} cases")


if __name__ == "__main__":
    main()
