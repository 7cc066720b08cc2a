#!/usr/bin/env python3
"""Training data -> verl rows for `verif serve` (verl 1dda039's reward loop).

    python3 examples/verl/convert.py --input verinstruct.jsonl --output train.parquet
    python3 examples/verl/convert.py --input verif_train.parquet --output train.parquet

Reads, one row at a time:
  - VerInstruct JSONL {"id", "prompt", "checkers", "functions"} and IFEval
    JSONL {"key", "prompt", "instruction_id_list", "kwargs"};
  - verl rows, such as VerIF's released parquet (THU-KEG/VerIF,
    examples/data_preprocess/if_prompts.py): {"data_source", "prompt":
    [{"role": "user", "content"}], "ability", "reward_model": {"style",
    "ground_truth": "<JSON checkers, functions>"}, "extra_info": {"split",
    "index"}}.  Their extra_info lacks the instruction the judge and the
    [rule] functions need: it is added from the chat's last user turn.
    VerIF's preprocessing prefixes every function with
    "import sys\\nsys.path.append(<its local_server path>)\\n" to find its
    llm_call module; verif has llm_call built in, so the prefix is removed.
Each output row is what verl's RL dataset reads:
  {"data_source", "prompt": [{"role": "user", "content"}], "ability",
   "reward_model": {"style": "rule", "ground_truth": "<JSON constraints>"},
   "extra_info": {..., "index", "prompt": <the instruction>}}

Parquet (either side) needs pandas with pyarrow, which verl's own
environment has; JSONL needs nothing beyond the standard library.  Every
problem names the file, the row and the field.
"""

import argparse
import json
import re
import sys

VERIF_PATH_PREFIX = re.compile(r"\Aimport sys\r?\nsys\.path\.append\([^\n]*\)\r?\n")


def plain(v):
    """A parquet value as plain Python: numpy arrays and scalars (what
    pandas gives for list and struct columns) become lists and numbers."""
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def constraints(x, where):
    """The ground truth (a JSON string) of a VerInstruct or IFEval line."""
    if "checkers" in x:
        keys = ("checkers", "functions")
    elif "instruction_id_list" in x:
        keys = ("instruction_id_list", "kwargs")
    else:
        raise ValueError("%s: no 'checkers' (VerInstruct), 'instruction_id_list' (IFEval) "
                         "or 'reward_model' (a verl row)" % where)
    missing = [k for k in keys if k not in x]
    if missing:
        raise ValueError("%s: field '%s' is missing" % (where, missing[0]))
    return json.dumps({k: x[k] for k in keys}, ensure_ascii=False)


def user_turn(chat, where):
    turns = [m.get("content") for m in chat if isinstance(m, dict) and m.get("role") == "user"]
    if not turns or not isinstance(turns[-1], str):
        raise ValueError("%s: field 'prompt' has no user message with text content" % where)
    return turns[-1]


def clean_ground_truth(gt, where):
    """A verl ground truth with VerIF's sys.path prefixes removed."""
    try:
        g = json.loads(gt) if isinstance(gt, str) else gt
    except ValueError as e:
        raise ValueError("%s: field 'reward_model.ground_truth' is not JSON: %s" % (where, e))
    if not isinstance(g, dict):
        raise ValueError("%s: field 'reward_model.ground_truth' must hold a JSON object" % where)
    if isinstance(g.get("functions"), list):
        g = dict(g, functions=[VERIF_PATH_PREFIX.sub("", f) if isinstance(f, str) else f
                               for f in g["functions"]])
    return json.dumps(g, ensure_ascii=False)


def from_verl_row(x, i, where):
    """A verl row (VerIF's parquet) with the instruction in extra_info."""
    chat = x.get("prompt")
    if not isinstance(chat, list):
        raise ValueError("%s: field 'prompt' must be a chat (a list of messages)" % where)
    rm = x.get("reward_model")
    if not isinstance(rm, dict) or "ground_truth" not in rm:
        raise ValueError("%s: field 'reward_model.ground_truth' is missing" % where)
    extra = dict(x.get("extra_info") or {})
    extra.setdefault("index", i)
    extra.setdefault("prompt", user_turn(chat, where))
    return dict(x, reward_model=dict(rm, ground_truth=clean_ground_truth(rm["ground_truth"], where)),
                extra_info=extra)


def row(x, i, where, source):
    """One output row from one input row of any accepted shape."""
    if not isinstance(x, dict):
        raise ValueError("%s: a row must be a JSON object" % where)
    if "reward_model" in x:
        return from_verl_row(x, i, where)
    prompt = x.get("prompt")
    if isinstance(prompt, list):  # a chat already
        chat, prompt = prompt, user_turn(prompt, where)
    elif isinstance(prompt, str):
        chat = [{"role": "user", "content": prompt}]
    else:
        raise ValueError("%s: field 'prompt' must be a string or a chat" % where)
    return {"data_source": source, "prompt": chat, "ability": "instruction_following",
            "reward_model": {"style": "rule", "ground_truth": constraints(x, where)},
            "extra_info": {"index": i, "id": x.get("id", x.get("key")), "prompt": prompt}}


def read_rows(path):
    """(where, row) pairs of a JSONL or parquet file."""
    if path.endswith(".parquet"):
        pd = need_pandas("read " + path)
        for n, r in enumerate(pd.read_parquet(path).to_dict("records")):
            yield "%s: row %d" % (path, n), plain(r)
        return
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                where = "%s:%d" % (path, lineno)
                try:
                    yield where, json.loads(line)
                except ValueError as e:
                    raise ValueError("%s: malformed JSON: %s" % (where, e))


def write_rows(path, rows):
    if path.endswith(".parquet"):
        need_pandas("write " + path).DataFrame(rows).to_parquet(path, index=False)
        return
    with open(path, "w", encoding="utf-8") as out:
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")


def need_pandas(what):
    try:
        import pandas
        return pandas
    except ImportError:
        sys.exit("convert: to %s, pandas with pyarrow is needed (verl's environment has "
                 "both); or use .jsonl files" % what)


def convert(path, source):
    out = []
    for where, x in read_rows(path):
        out.append(row(x, len(out), where, source))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", required=True, help=".jsonl or .parquet")
    ap.add_argument("--output", required=True, help=".jsonl or .parquet")
    ap.add_argument("--data-source", default="verinstruct",
                    help="data_source of rows converted from JSONL (verl rows keep theirs)")
    a = ap.parse_args(argv)
    try:
        rows = convert(a.input, a.data_source)
    except (ValueError, KeyError, TypeError, OSError) as e:
        sys.exit("convert: %s" % e)
    write_rows(a.output, rows)
    print("convert: %d rows written to %s" % (len(rows), a.output), file=sys.stderr)


if __name__ == "__main__":
    main()
