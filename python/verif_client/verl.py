"""verl's custom reward function, backed by `verif serve`.

Current verl (the reward loop, verl/experimental/reward_loop/; checked at
verl 1dda039) calls, per sample, sync or async,

    compute_score(data_source=, solution_str=, ground_truth=, extra_info=
                  [, reward_router_address=, reward_model_tokenizer=])

configured as

  reward.custom_reward_function.path=python/verif_client/verl.py
  reward.custom_reward_function.name=compute_score_async   # or compute_score
  reward.reward_manager.name=naive

(examples/verl/run_verif_grpo.sh).  compute_score_batch is verl's older
batch reward manager's form (reward_model.use_reward_loop=False,
reward_model.reward_manager=batch; verl 0.7, examples/verl/legacy/).

ground_truth is the row's reward_model.ground_truth: the constraints as a
JSON string (VerInstruct {"checkers", "functions"}, IFEval
{"instruction_id_list", "kwargs"}).  The instruction the judge and the
[rule] functions see is extra_info["prompt"] (written by
examples/verl/convert.py), else the ground truth's own "prompt"; a row with
neither is refused with ValueError (VerIF's own parquet rows carry only
{split, index}: convert them with examples/verl/convert.py), never scored
against an empty prompt.

Items the server cannot score get error_reward (default $VERIF_ERROR_REWARD
or 0.0) and a logged warning; an unreachable server raises.  Reward kwargs
(custom_reward_function.reward_kwargs):
  return_dict=True   {"score", "hard", "soft", "verif_error"} for verl's
                     per-sample reward_extra_info
  use_reward_router=True  judge the [llm] constraints with the model verl
                     hosts for the reward loop (reward_router_address, e.g.
                     IF-Verifier-7B: VerIF's distilled-verifier setup); the
                     server must list that host in --judge-url-allow, else
                     it answers 400.  judge_model= names the model
                     (default: the server's --judge-model).
  error_reward=X
"""

import os
import sys

if __package__ in (None, ""):  # loaded by path, as verl does
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from verif_client.client import AsyncClient, Client, env_key
    from verif_client.items import label_dict, make_item, reward_of
else:
    from .client import AsyncClient, Client, env_key
    from .items import label_dict, make_item, reward_of

__all__ = ["compute_score", "compute_score_async", "compute_score_batch"]

_clients = {}


def _client(kind):
    key = (kind,) + env_key()
    if key not in _clients:
        _clients[key] = Client() if kind == "sync" else AsyncClient()
    return _clients[key]


def _error_reward(kw):
    return float(kw.get("error_reward", os.environ.get("VERIF_ERROR_REWARD", 0.0)))


def _prompt(label, extra_info, data_source):
    """The instruction: extra_info's, else the label's; never a silent ""."""
    if isinstance(extra_info, dict):
        for k in ("prompt", "instruction"):
            if isinstance(extra_info.get(k), str):
                return extra_info[k]
    if isinstance(label.get("prompt"), str):
        return label["prompt"]
    have = sorted(extra_info) if isinstance(extra_info, dict) else type(extra_info).__name__
    raise ValueError(
        "verif: a %r row has no instruction: neither extra_info['prompt'] (extra_info has %s) "
        "nor a 'prompt' in reward_model.ground_truth; the judge and the [rule] functions need "
        "it. Convert the data with examples/verl/convert.py (it also reads VerIF's parquet rows)."
        % (data_source, have))


def _judge(kw):
    """The per-request judge fields when the reward router is to judge."""
    addr = kw.get("reward_router_address")
    if not kw.get("use_reward_router"):
        return {}
    if not addr:
        raise ValueError("verif: use_reward_router=True but verl passed no reward_router_address "
                         "(enable reward.reward_model so that verl hosts the judge)")
    out = {"judge_url": "http://%s/v1" % addr}
    if kw.get("judge_model"):
        out["judge_model"] = kw["judge_model"]
    return out


def _item(data_source, solution_str, ground_truth, extra_info, kw):
    label = label_dict(ground_truth)
    item = make_item(label, _prompt(label, extra_info, data_source), solution_str)
    item.update(_judge(kw))
    return item


def _result(record, kw, where):
    reward, err = reward_of(record, _error_reward(kw), where)
    if not kw.get("return_dict"):
        return reward
    hard = (record.get("hard") or {}).get("score")
    soft = (record.get("soft") or {}).get("verdict")
    return {"score": reward, "hard": float(hard) if hard is not None else 0.0,
            "soft": 1.0 if soft is None else float(bool(soft)),
            "verif_error": 1.0 if err else 0.0}


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kw):
    """One response: its reward (or a dict with return_dict=True)."""
    item = _item(data_source, solution_str, ground_truth, extra_info, kw)
    rec = _client("sync").post("/v1/score", {"items": [item]})["results"][0]
    return _result(rec, kw, "item of %s" % data_source)


async def compute_score_async(data_source, solution_str, ground_truth, extra_info=None, **kw):
    """compute_score for verl's reward loop, which awaits coroutine functions."""
    item = _item(data_source, solution_str, ground_truth, extra_info, kw)
    res = await _client("async").post("/v1/score", {"items": [item]})
    return _result(res["results"][0], kw, "item of %s" % data_source)


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kw):
    """verl 0.7's batch reward manager (legacy): every response in one request."""
    n = len(solution_strs)
    extra_infos = extra_infos if extra_infos is not None else [None] * n
    items = [_item(d, s, g, e, kw)
             for d, s, g, e in zip(data_sources, solution_strs, ground_truths, extra_infos)]
    res = _client("sync").post("/v1/score", {"items": items})["results"]
    if len(res) != n:
        raise RuntimeError("verif serve answered %d records for %d items" % (len(res), n))
    return [_result(r, kw, "item %d (%s)" % (i, d)) for i, (r, d) in enumerate(zip(res, data_sources))]
