"""verl's custom reward function, backed by `verif serve`.

In the verl config:

  custom_reward_function.path=python/verif_client/verl.py
  custom_reward_function.name=compute_score          # or compute_score_batch
  reward_model.reward_manager=naive                  # batch for the batch form

ground_truth is the row's reward_model.ground_truth (a JSON string with the
constraints); the instruction comes from extra_info["prompt"] (written by
examples/verl/convert.py) or the label's own "prompt".  Items that cannot
be scored get error_reward (default $VERIF_ERROR_REWARD or 0.0) and a
logged warning; an unreachable server raises.  Pass return_dict=True (via
custom_reward_function.reward_kwargs) to get {"score", "hard", "soft",
"verif_error"} for verl's extra reward info.
"""

import os
import sys

if __package__ in (None, ""):  # loaded by path, as verl does
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from verif_client.client import AsyncClient, Client, env_key
    from verif_client.items import make_item, reward_of
else:
    from .client import AsyncClient, Client, env_key
    from .items import make_item, reward_of

__all__ = ["compute_score", "compute_score_async", "compute_score_batch"]

_clients = {}


def _client(kind):
    key = (kind,) + env_key()
    if key not in _clients:
        _clients[key] = Client() if kind == "sync" else AsyncClient()
    return _clients[key]


def _error_reward(kw):
    return float(kw.get("error_reward", os.environ.get("VERIF_ERROR_REWARD", 0.0)))


def _item(solution_str, ground_truth, extra_info):
    prompt = None
    if isinstance(extra_info, dict):
        prompt = extra_info.get("prompt") or extra_info.get("instruction")
    return make_item(ground_truth, prompt if prompt is not None else "", solution_str)


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
    item = _item(solution_str, ground_truth, extra_info)
    rec = _client("sync").post("/v1/score", {"items": [item]})["results"][0]
    return _result(rec, kw, "item of %s" % data_source)


async def compute_score_async(data_source, solution_str, ground_truth, extra_info=None, **kw):
    """compute_score for verl's asynchronous reward loop."""
    item = _item(solution_str, ground_truth, extra_info)
    res = await _client("async").post("/v1/score", {"items": [item]})
    return _result(res["results"][0], kw, "item of %s" % data_source)


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kw):
    """verl's batch reward manager: every response in one request."""
    n = len(solution_strs)
    extra_infos = extra_infos if extra_infos is not None else [None] * n
    items = [_item(s, g, e) for s, g, e in zip(solution_strs, ground_truths, extra_infos)]
    res = _client("sync").post("/v1/score", {"items": items})["results"]
    if len(res) != n:
        raise RuntimeError("verif serve answered %d records for %d items" % (len(res), n))
    return [_result(r, kw, "item %d (%s)" % (i, d)) for i, (r, d) in enumerate(zip(res, data_sources))]
