"""openrlhf.py: OpenRLHF v0.11.0's remote reward calls replayed.

openrlhf/utils/agent.py (v0.11.0), SingleTurnAgentExecutor:
- :283-287 decodes the query with its special tokens and fetches rewards
  for ONE sample: _fetch_rewards_via_func([query], [prompt], [label]) or
  _fetch_rewards_via_http(...);
- :288-297 reads rewards_info = list[0]: "scores" (else "rewards"),
  "rewards", "extra_logs";
- :313-317 runs reward_func on a thread with lists of one;
- :322-336 shards the lists over the --reward.remote_url servers
  (batch_size = ceil(1 / n): the second of two servers gets empty lists)
  and posts {"query", "prompts", "labels"}; :338-352 raises for a non-200
  and retries 5 times (the sample then has no reward);
- :197-200 loads a .py URL by path as module "reward_func".
openrlhf/trainer/ppo_utils/samples_generator.py:254-296 turns reward and
score into torch.tensor([value]) and each extra_logs value (a tensor:
flatten()[0].item()) into torch.tensor([value]); here: float(...) of the
same shapes.
"""
import asyncio
import json
import os

from lib import BAD, GOOD, PROMPT, Suite, call, label, load_path, score

t = Suite("openrlhf")
CHAT = "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n" % PROMPT


def fetch_via_http(urls, queries, prompts, labels):
    """_fetch_rewards_via_http's requests and its reading of the answers."""
    n = len(urls)
    size = (len(queries) + n - 1) // n
    out = []
    for i, u in enumerate(urls):
        body = {"query": queries[i * size:(i + 1) * size], "prompts": prompts[i * size:(i + 1) * size],
                "labels": labels[i * size:(i + 1) * size]}
        st, js, text = call("POST", "/get_reward", body, url=u)
        if st != 200:  # response.raise_for_status(): 5 tries, then no reward
            return None
        out.append(js)
    return out


def sample_reward(rewards_info_list):
    """agent.py:288-297 and samples_generator.py:254-296 for one sample."""
    info = rewards_info_list[0] if rewards_info_list else None
    if not info:
        return None
    score_value = info.get("scores")
    if score_value is None:
        score_value = info.get("rewards")
    reward, extra = info.get("rewards"), info.get("extra_logs") or {}

    def one(v):  # torch.tensor([v]) of a one-element list or tensor
        v = list(v)
        assert len(v) == 1, v
        return float(v[0])
    return one(reward), one(score_value), {k: one(v) for k, v in extra.items()}


url = os.environ["VERIF_URL"].split(",")[0]
cases = [(k, r) for k in ("verinstruct", "ifeval") for r in (GOOD, BAD)]
want = [rec["reward"] for rec in score(
    [dict(json.loads(label(k)), prompt=PROMPT, response=r) for k, r in cases])]

# one sample per request, the query decoded with special tokens
for (k, r), w in zip(cases, want):
    got = sample_reward(fetch_via_http([url], [CHAT + r + "<|im_end|>"], [CHAT], [label(k)]))
    t.check(got is not None and got[0] == w and got[1] == w and
            set(got[2]) == {"hard", "soft", "errors"} and got[2]["errors"] == 0.0,
            "%s %r: %s, want %s" % (k, r[:20], got, w))

# two servers: the second gets an empty shard and must answer it
got = fetch_via_http([url, os.environ["VERIF_URL_B"]], [CHAT + GOOD], [CHAT], [label("ifeval")])
t.check(got is not None and len(got) == 2 and got[1]["rewards"] == [] and
        sample_reward(got)[0] == 1.0, "sharded over two servers: %s" % got)

# a label the server cannot read is that sample's error, not a failed request
for bad in ("not json", None, 5, "[1, 2]"):
    got = fetch_via_http([url], [CHAT + GOOD], [CHAT], [bad])
    t.check(got is not None and sample_reward(got)[0] == -1.0 and
            sample_reward(got)[2]["errors"] == 1.0 and got[0]["errors"][0]["index"] == 0,
            "label %r: %s" % (bad, got))
# labels as the dataset gives them: an object works as well as a JSON string
got = fetch_via_http([url], [CHAT + GOOD], [CHAT], [json.loads(label("verinstruct"))])
t.check(got is not None and sample_reward(got)[0] == 1.0, "object label: %s" % got)

# the .py reward file, loaded by path as module "reward_func", run on a thread
mod = load_path("python/verif_client/openrlhf_reward.py", "reward_func")


async def via_func(q, p, l):
    return await asyncio.gather(asyncio.to_thread(mod.reward_func, [q], [p], [l]))


for (k, r), w in zip(cases, want):
    got = sample_reward(asyncio.run(via_func(CHAT + r, CHAT, label(k))))
    t.check(got is not None and got[0] == w and got[1] == w, "reward_func %s: %s" % (k, got))
got = sample_reward(asyncio.run(via_func(CHAT + GOOD, CHAT, None)))
t.check(got is not None and got[0] == -1.0 and got[2]["errors"] == 1.0,
        "reward_func, null label: %s" % (got,))

t.done()
