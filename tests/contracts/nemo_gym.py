"""nemo_gym.py: NeMo-Gym's resources-server calls replayed (NeMo-Gym 07d6b0d).

- responses_api_agents/simple_agent/app.py:280-286 posts the row to
  /seed_session first (and raises for a non-200), :334-344 posts the row
  with the model's response to /verify, :352 validates the answer as a
  verify response (reward a float, the request's fields kept);
  :357-364 proxies /aggregate_metrics;
- resources_servers/instruction_following/app.py:44-62 migrates top-level
  fields into verifier_metadata, :117-122 takes output[-1].content[0].text,
  :133-155 gives each instruction its own verdict (an unknown id or a bad
  kwarg: False for that entry), :158-163 grades "binary" (all; empty: 1.0)
  or "fraction" (share; empty: 0.0), :165-170 answers the request's fields
  plus reward, follow_all_instructions, follow_instruction_list and the
  verifier_metadata;
- nemo_gym/rollout_reverification.py:501-504 reads GET /reverify_mode as
  ReverifyMode(json);
- nemo_gym/rollout_correlation.py:93-114 strips /ng-rollout/<id> from paths;
- nemo_gym/reward_profile.py compute_aggregate_metrics: the answers in
  tests/data/nemo_gym/aggregate_cases.jsonl were computed by it.

The rows: tests/data/nemo_gym/*_example_rollouts.jsonl, with the rewards
NeMo-Gym's own servers gave.  Once the family a server's rows need is in
verif's registry (`verif check --list`: "ifevalg" for instruction_following,
"ifbench" for ifbench), every entry and the reward must equal NeMo's;
before, an entry whose id verif does not know is a named skip.
"""
import json
import math
import os
import subprocess

from lib import ROOT, Suite, call

t = Suite("nemo_gym")
DATA = os.path.join(ROOT, "tests", "data", "nemo_gym")
RECORDED = ("reward", "follow_all_instructions", "follow_instruction_list", "reward_loose",
            "follow_all_instructions_loose", "follow_instruction_list_loose")


def rows(name):
    return [json.loads(l) for l in open(os.path.join(DATA, name)) if l.strip()]


def verify(body, path="/verify"):
    """simple_agent's /seed_session then /verify, read as NeMo reads them."""
    st, js, _ = call("POST", path.replace("/verify", "/seed_session"), body)
    if st != 200 or js != {}:
        return None, "seed_session: %d %s" % (st, js)
    st, js, text = call("POST", path, body)
    if st != 200:
        return None, "verify: %d %s" % (st, text[:300])
    ok = (isinstance(js.get("reward"), float) or js.get("reward") in (0, 1)) and \
        "response" in js and "responses_create_params" in js
    return (js if ok else None), "not a verify response: %s" % list(js)


# ---- the 10 rollouts NeMo-Gym recorded ---------------------------------------
listing = subprocess.run([os.environ.get("VERIF_BIN", os.path.join(ROOT, "build", "verif")), "check",
                          "--list"], capture_output=True, text=True).stdout
families = {l.split()[1] for l in listing.splitlines() if l.startswith("family ")}
t.check("ifeval" in families, "verif check --list names its families: %s" % sorted(families))
for file, family in (("instruction_following_example_rollouts.jsonl", "ifevalg"),
                     ("ifbench_example_rollouts.jsonl", "ifbench")):
    for n, row in enumerate(rows(file)):
        name = "%s row %d" % (file.split("_example")[0], n)
        body = {k: v for k, v in row.items() if k not in RECORDED}
        js, why = verify(body)
        if not t.check(js is not None, "%s: %s" % (name, why)):
            continue
        pending = {e["index"] for e in js.get("verif_errors", [])
                   if "unknown instruction id" in e.get("error", "")}
        ids = row["instruction_id_list"]
        for i, (got, want) in enumerate(zip(js["follow_instruction_list"],
                                            row["follow_instruction_list"])):
            if i in pending and family not in families:
                t.skip("%s: %s (family %s not in verif's registry yet)" % (name, ids[i], family))
            else:
                t.check(got == want, "%s: %s: %s, NeMo recorded %s" % (name, ids[i], got, want))
        if pending and family not in families:
            t.skip("%s: the reward (%d of %d ids wait for family %s)" % (name, len(pending), len(ids),
                                                                       family))
        else:
            t.check(js["reward"] == row["reward"],
                    "%s: reward %s, NeMo recorded %s" % (name, js["reward"], row["reward"]))
        if family == "ifbench":  # IFBenchVerifyResponse's loose fields (ifbench/app.py:64-73)
            loose = js.get("follow_instruction_list_loose")
            t.check(isinstance(loose, list) and len(loose) == len(ids) and
                    all(l or not s for l, s in zip(loose, js["follow_instruction_list"])) and
                    isinstance(js.get("reward_loose"), float) and
                    js.get("grading_mode") == row["grading_mode"] and "verifier_metadata" not in js,
                    "%s: the ifbench answer: %s" % (name, {k: v for k, v in js.items() if k != "response"}))

# ---- the current format: verifier_metadata, grading modes, echo ----------------
resp = {"id": "r", "output": [{"type": "reasoning", "summary": []},
                              {"type": "message", "role": "assistant",
                               "content": [{"type": "output_text", "text": "hello world",
                                            "annotations": []}]}]}
