"""slime's custom reward model (--custom-rm-path), backed by `verif serve`.

    PYTHONPATH=python ... --custom-rm-path verif_client.slime.reward_func
    # with --group-rm the same function takes the whole group

slime (checked at 624b824, slime/rollout/rm_hub/__init__.py) awaits
rm(args, sample) for one sample and rm(args, samples) for a list (--group-rm,
and samples that a custom generate function fanned out); reward_func takes
either and answers a float, or a list of floats in order.  Each sample goes
to the server's /reward (slime's own remote_rm body: prompt, response,
label), concurrently, so the server reads a string prompt through its chat
template and a chat (multimodal content lists included) by its last user
turn, and removes end markers from the response.

The constraints come from sample.label (a JSON string or a dict), else from
sample.metadata (slime's --metadata-key column: its "instruction_id_list" +
"kwargs", "checkers" + "functions", or "ground_truth"); metadata's "prompt",
when a string, is the plain instruction the judge and the [rule] functions
see.  An item the server cannot score gets the server's --error-reward and a
logged warning; an unreachable server raises.  The server is $VERIF_URL,
else the scheme, host and port of slime's --rm-url.
"""

import asyncio
import json
import logging
import os
import sys
import urllib.parse

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from verif_client.client import AsyncClient, env_key
else:
    from .client import AsyncClient, env_key

__all__ = ["reward_func", "body_of"]

log = logging.getLogger("verif_client")

_PAIRS = (("checkers", "functions"), ("instruction_id_list", "kwargs"))
_CONSTRAINT_KEYS = _PAIRS + (("reward_model",),)


def _has_constraints(d, keys=_CONSTRAINT_KEYS):
    return isinstance(d, dict) and any(all(k in d for k in ks) for ks in keys)


def _as_dict(x):
    if isinstance(x, (str, bytes, bytearray)):
        try:
            x = json.loads(x)
        except ValueError:
            return None
    return x if isinstance(x, dict) else None


def _label(sample):
    """The label the server reads: sample.label, or else the constraints
    (and the plain prompt) that sample.metadata carries, directly or in a
    verl-style "ground_truth"."""
    label, meta = sample.label, getattr(sample, "metadata", None)
    if _has_constraints(_as_dict(label)) or not isinstance(meta, dict):
        return label
    src = _as_dict(meta.get("ground_truth")) or meta
    keep = {k: src[k] for ks in _PAIRS for k in ks if k in src}
    prompt = meta.get("prompt") if isinstance(meta.get("prompt"), str) else src.get("prompt")
    if isinstance(prompt, str):
        keep["prompt"] = prompt
    return keep if _has_constraints(keep, _PAIRS) else label


def body_of(sample):
    """The /reward body of one slime Sample."""
    return {"prompt": sample.prompt, "response": sample.response, "label": _label(sample)}


_clients = {}


def _client(args):
    url = os.environ.get("VERIF_URL")
    rm = getattr(args, "rm_url", None)
    if not url and rm:
        p = urllib.parse.urlsplit(rm)
        url = "%s://%s" % (p.scheme, p.netloc)
    key = (url,) + env_key()
    if key not in _clients:
        _clients[key] = AsyncClient(url=url)
    return _clients[key]


async def _one(client, sample, where):
    ans = await client.post("/reward", body_of(sample))
    if ans.get("error"):
        log.warning("verif: %s could not be scored (reward %s): %s", where, ans.get("reward"),
                    ans["error"])
    return float(ans["reward"])


async def reward_func(args, sample, **kwargs):
    """The reward of a sample, or the rewards of a list of samples."""
    client = _client(args)
    if isinstance(sample, (list, tuple)):
        return list(await asyncio.gather(*[_one(client, s, "sample %d of the group" % i)
                                           for i, s in enumerate(sample)]))
    return await _one(client, sample, "sample")
