"""OpenRLHF's reward_func, backed by `verif serve`'s /get_reward.

    --reward.remote_url python/verif_client/openrlhf_reward.py --data.label_key label

(OpenRLHF >= 0.10.2; before, --remote_rm_url and --label_key.)  OpenRLHF
loads a .py remote URL by path and calls reward_func(queries, prompts,
labels) on a thread, one sample per call (openrlhf/utils/agent.py,
SingleTurnAgentExecutor, at v0.11.0).  Or point --reward.remote_url at
http://HOST:PORT/get_reward directly (several, comma-separated: OpenRLHF
shards over them); this file adds retries, the token, failover over
several servers (VERIF_URL) and torch tensors.

A query is prompt + response with special tokens; a label holds the
constraints (a JSON string or a dict).  Returns {"rewards", "scores",
"extra_logs": {"hard", "soft", "errors"}} as tensors (lists without torch).
Items that could not be scored, a bad label among them, get the server's
--error-reward, a 1 in extra_logs.errors and a logged warning.
"""

import logging
import os
import sys

if __package__ in (None, "", "reward_func"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from verif_client.client import Client, env_key
else:
    from .client import Client, env_key

try:
    import torch
except ImportError:  # lists then
    torch = None

log = logging.getLogger("verif_client")
_client = {}


def _tensor(v):
    return torch.tensor(v, dtype=torch.float) if torch is not None else list(v)


def reward_func(queries, prompts, labels, **kwargs):
    key = env_key()
    if key not in _client:
        _client[key] = Client()
    res = _client[key].post("/get_reward", {"query": list(queries), "prompts": list(prompts),
                                            "labels": list(labels)})
    for e in res.get("errors", []):
        log.warning("verif: query %d could not be scored: %s", e["index"], e["error"])
    for n in res.get("notes", []):
        log.info("verif: query %d: %s", n["index"], n["note"])
    logs = {k: _tensor(v) for k, v in res["extra_logs"].items()}
    return {"rewards": _tensor(res["rewards"]), "scores": _tensor(res["scores"]),
            "extra_logs": logs}
