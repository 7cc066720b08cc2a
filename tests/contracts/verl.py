"""verl.py: verl's reward calls replayed against `verif serve`.

- verl 1dda039's reward loop: verl/trainer/ppo/reward.py:84-86 wraps the
  custom function with its reward_kwargs (functools.partial);
  verl/experimental/reward_loop/reward_manager/naive.py:51-52 adds
  num_turns and rollout_reward_scores to extra_info, :58-64 passes
  reward_router_address and reward_model_tokenizer when verl hosts a reward
  model, :66-82 awaits a coroutine function or runs a plain one in an
  executor, and :89-96 reads a dict's "score" (the rest is
  reward_extra_info) or the number itself.
- verl v0.7.0's batch manager: verl/workers/reward_manager/batch.py:70-76
  calls compute_score(data_sources=, solution_strs=, ground_truths=,
  extra_infos=, **reward_kwargs) and :100-106 reads each score likewise.
- VerIF's released parquet rows (THU-KEG/VerIF
  examples/data_preprocess/if_prompts.py, process_fn) through
  examples/verl/convert.py.
"""
import asyncio
import functools
import inspect
import json
import os
import sys

from lib import BAD, GOOD, PROMPT, Suite, label, load_path, score

t = Suite("verl")
verl = load_path("python/verif_client/verl.py", "custom_module")  # verl's load_extern_object
convert = load_path("examples/verl/convert.py", "convert")
from verif_client import VerifError  # noqa: E402


# ---- verl's own glue, as in verl/trainer/ppo/reward.py:33-47,84-86 ------------
def _call_with_kwargs(raw_fn, extra_kwargs, *args, **kwargs):
    return raw_fn(*args, **{**kwargs, **extra_kwargs})


async def _call_with_kwargs_async(raw_fn, extra_kwargs, *args, **kwargs):
    return await raw_fn(*args, **{**kwargs, **extra_kwargs})


def custom_reward_fn(name, reward_kwargs):
    raw = getattr(verl, name)
    if not inspect.iscoroutinefunction(raw):
        return functools.partial(_call_with_kwargs, raw, reward_kwargs)
    return functools.partial(_call_with_kwargs_async, raw, reward_kwargs)


async def naive_run_single(compute_score, row, response, router=None):
    """NaiveRewardManager.run_single (naive.py:34-98), without the tensors."""
    loop = asyncio.get_running_loop()
    extra_info = dict(row.get("extra_info", {}))
    extra_info["num_turns"] = None
    extra_info["rollout_reward_scores"] = {}
    extra = {"reward_router_address": router, "reward_model_tokenizer": object()} \
        if router is not None else {}
    kw = dict(data_source=row["data_source"], solution_str=response,
              ground_truth=row["reward_model"]["ground_truth"], extra_info=extra_info, **extra)
    if inspect.iscoroutinefunction(compute_score):
        result = await compute_score(**kw)
    else:
        result = await loop.run_in_executor(None, lambda: compute_score(**kw))
    if isinstance(result, dict):
        return result["score"], {k: v for k, v in result.items()}
    return result, {"acc": result}


def verl_row(gt, prompt=PROMPT, extra=None, source="verinstruct"):
    return {"data_source": source, "prompt": [{"role": "user", "content": prompt}],
            "reward_model": {"style": "rule", "ground_truth": gt},
            "extra_info": dict(extra if extra is not None else {"index": 0, "prompt": prompt})}


# ---- the expected rewards: verif's records of the same items -------------------
cases = [(k, r) for k in ("verinstruct", "ifeval") for r in (GOOD, BAD)]
want = [rec["reward"] for rec in score(
    [dict(json.loads(label(k)), prompt=PROMPT, response=r) for k, r in cases])]
t.check(want == [1.0, 0.0, 1.0, 0.0], "fixture rewards %s" % want)

# ---- the reward loop, async and sync --------------------------------------------
for name in ("compute_score_async", "compute_score"):
    fn = custom_reward_fn(name, {})
    t.check(inspect.iscoroutinefunction(fn) == (name == "compute_score_async"),
            "%s: verl sees it as %s" % (name, "sync" if name == "compute_score" else "async"))

    async def run_all():
        return await asyncio.gather(*[naive_run_single(fn, verl_row(label(k)), r) for k, r in cases])

    got = asyncio.run(run_all())
    t.check([g[0] for g in got] == want, "%s rewards %s, want %s" % (name, got, want))

# reward_kwargs return_dict: the dict is read for "score" and logged whole
fn = custom_reward_fn("compute_score_async", {"return_dict": True})
s, info = asyncio.run(naive_run_single(fn, verl_row(label("ifeval")), BAD))
t.check(s == 0.0 and set(info) == {"score", "hard", "soft", "verif_error"} and info["hard"] == 0.0,
        "return_dict: %s %s" % (s, info))

# the prompt from the label when extra_info has none
fn = custom_reward_fn("compute_score", {})
s, _ = asyncio.run(naive_run_single(fn, verl_row(label("verinstruct", with_prompt=True),
                                                   extra={"index": 3}), GOOD))
t.check(s == 1.0, "prompt from the ground truth: %s" % s)

