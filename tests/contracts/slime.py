"""slime.py: slime's reward calls replayed (slime 624b824).

- slime/rollout/rm_hub/__init__.py:34-53 remote_rm posts {"prompt":
  sample.prompt, "response": sample.response, "label": sample.label} to
  --rm-url, raises for a non-200 and retries (10 tries, backoff up to 30 s,
  120 s total per try: :29); the answer is the reward;
- slime/utils/types.py:247 reads sample.reward[args.reward_key] when
  --reward-key is set (slime/rollout/sglang_rollout.py:617-620 likewise);
- slime/utils/data.py:142-207 makes the prompt a string (templated or
  not) or a chat whose content is a string or, with --multimodal-keys, a
  list of {"type": "text"/"image", ...} parts;
- rm_hub/__init__.py:56-63 awaits load_function(--custom-rm-path)(args,
  sample) for one sample, :104-107 (args, samples) for a list
  (--group-rm: sglang_rollout.py:330-335);
- slime/utils/misc.py:39-47 load_function imports "module.function".
"""
import asyncio
import importlib
import json
import os
from types import SimpleNamespace

from lib import BAD, GOOD, PROMPT, Suite, call, label, score

t = Suite("slime")
cases = [(k, r) for k in ("verinstruct", "ifeval") for r in (GOOD, BAD)]
want = [rec["reward"] for rec in score(
    [dict(json.loads(label(k)), prompt=PROMPT, response=r) for k, r in cases])]
args = SimpleNamespace(reward_key="reward", rm_url=os.environ["VERIF_URL"] + "/reward",
                       custom_rm_path="verif_client.slime.reward_func", group_rm=False)


def remote_rm(sample):
    """remote_rm's request, and the reward as slime reads it (types.py:247)."""
    st, js, text = call("POST", "/reward", {"prompt": sample.prompt, "response": sample.response,
                                            "label": sample.label})
    if st != 200:  # resp.raise_for_status(): slime retries, for minutes
        return ("HTTP", st)
    return js if not args.reward_key else js[args.reward_key]


def Sample(prompt, response, label=None, metadata=None):
    return SimpleNamespace(prompt=prompt, response=response, label=label, metadata=metadata or {},
                           reward=None)


TEMPLATED = "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n" % PROMPT
prompts = {
    "string": PROMPT,
    "templated": TEMPLATED,
    "chat": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": PROMPT}],
    "multimodal": [{"role": "user", "content": [{"type": "image", "image": "cat.png"},
                                               {"type": "text", "text": PROMPT}]}],
}
for name, p in prompts.items():
    got = [remote_rm(Sample(p, r + "<|im_end|>", label(k))) for k, r in cases]
    t.check(got == want, "remote_rm, %s prompt: %s, want %s" % (name, got, want))

# a null or broken label: that sample's error reward, never a retried 400
for bad in (None, "not json", 7):
    st, js, _ = call("POST", "/reward", {"prompt": PROMPT, "response": GOOD, "label": bad})
    t.check(st == 200 and js["reward"] == -1 and "label" in js.get("error", ""),
            "label %r: %d %s" % (bad, st, js))

# --custom-rm-path, loaded as slime loads it
module_path, _, attr = args.custom_rm_path.rpartition(".")
rm = getattr(importlib.import_module(module_path), attr)
samples = [Sample(prompts["chat"], r, label(k)) for k, r in cases]
got = [asyncio.run(rm(args, s)) for s in samples]
t.check(got == want, "custom rm, one sample: %s" % got)
got = asyncio.run(rm(args, samples))  # --group-rm: the whole group
t.check(got == want, "custom rm, group: %s" % got)
# the constraints in sample.metadata (--metadata-key), the label empty
meta = dict(json.loads(label("ifeval")), prompt=PROMPT)
got = asyncio.run(rm(args, [Sample(TEMPLATED, GOOD, None, meta), Sample(TEMPLATED, BAD, None, meta)]))
t.check(got == [1.0, 0.0], "custom rm, constraints from metadata: %s" % got)
gt_meta = {"ground_truth": label("verinstruct"), "prompt": PROMPT}
got = asyncio.run(rm(args, Sample(prompts["multimodal"], GOOD, None, gt_meta)))
t.check(got == 1.0, "custom rm, ground_truth in metadata, multimodal prompt: %s" % got)
# an unscorable sample: the server's --error-reward, not an exception
got = asyncio.run(rm(args, Sample(PROMPT, GOOD, None)))
t.check(got == -1.0, "custom rm, no constraints anywhere: %s" % got)

t.done()
