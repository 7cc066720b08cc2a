#!/usr/bin/env python3
"""VerInstruct (or IFEval) JSONL -> OpenRLHF prompt data (JSONL).

    python3 examples/openrlhf/convert.py --input verinstruct.jsonl --output train.jsonl

Each row is {"prompt": [{"role": "user", "content": ...}], "label": "<JSON>"}
for `--input_key prompt --label_key label --apply_chat_template`.  The
label holds the constraints and the plain instruction ({"prompt",
"checkers", "functions"} or {"prompt", "instruction_id_list", "kwargs"}),
which is what `verif serve`'s /get_reward reads.  Standard library only.
"""

import argparse
import json
import sys

KEYS = (("checkers", "functions"), ("instruction_id_list", "kwargs"))


def row(x, where):
    prompt = x.get("prompt")
    if not isinstance(prompt, str):
        raise ValueError("%s: field 'prompt' must be a string" % where)
    for keys in KEYS:
        if keys[0] in x:
            missing = [k for k in keys if k not in x]
            if missing:
                raise ValueError("%s: field '%s' is missing" % (where, missing[0]))
            label = dict(prompt=prompt, **{k: x[k] for k in keys})
            return {"prompt": [{"role": "user", "content": prompt}],
                    "label": json.dumps(label, ensure_ascii=False)}
    raise ValueError("%s: no 'checkers' (VerInstruct) or 'instruction_id_list' (IFEval)" % where)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args(argv)
    n = 0
    with open(a.input, encoding="utf-8") as f, open(a.output, "w", encoding="utf-8") as out:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.write(json.dumps(row(json.loads(line), "%s:%d" % (a.input, lineno)), ensure_ascii=False) + "\n")
                except ValueError as e:
                    sys.exit("convert: %s" % e)
                n += 1
    print("convert: %d rows written to %s" % (n, a.output), file=sys.stderr)


if __name__ == "__main__":
    main()
