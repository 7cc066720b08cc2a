"""recipes.py: every flag or config key a recipe in examples/ uses exists in
the framework version the recipe names.

The key lists (tests/data/trainers/*.keys) were read from the frameworks'
own source by scripts/extract-trainer-keys.py; each file's header names the
repository, commit and file.  Hydra keys with a leading "+" (additions)
need their parent to exist.  A TRL recipe's TrainingArguments fields come
from transformers, whose source is not among the mirrors: they are named
skips.
"""
import ast
import os
import re
import shlex

from lib import ROOT, Suite

t = Suite("recipes")
KEYS = os.path.join(ROOT, "tests", "data", "trainers")


def keys(name):
    with open(os.path.join(KEYS, name + ".keys")) as f:
        lines = f.read().splitlines()
    t.check(lines and lines[0].startswith("# %s: " % name) and " at " in lines[0] and
            ", file " in lines[0], "%s.keys names its source: %s" % (name, lines[:1]))
    return {l for l in lines if l and not l.startswith("#")}


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def command_words(text, start):
    """The words of the shell command that begins with `start` (line
    continuations joined, comments dropped)."""
    body = text[text.index(start):]
    lines = []
    for line in body.splitlines():
        lines.append(line.rstrip("\\").strip())
        if not line.rstrip().endswith("\\"):
            break
    return shlex.split(" ".join(lines), comments=True)


def names_version(text, version):
    return re.search(r"^# Targets: .*%s" % re.escape(version), text, re.M) is not None


def check_hydra(path, version, valid):
    text = read(path)
    t.check(names_version(text, version), "%s names %s in a Targets line" % (path, version))
    used = [w.split("=", 1)[0] for w in command_words(text, "python3 -m verl.trainer.main_ppo")
            if "=" in w and not w.startswith("-")]
    t.check(len(used) > 20, "%s: found %d keys" % (path, len(used)))
    for k in used:
        plus = k.startswith("+")
        k = k.lstrip("+")
        ok = (k.rsplit(".", 1)[0] in valid) if plus else (k in valid)
        t.check(ok, "%s: %s%s is not a key of verl %s" % (path, "+" if plus else "", k, version))
    return used


# ---- verl: the reward loop (1dda039) and the legacy batch recipe (v0.7.0) ------
used = check_hydra("examples/verl/run_verif_grpo.sh", "verl 1dda039", keys("verl-1dda039"))
t.check("reward.custom_reward_function.path" in used and "reward.reward_manager.name" in used and
        not any(k.startswith(("custom_reward_function", "reward_model.")) for k in used),
        "the main verl recipe configures the reward loop only: %s" % [k for k in used if "reward" in k])
used = check_hydra("examples/verl/legacy/run_verif_grpo_batch.sh", "verl v0.7.0", keys("verl-v0.7.0"))
t.check("reward_model.use_reward_loop" in used, "the legacy recipe switches the reward loop off")
t.check("LEGACY" in read("examples/verl/legacy/run_verif_grpo_batch.sh").split("\n")[1],
        "the legacy recipe says so in its first lines")

# ---- OpenRLHF v0.11.0 ------------------------------------------------------------
valid = keys("openrlhf-v0.11.0")
text = read("examples/openrlhf/run_verif_grpo.sh")
t.check(names_version(text, "OpenRLHF v0.11.0"), "the OpenRLHF recipe names its version")
flags = [w for w in command_words(text, "python3 -m openrlhf.cli.train_ppo_ray") if w.startswith("--")]
t.check(len(flags) > 20 and "--reward.remote_url" in flags and "--data.label_key" in flags,
        "OpenRLHF flags found: %s" % flags)
for f in flags:
    t.check(f in valid, "examples/openrlhf/run_verif_grpo.sh: %s is not a flag of OpenRLHF v0.11.0" % f)

# ---- slime 624b824 ----------------------------------------------------------------
valid = keys("slime-624b824")
text = read("examples/slime/verif_args.sh")
t.check(names_version(text, "slime 624b824"), "the slime arguments name their version")
flags = re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", "\n".join(
    l.split("#", 1)[0] for l in text.splitlines() if not l.lstrip().startswith("#")))
t.check({"--reward-key", "--rm-url", "--custom-rm-path", "--group-rm"} <= set(flags),
        "slime flags found: %s" % flags)
for f in flags:
    t.check(f in valid, "examples/slime/verif_args.sh: %s is not a flag of slime 624b824" % f)

# ---- TRL f2cd577 --------------------------------------------------------------------
valid = keys("trl-f2cd577")
text = read("examples/trl/train_grpo.py")
t.check(re.search(r"^Targets: TRL main f2cd577", text, re.M), "the TRL recipe names its version")
TRAINING_ARGUMENTS = {"output_dir", "per_device_train_batch_size", "gradient_accumulation_steps"}
calls = [n for n in ast.walk(ast.parse(text))
         if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "GRPOConfig"]
t.check(len(calls) == 1, "one GRPOConfig call")
for kw in calls[0].keywords if calls else []:
    if kw.arg in valid:
        t.check(True, kw.arg)
    elif kw.arg in TRAINING_ARGUMENTS:
        t.skip("GRPOConfig(%s=): a transformers.TrainingArguments field (not mirrored)" % kw.arg)
    else:
        t.check(False, "examples/trl/train_grpo.py: GRPOConfig(%s=) is not a field of TRL f2cd577"
                % kw.arg)

t.done()
