#!/usr/bin/python3
r"""gen-nemo-aggregate-cases.py: NeMo-Gym's own answers to /aggregate_metrics.

    /usr/bin/python3 scripts/gen-nemo-aggregate-cases.py GYM_GIT_DIR > \
        tests/data/nemo_gym/aggregate_cases.jsonl

Runs compute_aggregate_metrics of nemo_gym/reward_profile.py, read with
`git show 07d6b0d07b22fcf530b4c211dae2ee23100428e4:nemo_gym/reward_profile.py`
from a clone of github.com/NVIDIA-NeMo/Gym (GYM_GIT_DIR, a bare mirror is
fine), on the requests below, and writes one {"note", "request", "answer"}
line per case (tests/cli/trainers_nemo.sh replays them against verif serve).
Needs pandas (python3-pandas); NeMo's other imports (pydantic, orjson,
wandb, its config modules) are stubbed.  Debian 12's pandas is 1.5, older
than the 2.2 NeMo is written for, so two calls are spelled the 1.5 way
(same results): groupby.apply(f, include_groups=False) becomes apply on
each group without its grouping column, and stack(future_stack=True)
becomes stack(dropna=False).  The rest of the code is NeMo's, unchanged.
"""
import json
import math
import subprocess
import sys
import types

COMMIT = "07d6b0d07b22fcf530b4c211dae2ee23100428e4"


def stub_modules():
    class _Model:  # AggregateMetrics: its fields default to empty
        def __init__(self, **kw):
            self.group_level_metrics, self.agent_metrics, self.key_metrics = [], {}, {}
            self.__dict__.update(kw)

    def field(default=None, default_factory=None, **_):
        return default_factory() if default_factory else default

    mods = {
        "pydantic": {"Field": field},
        "orjson": {"dumps": lambda x: json.dumps(x).encode()},
        "wandb": {"Histogram": lambda data: "histogram"},
        "nemo_gym": {},
        "nemo_gym.config_types": {"AggregateMetrics": _Model, "BaseNeMoGymCLIConfig": object},
        "nemo_gym.cli": {},
        "nemo_gym.cli._compat": {"moved_attr_getter": lambda name, moved: None},
        "nemo_gym.global_config": {"AGENT_REF_KEY_NAME": "agent_ref",
                                   "ROLLOUT_INDEX_KEY_NAME": "_ng_rollout_index",
                                   "TASK_INDEX_KEY_NAME": "_ng_task_index"},
    }
    for name, attrs in mods.items():
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m


def load(gym):
    src = subprocess.run(["git", "-C", gym, "show", COMMIT + ":nemo_gym/reward_profile.py"],
                         check=True, capture_output=True, text=True).stdout
    for old, new in (
            ("grouped_df.apply(self.describe_dataframe, include_groups=False)",
             "grouped_df.apply(lambda g: self.describe_dataframe(g.drop(columns=grouped_df.keys)))"),
            ("stack(future_stack=True)", "stack(dropna=False)")):
        if old not in src:
            sys.exit("reward_profile.py changed: %r not found" % old)
        src = src.replace(old, new)
    m = types.ModuleType("nemo_gym.reward_profile")
    exec(compile(src, "nemo_gym/reward_profile.py", "exec"), m.__dict__)
    return m


def resp(usage=None):
    return {"id": "r", "output": [], "usage": usage} if usage is not None else {"id": "r", "output": []}


CASES = [
    ("no responses", []),
    ("one response: std 0 where nothing is missing", [
        {"_ng_task_index": 0, "_ng_rollout_index": 0, "reward": 1.0, "follow_all_instructions": True,
         "response": resp({"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
                           "output_tokens_details": {"reasoning_tokens": 0}})}]),
    ("two tasks, unequal rollouts, a field missing in one row, a string field", [
        {"_ng_task_index": 1, "_ng_rollout_index": 1, "reward": 0.5, "follow_all_instructions": False,
         "n_follow": 3, "note": "x", "response": resp({"input_tokens": 7, "output_tokens": 9})},
        {"_ng_task_index": 0, "_ng_rollout_index": 0, "reward": 1.0, "follow_all_instructions": True,
         "response": resp({"input_tokens": 4, "output_tokens": 2})},
        {"_ng_task_index": 1, "_ng_rollout_index": 0, "reward": 0.25, "follow_all_instructions": False,
         "n_follow": 1, "response": resp({"input_tokens": 8, "output_tokens": 1})},
        {"_ng_task_index": 0, "_ng_rollout_index": 1, "reward": 0.0, "follow_all_instructions": False,
         "response": resp()},
        {"_ng_task_index": 1, "_ng_rollout_index": 2, "reward": 1.0, "follow_all_instructions": True,
         "n_follow": 4, "response": resp({"input_tokens": 1, "output_tokens": 3})}]),
    ("no response field, a boolean and a null", [
        {"_ng_task_index": 3, "_ng_rollout_index": 0, "reward": 0.75, "ok": False, "gone": None},
        {"_ng_task_index": 3, "_ng_rollout_index": 5, "reward": 0.25, "ok": True, "gone": None}]),
]


def clean(x):
    if isinstance(x, float) and math.isnan(x):
        raise ValueError("NaN in an answer")
    if hasattr(x, "item"):  # numpy scalars
        return clean(x.item())
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    return x


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stub_modules()
    rp = load(sys.argv[1])
    for note, vrs in CASES:
        a = rp.compute_aggregate_metrics(json.loads(json.dumps(vrs)))
        answer = {"group_level_metrics": a.group_level_metrics, "agent_metrics": a.agent_metrics,
                  "key_metrics": a.key_metrics}
        print(json.dumps({"note": note, "request": {"verify_responses": vrs}, "answer": clean(answer)},
                         sort_keys=True))


if __name__ == "__main__":
    main()
