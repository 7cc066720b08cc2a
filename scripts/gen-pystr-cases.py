#!/usr/bin/env python3
"""gen-pystr-cases.py: writes tests/data/pystr.jsonl, the expected results of
Python's str methods and re functions that verif's text core mirrors.  Each
line: {"s": text, "strip", "lower", "isupper", "islower", "split", "words"
(len(re.findall(r"\\w+", s))), "ws_runs" (len(re.findall(r"\\s+", s))),
"json" (json.loads accepts s)}.
Run: python3 scripts/gen-pystr-cases.py > tests/data/pystr.jsonl
"""
import json, re

TEXTS = [
    "", " ", "  hello  ", "\t\nhi\r\n", "\u00a0nbsp\u00a0", "\u2003em\u3000",
    "\x1c\x1dsep\x1e\x1f", "\x85next\x85", "\u200bzero-width\u200b",
    "HELLO", "Hello", "hello", "HELLO 123", "123", "ǅungla", "ǄUNGLA",
    "ÀÉÎÕÜ", "àéîõü", "ΣΑΣ", "ΟΔΟΣ ΟΔΟΣ.", "İstanbul", "ß", "ẞ", "Ⅻ", "ⅻ",
    "Ⓐ", "ⓐ", "ª", "ʰ", "Привет МИР", "日本語", "ABC日本", "abc日本",
    "mixed Case", "don't STOP", "e\u0301", "x\u0345", "naïve café",
    "tab\tsep\tvalues", "a  b   c", "line1\nline2\n\nline4", "🙂 emoji 🙂",
    "under_score word-dash", "١٢٣ arabic digits", "٣٫١٤", "x²", "½ half",
    "ﬁ ligature", "Ǳ", "ǲ", "ǳ", "Σ", "aΣ", "aΣb", "aΣ.", "a'Σ", "ΑΣ'",
    "true", "null", "NaN", "-Infinity", "Infinity", "1", "-0", "01", "1.",
    "1.5e3", "1e", "-", "\"str\"", "\"\\u00e9\"", "\"\\ud800\"", "\"a\tb\"",
    "\"bad \\x\"", "[1, 2, ]", "[1, 2]", "{\"a\": 1,}", "{\"a\": 1}",
    "{'a': 1}", "{\"a\" 1}", "[[[[]]]]", "[", "]", "{\"a\":{\"b\":[1,{}]}}",
    "\ufeff{}", " {} ", "{} {}", "{}\u00a0", "[1,\n2]", "\"\x01\"",
    "{\"a\": NaN, \"b\": -Infinity}", "[-]", "[1e5, -1.25E-3, 0.5]",
    "[00]", "[.5]", "[+1]", "\"\\/\"", "\"\\u12\"", "[true, false, null]",
    "1" * 4300, "1" * 4301, "-" + "1" * 4300, "1" * 5000 + ".5",
    "[" + "1" * 4301 + "]", "1" * 4301 + "e1",
    "quote \" and back\\slash \x00\x01\x7f\u00e9\U0001F642 tab\t end",
    "\u2028\u2029\ud7ff\ue000\uffff", "long plain ascii run " * 20,
]

out = []
for s in TEXTS:
    try:
        json.loads(s)
        ok = True
    except ValueError:
        ok = False
    out.append({
        "s": s, "strip": s.strip(), "lower": s.lower(),
        "isupper": s.isupper(), "islower": s.islower(), "split": s.split(),
        "words": len(re.findall(r"\w+", s)),
        "ws_runs": len(re.findall(r"\s+", s)), "json": ok,
        "dumps": json.dumps(s),
    })
for o in out:
    print(json.dumps(o, ensure_ascii=False))