# neither: refused with a clear error, never scored against ""
try:
    asyncio.run(naive_run_single(fn, verl_row(label("verinstruct"), extra={"split": "train",
                                                                          "index": 0}), GOOD))
    t.check(False, "a row without a prompt was scored")
except ValueError as e:
    t.check("extra_info['prompt']" in str(e) and "convert.py" in str(e) and "split" in str(e),
            "refusal names the fix: %s" % e)

# ---- VerIF's released parquet rows, converted ------------------------------------
class NumpyLike(list):
    """What pandas gives for a list column: something with tolist()."""

    def tolist(self):
        return list(self)


fn_prefixed = "import sys\nsys.path.append('/opt/VerIF/verl/utils/reward_score/local_server')\n" + json.loads(
    label("verinstruct"))["functions"][0]
verif_row = {  # if_prompts.py process_fn: data_source, prompt, ability, reward_model, extra_info
    "data_source": "crab-verif",
    "prompt": NumpyLike([{"role": "user", "content": PROMPT}]),
    "ability": "if",
    "reward_model": {"style": "rm", "ground_truth": json.dumps({
        "checkers": ["[rule] Length: at most 5 words"], "functions": [fn_prefixed]})},
    "extra_info": {"split": "train", "index": 7}}
row = convert.row(convert.plain(verif_row), 0, "verif.parquet: row 0", "verinstruct")
gt = json.loads(row["reward_model"]["ground_truth"])
t.check(row["extra_info"] == {"split": "train", "index": 7, "prompt": PROMPT} and
        row["data_source"] == "crab-verif" and row["prompt"][0]["content"] == PROMPT,
        "converted VerIF row: %s" % row)
t.check(gt["functions"][0] == json.loads(label("verinstruct"))["functions"][0],
        "VerIF's sys.path prefix removed: %r" % gt["functions"][0][:60])
s, _ = asyncio.run(naive_run_single(custom_reward_fn("compute_score_async", {}), row, GOOD))
t.check(s == 1.0, "converted VerIF row scores: %s" % s)
for bad, why in ((dict(verif_row, prompt=[{"role": "system", "content": "x"}]), "user message"),
                 (dict(verif_row, reward_model={"style": "rm"}), "ground_truth"),
                 (dict(verif_row, reward_model={"ground_truth": "{not json"}), "not JSON")):
    try:
        convert.row(convert.plain(bad), 0, "verif.parquet: row 4", "x")
        t.check(False, "converted a bad row: %s" % why)
    except ValueError as e:
        t.check(why in str(e) and "row 4" in str(e), "bad row names %s: %s" % (why, e))
# JSONL VerInstruct lines still convert as before
row = convert.row(dict(json.loads(label("ifeval")), key=5, prompt=PROMPT), 2, "x.jsonl:3", "ifeval")
t.check(row["extra_info"] == {"index": 2, "id": 5, "prompt": PROMPT} and
        json.loads(row["reward_model"]["ground_truth"]) == json.loads(label("ifeval")),
        "JSONL row: %s" % row)

# ---- verl hosting the judge: reward_router_address, opted in ---------------------
judge = os.environ.get("JUDGE_ADDR")  # host:port of the test judge, in --judge-url-allow
llm_gt = json.dumps({"checkers": ["[llm] Style: formal"], "functions": [""]})
fn = custom_reward_fn("compute_score_async", {"use_reward_router": True, "judge_model": "ifv-7b"})
s, _ = asyncio.run(naive_run_single(fn, verl_row(llm_gt), "Dear Sir JUDGE:PASS", router=judge))
t.check(s == 1.0, "judged by the reward router's model: %s" % s)
s, _ = asyncio.run(naive_run_single(fn, verl_row(llm_gt), "Dear Sir JUDGE:FAIL", router=judge))
t.check(s == 0.0, "the router's judge fails it: %s" % s)
record = os.environ.get("JUDGE_RECORD")
models = [json.loads(l).get("model") for l in open(record)] if record else []
t.check("ifv-7b" in models, "the router's judge was asked for judge_model: %s" % sorted(set(models)))
try:
    asyncio.run(naive_run_single(fn, verl_row(llm_gt), "x", router="127.0.0.1:9"))
    t.check(False, "a router outside --judge-url-allow was used")
except VerifError as e:
    t.check(e.status == 400 and "judge-url-allow" in str(e), "not allowed: %s" % e)
# not opted in: the router address is ignored, the server's own judge judges
fn = custom_reward_fn("compute_score_async", {})
s, _ = asyncio.run(naive_run_single(fn, verl_row(llm_gt), "Dear Sir JUDGE:PASS", router="127.0.0.1:9"))
t.check(s == 1.0, "router ignored without use_reward_router: %s" % s)

# ---- verl 0.7's batch reward manager (legacy) ------------------------------------
rows = [verl_row(label(k)) for k, _ in cases]
scores = verl.compute_score_batch(
    data_sources=[r["data_source"] for r in rows], solution_strs=[r for _, r in cases],
    ground_truths=[r["reward_model"]["ground_truth"] for r in rows],
    extra_infos=[dict(r["extra_info"], rollout_reward_scores={}) for r in rows])
t.check([s["score"] if isinstance(s, dict) else s for s in scores] == want,
        "batch manager: %s" % scores)

t.done()
