"""A TRL reward function (GRPOTrainer's reward_funcs), backed by `verif serve`.

    from verif_client.trl import verif_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[verif_reward], ...)

TRL calls it with prompts, completions (strings, or chats) and every other
dataset column as keyword lists.  The constraints of row i come from the
first of: "ground_truth" / "label" (a JSON string or dict), "reward_model"
(verl rows: its "ground_truth"), "checkers" + "functions" (VerInstruct),
"instruction_id_list" + "kwargs" (IFEval).  Items that cannot be scored get
$VERIF_ERROR_REWARD (default 0.0) and a logged warning.  verif_reward is a
coroutine function (TRL runs those concurrently); verif_reward_sync is the
same for older TRL versions.
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


def _rewards(records, n):
    if len(records) != n:
        raise RuntimeError("verif serve answered %d records for %d items" % (len(records), n))
    er = float(os.environ.get("VERIF_ERROR_REWARD", 0.0))
    return [reward_of(r, er, "completion %d" % i)[0] for i, r in enumerate(records)]


_async = {}


async def verif_reward(prompts, completions, **kwargs):
    """Rewards of a batch of completions, one float each."""
    items = items_from_columns(prompts, completions, **kwargs)
    key = env_key()
    if key not in _async:
        _async[key] = AsyncClient()
    res = await _async[key].post("/v1/score", {"items": items})
    return _rewards(res["results"], len(items))


def verif_reward_sync(prompts, completions, **kwargs):
    """verif_reward for trainers that call reward functions synchronously."""
    items = items_from_columns(prompts, completions, **kwargs)
    res = Client().post("/v1/score", {"items": items})
    return _rewards(res["results"], len(items))


verif_reward.__name__ = "verif"
verif_reward_sync.__name__ = "verif"
