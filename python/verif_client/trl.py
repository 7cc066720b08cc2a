"""A TRL reward function (GRPOTrainer's reward_funcs), backed by `verif serve`.

    from verif_client.trl import verif_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[verif_reward], ...)

TRL calls it with prompts, completions (strings, or chats) and every other
dataset column as keyword lists (trl/trainer/grpo_trainer.py,
_calculate_rewards; checked at TRL main f2cd577).  The constraints of row i
come from the first of: "ground_truth" / "label" (a JSON string or dict),
"reward_model" (verl rows: its "ground_truth"), "checkers" + "functions"
(VerInstruct), "instruction_id_list" + "kwargs" (IFEval).

An item the server cannot score is None, TRL's contract for "no reward"
(it becomes NaN and is left out of the group's statistics), and is logged
as a warning; set VERIF_ERROR_REWARD to give such items a number instead.
When TRL passes log_extra and log_metric (TRL >= 1.0), each batch logs the
columns verif_hard, verif_soft and verif_status to the completions table
and the metrics verif/hard, verif/soft_pass, verif/judge_errors and
verif/errors.  verif_reward is a coroutine function (TRL runs those
concurrently); verif_reward_sync is the same for older TRL versions.
"""

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from verif_client.client import AsyncClient, Client, env_key
    from verif_client.items import make_item, reward_of, text_of
else:
    from .client import AsyncClient, Client, env_key
    from .items import make_item, reward_of, text_of

__all__ = ["verif_reward", "verif_reward_sync", "items_from_columns"]

_LABEL_KEYS = ("ground_truth", "label")


def _label(cols, i):
    for k in _LABEL_KEYS:
        if cols.get(k) is not None and cols[k][i] is not None:
            return cols[k][i]
    rm = cols.get("reward_model")
    if rm is not None and isinstance(rm[i], dict) and "ground_truth" in rm[i]:
        return rm[i]["ground_truth"]
    for keys in (("checkers", "functions"), ("instruction_id_list", "kwargs")):
        if all(cols.get(k) is not None for k in keys):
            return {k: cols[k][i] for k in keys}
    raise ValueError("verif_reward: row %d has no constraints: give a 'ground_truth' "
                     "(or 'label') column, 'checkers' + 'functions', or "
                     "'instruction_id_list' + 'kwargs'" % i)


def items_from_columns(prompts, completions, **cols):
    """The /v1/score items of a TRL batch."""
    return [make_item(_label(cols, i), text_of(p, "user"), text_of(c) or "")
            for i, (p, c) in enumerate(zip(prompts, completions))]


def _error_reward():
    v = os.environ.get("VERIF_ERROR_REWARD")
    return None if v in (None, "") else float(v)


def _status(rec):
    """The judge's part of a record: its soft status ("judged", "skipped",
    "unverified", "unparsed", "error": the judge failed), or "item_error"."""
    if not isinstance(rec, dict) or rec.get("error") and not rec.get("soft"):
        return "item_error"
    return (rec.get("soft") or {}).get("status") or "none"


def _log(records, kw):
    """The hard/soft/judge figures, through TRL's log_extra and log_metric."""
    log_extra, log_metric = kw.get("log_extra"), kw.get("log_metric")
    hard = [((r.get("hard") or {}).get("score") if isinstance(r, dict) else None) for r in records]
    soft = [((r.get("soft") or {}).get("verdict") if isinstance(r, dict) else None) for r in records]
    status = [_status(r) for r in records]
    if callable(log_extra):
        log_extra("verif_hard", hard)
        log_extra("verif_soft", soft)
        log_extra("verif_status", status)
    if callable(log_metric) and records:
        h = [x for x in hard if x is not None]
        s = [x for x in soft if x is not None]
        if h:
            log_metric("verif/hard", sum(h) / len(h))
        if s:
            log_metric("verif/soft_pass", sum(1.0 for x in s if x) / len(s))
        log_metric("verif/judge_errors", float(status.count("error")))
        log_metric("verif/errors", float(sum(1 for r in records if not isinstance(r, dict)
                                             or r.get("error"))))


def _rewards(records, n, kw):
    if len(records) != n:
        raise RuntimeError("verif serve answered %d records for %d items" % (len(records), n))
    _log(records, kw)
    er = _error_reward()
    return [reward_of(r, er, "completion %d" % i)[0] for i, r in enumerate(records)]


_async = {}


async def verif_reward(prompts, completions, **kwargs):
    """Rewards of a batch of completions: a float each, None when unscorable."""
    items = items_from_columns(prompts, completions, **kwargs)
    key = env_key()
    if key not in _async:
        _async[key] = AsyncClient()
    res = await _async[key].post("/v1/score", {"items": items})
    return _rewards(res["results"], len(items), kwargs)


def verif_reward_sync(prompts, completions, **kwargs):
    """verif_reward for trainers that call reward functions synchronously."""
    items = items_from_columns(prompts, completions, **kwargs)
    res = Client().post("/v1/score", {"items": items})
    return _rewards(res["results"], len(items), kwargs)


verif_reward.__name__ = "verif"
verif_reward_sync.__name__ = "verif"
