#!/usr/bin/env python3
"""GRPO with TRL, rewards from `verif serve` (VerIF's settings: 16
generations per prompt, lr 1e-6, KL beta 1e-3, 4,096-token completions).

Targets: TRL main f2cd577 (>= 1.0).  tests/contracts/recipes.py checks the
GRPOConfig keys below against trl/trainer/grpo_config.py and base_config.py
at that commit.

    build/verif serve --port 8765 --judge-url http://JUDGE:8000/v1 --judge-model QwQ-32B &
    VERIF_URL=http://127.0.0.1:8765 python3 examples/trl/train_grpo.py \
        --model Qwen/Qwen2.5-7B-Instruct --data verinstruct.jsonl

The data is VerInstruct (or IFEval) JSONL: TRL hands the reward function
every column, and verif_reward reads the constraints from "checkers" +
"functions" or "instruction_id_list" + "kwargs" (or a "ground_truth"
column).  Needs trl, transformers and datasets (not verif_client, which is
standard library only).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from verif_client.trl import verif_reward  # noqa: E402


def load_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                x = json.loads(line)
                x["prompt"] = [{"role": "user", "content": x["prompt"]}]
                x.pop("response", None)
                x.pop("responses", None)
                for k in ("functions", "kwargs"):  # keep the columns' types uniform
                    if k in x:
                        x[k] = json.dumps(x[k])
                rows.append(x)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--output", default="checkpoints/verif-grpo-trl")
    a = ap.parse_args()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    rows = load_rows(a.data)
    ds = Dataset.from_list(rows)
    cfg = GRPOConfig(output_dir=a.output, learning_rate=1e-6, beta=1e-3,
                     num_generations=16, per_device_train_batch_size=16,
                     gradient_accumulation_steps=2, max_completion_length=4096,
                     logging_steps=1, bf16=True)
    trainer = GRPOTrainer(model=a.model, reward_funcs=[reward], args=cfg, train_dataset=ds)
    trainer.train()


async def reward(prompts, completions, **kw):
    """verif_reward with the JSON-encoded columns decoded (None for a
    completion the server cannot score; log_extra and log_metric pass
    through)."""
    for k in ("functions", "kwargs"):
        if k in kw and kw[k] is not None:
            kw[k] = [json.loads(v) if isinstance(v, str) else v for v in kw[k]]
    return await verif_reward(prompts, completions, **kw)


reward.__name__ = "verif"

if __name__ == "__main__":
    main()
