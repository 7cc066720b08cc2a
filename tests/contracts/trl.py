"""trl.py: TRL's reward-function calls replayed (trl main f2cd577,
trl/trainer/grpo_trainer.py).

- :2176-2189 completions are strings, or [{"role": "assistant", "content"}]
  per completion when the prompts are chats;
- :1617-1627 reward_kwargs: every dataset column but prompt/completion/
  completion_ids, plus trainer_state, log_extra (_log_completion_extra:
  column, one value per sample) and log_metric (_log_metric: name, scalar);
- :1658-1664 a sync function is called with prompts=, completions=,
  completion_ids=, **reward_kwargs and None becomes NaN;
- :1667-1681 async functions are gathered on TRL's loop, None -> NaN.
"""
import asyncio
import json
import math

from lib import BAD, GOOD, PROMPT, Suite, label, load_path, score

t = Suite("trl")
trl = load_path("python/verif_client/trl.py", "verif_trl")

cases = [(k, r) for k in ("verinstruct", "ifeval") for r in (GOOD, BAD)]
want = [rec["reward"] for rec in score(
    [dict(json.loads(label(k)), prompt=PROMPT, response=r) for k, r in cases])]


class Logs:
    """TRL's _pending_extra_logs and _pending_metrics."""

    def __init__(self):
        self.extra, self.metrics = {}, {}

    def log_extra(self, column, values):
        self.extra.setdefault(column, []).extend(values)

    def log_metric(self, name, value):
        self.metrics.setdefault(name, []).append(value)


def calculate_rewards(func, prompts, completions, columns, logs=None):
    """_calculate_rewards for one reward function; NaN for None."""
    kw = dict(columns, trainer_state=object())
    if logs is not None:
        kw.update(log_extra=logs.log_extra, log_metric=logs.log_metric)
    ids = [[1, 2, 3] for _ in completions]
    if asyncio.iscoroutinefunction(func):
        async def invoke():
            return await func(prompts=prompts, completions=completions, completion_ids=ids, **kw)
        out = asyncio.run(invoke())
    else:
        out = func(prompts=prompts, completions=completions, completion_ids=ids, **kw)
    return [r if r is not None else math.nan for r in out]


plain_prompts = [PROMPT] * len(cases)
chat_prompts = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": PROMPT}]
                for _ in cases]
for conv in (False, True):
    prompts = chat_prompts if conv else plain_prompts
    comps = [[{"role": "assistant", "content": r}] if conv else r for _, r in cases]
    for fn in (trl.verif_reward, trl.verif_reward_sync):
        logs = Logs()
        got = calculate_rewards(fn, prompts, comps, {"ground_truth": [label(k) for k, _ in cases]}, logs)
        name = "%s %s" % ("async" if fn is trl.verif_reward else "sync", "chat" if conv else "plain")
        t.check(got == want, "%s: %s, want %s" % (name, got, want))
        t.check(logs.extra.get("verif_hard") == [1.0, 0.0, 1.0, 0.0] and
                logs.extra.get("verif_status") == ["skipped"] * 4 and len(logs.extra["verif_soft"]) == 4,
                "%s: log_extra %s" % (name, logs.extra))
        t.check(logs.metrics.get("verif/hard") == [0.5] and logs.metrics.get("verif/errors") == [0.0],
                "%s: log_metric %s" % (name, logs.metrics))

# IFEval and VerInstruct columns of their own
got = calculate_rewards(trl.verif_reward_sync, [PROMPT, PROMPT], [GOOD, BAD],
                        {"instruction_id_list": [json.loads(label("ifeval"))["instruction_id_list"]] * 2,
                         "kwargs": [[{}, {}]] * 2})
t.check(got == [1.0, 0.0], "IFEval columns: %s" % got)

# an unscorable completion is None (NaN for TRL), logged as an error
logs = Logs()
cols = {"ground_truth": [label("ifeval"), json.dumps({"instruction_id_list": ["no:such_id"],
                                                      "kwargs": [{}]})]}
got = calculate_rewards(trl.verif_reward, [PROMPT, PROMPT], [GOOD, GOOD], cols, logs)
t.check(got[0] == 1.0 and math.isnan(got[1]), "None for the unscorable item: %s" % got)
t.check(logs.extra["verif_status"] == ["skipped", "item_error"] and logs.metrics["verif/errors"] == [1.0],
        "errors logged: %s %s" % (logs.extra, logs.metrics))

# [llm] constraints: the judge's status is logged (the server's judge answers)
llm = json.dumps({"checkers": ["[llm] Style: formal"], "functions": [""]})
logs = Logs()
got = calculate_rewards(trl.verif_reward, [PROMPT] * 2, ["Dear Sir JUDGE:PASS", "yo JUDGE:FAIL"],
                        {"ground_truth": [llm, llm]}, logs)
t.check(got == [1.0, 0.0] and logs.extra["verif_status"] == ["judged", "judged"] and
        logs.metrics["verif/soft_pass"] == [0.5] and logs.metrics["verif/judge_errors"] == [0.0],
        "judged: %s %s %s" % (got, logs.extra, logs.metrics))

# without log_extra/log_metric (older TRL) nothing is logged and nothing breaks
got = calculate_rewards(trl.verif_reward, plain_prompts, [r for _, r in cases],
                        {"label": [label(k) for k, _ in cases]})
t.check(got == want, "older TRL: %s" % got)
t.check(trl.verif_reward.__name__ == "verif", "the reward function's name")

t.done()
