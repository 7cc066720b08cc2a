"""Building `verif serve` items from what trainers hand a reward function.

A label (verl's ground_truth, OpenRLHF's label, a TRL column) holds the
constraints in any format the server reads: a VerInstruct record, a verl
ground_truth {"checkers", "functions"}, or IFEval {"instruction_id_list",
"kwargs"}; as a JSON string or already decoded.
"""

import json
import logging

from .client import VerifError

log = logging.getLogger("verif_client")


def label_dict(label):
    """The label as a dict (a JSON string is decoded).  Anything else, a
    malformed JSON string included, raises VerifError: a training run should
    stop rather than score items without their constraints."""
    try:
        if isinstance(label, (bytes, bytearray)):
            label = label.decode("utf-8")
        if isinstance(label, str):
            label = json.loads(label)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        raise VerifError("a verif label must be a JSON object (or a string "
                         "holding one): %s" % e) from e
    if not isinstance(label, dict):
        raise VerifError("a verif label must be a JSON object (or a string "
                         "holding one), got %s" % type(label).__name__)
    return label


def content_text(c):
    """A message's content as text: a string, or the text parts of a
    multimodal list (image parts and the like are left out)."""
    if isinstance(c, list):
        return "".join(p.get("text", "") for p in c
                       if isinstance(p, dict) and p.get("type", "text") == "text")
    return c


def text_of(x, role=None):
    """A prompt or completion as text: a string, or a chat (list of
    {"role", "content"}) whose last message (of role, if given) counts."""
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, dict):
        return content_text(x.get("content"))
    msgs = [m for m in x if isinstance(m, dict) and (role is None or m.get("role") == role)]
    if not msgs:
        return None
    return content_text(msgs[-1].get("content"))


def make_item(label, prompt, response):
    """The item: the label's constraints, its own prompt if it has one
    (else the given one), and the response."""
    item = dict(label_dict(label))
    item.pop("responses", None)
    if "prompt" not in item and prompt is not None:
        item["prompt"] = prompt
    item["response"] = response
    return item


def reward_of(record, error_reward, where=""):
    """(reward, error) of a record; an item that could not be scored gets
    error_reward (which may be None), and the reason is logged."""
    r = record.get("reward") if isinstance(record, dict) else None
    err = record.get("error") if isinstance(record, dict) else "no record"
    if isinstance(r, (int, float)) and not isinstance(r, bool) and err is None:
        return float(r), None
    why = err or "reward is null (soft: %s)" % ((record.get("soft") or {}).get("status"),)
    log.warning("verif: %s could not be scored (reward %s): %s", where or "item", error_reward, why)
    return (None if error_reward is None else float(error_reward)), why