meta = {"instruction_id_list": ["change_case:english_lowercase", "punctuation:no_comma",
                                "detectable_format:title"],
        "kwargs": [None, {"unused": None}, {}], "prompt": "Say hello."}
base = {"id": 4, "responses_create_params": {"input": [{"role": "user", "content": "Say hello."}]},
        "verifier_metadata": meta, "response": resp, "_ng_task_index": 4}
js, why = verify(base, path="/ng-rollout/run-1.r_4/verify")
t.check(js is not None and js["follow_instruction_list"] == [True, True, False] and
        js["reward"] == 0.0 and js["follow_all_instructions"] is False and
        js["verifier_metadata"] == meta and js["_ng_task_index"] == 4 and js["response"] == resp,
        "binary, under the rollout prefix: %s" % (js or why))
js, why = verify(dict(base, verifier_metadata=dict(meta, grading_mode="fraction")))
t.check(js is not None and abs(js["reward"] - 2 / 3) < 1e-12, "fraction: %s" % (js or why))
# legacy top level, verifier_metadata winning where both give a field
legacy = {"responses_create_params": {"input": []}, "response": resp, "prompt": "p",
          "instruction_id_list": ["detectable_format:title"], "kwargs": [{}],
          "verifier_metadata": {"instruction_id_list": ["punctuation:no_comma"]}}
js, why = verify(legacy)
t.check(js is not None and js["reward"] == 1.0 and
        js["verifier_metadata"] == {"instruction_id_list": ["punctuation:no_comma"], "prompt": "p",
                                    "kwargs": [{}]},
        "migration: %s" % (js or why))
# per-entry failure: an unknown id and a bad kwarg are False for their entry only
bad = dict(base, verifier_metadata=dict(meta, instruction_id_list=[
    "change_case:english_lowercase", "no:such_id", "length_constraints:number_words"],
    kwargs=[{}, {}, {"num_words": 2, "relation": "sideways"}], grading_mode="fraction"))
js, why = verify(bad)
t.check(js is not None and js["follow_instruction_list"] == [True, False, False] and
        abs(js["reward"] - 1 / 3) < 1e-12 and
        [e["index"] for e in js.get("verif_errors", [])] == [1, 2],
        "per-entry errors: %s" % (js or why))
for mode, want in (("binary", 1.0), ("fraction", 0.0)):
    js, why = verify(dict(base, verifier_metadata=dict(meta, instruction_id_list=[], kwargs=[],
                                                       grading_mode=mode)))
    t.check(js is not None and js["reward"] == want and js["follow_all_instructions"] is True,
            "empty list, %s: %s" % (mode, js or why))
st, js, _ = call("POST", "/verify", dict(base, verifier_metadata=dict(meta, grading_mode="best")))
t.check(st == 400 and "grading_mode" in js["error"], "bad grading_mode: %d %s" % (st, js))
st, js, _ = call("POST", "/verify", {"responses_create_params": {}, "response": resp,
                                     "verifier_metadata": {"prompt": "p", "kwargs": []}})
t.check(st == 400 and "instruction_id_list" in js["error"], "missing field: %d %s" % (st, js))

# ---- ifbench rows: loose variants, a blank response, the default grading ------------
if "ifbench" in families:
    ifb = {"id": 9, "responses_create_params": {"input": []}, "prompt": "p",
           "instruction_id_list": ["format:no_whitespace", "format:no_whitespace"],
           "kwargs": [{"N": None}, None]}

    def said(text):
        return {"id": "r", "output": [{"type": "message", "content": [{"type": "output_text",
                                                                       "text": text}]}]}
    # ifbench/app.py:77-93: the response without its first line is a loose variant
    js, why = verify(dict(ifb, response=said("A title line\nnowhitespacehere")))
    t.check(js is not None and js["follow_instruction_list"] == [False, False] and
            js["follow_instruction_list_loose"] == [True, True] and js["reward"] == 0.0 and
            js["reward_loose"] == 1.0 and js["grading_mode"] == "fraction",
            "ifbench loose variant: %s" % (js or why))
    # ifbench/app.py:124-127: a blank response fails every entry, strict and loose
    js, why = verify(dict(ifb, response=said(" \n\t "), grading_mode="binary"))
    t.check(js is not None and js["follow_instruction_list_loose"] == [False, False] and
            js["reward"] == 0.0 and js["reward_loose"] == 0.0 and "verif_errors" not in js,
            "ifbench blank response: %s" % (js or why))
    js, why = verify(dict(ifb, response=said("nowhitespace"), grading_mode="binary"))
    t.check(js is not None and js["reward"] == 1.0 and js["follow_all_instructions_loose"] is True,
            "ifbench binary: %s" % (js or why))
else:
    t.skip("ifbench rows' loose variants (family ifbench not in verif's registry yet)")

# ---- GET /reverify_mode, as rollout_reverification reads it ----------------------
st, js, _ = call("GET", "/reverify_mode")
t.check(st == 200 and js in ("stateless", "unsupported", "unknown") and js == "stateless",
        "reverify_mode: %d %r" % (st, js))

# ---- /aggregate_metrics against NeMo's own answers ---------------------------------


def close(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], path + "." + k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, path) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


for case in rows("aggregate_cases.jsonl"):
    st, js, text = call("POST", "/aggregate_metrics", case["request"])
    t.check(st == 200 and close(js, case["answer"]),
            "aggregate_metrics, %s: %d\n got  %s\n want %s" % (case["note"], st, js, case["answer"]))

t.done()
