#!/usr/bin/env python3
"""VerInstruct (or IFEval) JSONL -> verl rows (JSONL), for `verif serve`.

    python3 examples/verl/convert.py --input verinstruct.jsonl --output train.jsonl

Each output row is what verl's RL dataset reads:
  {"data_source": "verinstruct", "prompt": [{"role": "user", "content": ...}],
   "ability": "instruction_following",
   "reward_model": {"style": "rule", "ground_truth": "<JSON constraints>"},
   "extra_info": {"index": i, "id": ..., "prompt": ...}}
The ground truth is the item's constraints as a JSON string: {"checkers",
"functions"} for VerInstruct, {"instruction_id_list", "kwargs"} for IFEval
lines; extra_info["prompt"] is the instruction the reward function (and the
judge, and the [rule] functions) see.  verl wants parquet: one call of the
`datasets` library does it,
    datasets.Dataset.from_json("train.jsonl").to_parquet("train.parquet")
Standard library only.
"""

import argparse
import json
import sys


def constraints(x, where):
    if "checkers" in x:
        keys = ("checkers", "functions")
    elif "instruction_id_list" in x:
        keys = ("instruction_id_list", "kwargs")
    elif "reward_model" in x:  # already a verl row
        return x["reward_model"]["ground_truth"]
    else:
        raise ValueError("%s: no 'checkers' (VerInstruct) or 'instruction_id_list' (IFEval)" % where)
    missing = [k for k in keys if k not in x]
    if missing:
        raise ValueError("%s: field '%s' is missing" % (where, missing[0]))
    return json.dumps({k: x[k] for k in keys}, ensure_ascii=False)


def row(x, i, where, source):
    prompt = x.get("prompt")
    if isinstance(prompt, list):  # a chat already
        chat = prompt
        prompt = next((m["content"] for m in reversed(chat) if m.get("role") == "user"), "")
    elif isinstance(prompt, str):
        chat = [{"role": "user", "content": prompt}]
    else:
        raise ValueError("%s: field 'prompt' must be a string or a chat" % where)
    return {"data_source": source, "prompt": chat, "ability": "instruction_following",
            "reward_model": {"style": "rule", "ground_truth": constraints(x, where)},
            "extra_info": {"index": i, "id": x.get("id", x.get("key")), "prompt": prompt}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--data-source", default="verinstruct")
    a = ap.parse_args(argv)
    n = 0
    with open(a.input, encoding="utf-8") as f, open(a.output, "w", encoding="utf-8") as out:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = "%s:%d" % (a.input, lineno)
            try:
                x = json.loads(line)
                out.write(json.dumps(row(x, n, where, a.data_source), ensure_ascii=False) + "\n")
            except (ValueError, KeyError, TypeError) as e:
                sys.exit("convert: %s" % (e if where in str(e) else "%s: %s" % (where, e)))
            n += 1
    print("convert: %d rows written to %s" % (n, a.output), file=sys.stderr)


if __name__ == "__main__":
    main()
