#!/usr/bin/env bash
# score.sh: `verif score` end to end: the three item formats, groups,
# reasoning stripping, the three combinations, bad input (one record per
# line, each error naming file:line and field), and hard scores equal to a
# direct python3 run of the same VerInstruct functions.
set -u
TEST_NAME=score
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v python3 >/dev/null || { bad "python3 is required"; finish; }

# 1. VerInstruct items with GPT-4 responses: verif's hard scores equal a
#    direct python3 call of every [rule] function (exception = false).
python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
rows = [json.loads(l) for l in open("tests/data/verinstruct/samples.jsonl")][:40]
resps = [json.loads(l)["response"] for l in open("data/ifeval/input_response_data_gpt4_20231107_145030.jsonl")]
items, expect = [], []
for i, r in enumerate(rows):
    resp = resps[i * 7 % len(resps)]
    item = dict(r, response="<think>scratch, ignored</think>" + resp)
    items.append(item)
    verdicts = []
    for c, f in zip(r["checkers"], r["functions"]):
        if not c.startswith("[rule]"):
            continue
        g = {}
        try:
            exec(f, g)
            verdicts.append(bool(g["check_following"](r["prompt"], resp)))
        except Exception:
            verdicts.append(False)
    expect.append(sum(verdicts) / len(verdicts) if verdicts else 1.0)
open(f"{T}/vi.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in items))
json.dump(expect, open(f"{T}/vi.expect", "w"))
PY
[ $? -eq 0 ] || { bad "could not build the VerInstruct items (python3 failed above)"; finish; }
"$V" score --input "$T/vi.jsonl" --output "$T/vi.out" 2>"$T/vi.err"
[ $? -eq 0 ] && ok || bad "score VerInstruct: exit status ($(tail -3 "$T/vi.err"))"
python3 - "$T" <<'PY' && ok || bad "VerInstruct hard scores differ from python3"
import json, sys
T = sys.argv[1]
out = [json.loads(l) for l in open(f"{T}/vi.out")]
exp = json.load(open(f"{T}/vi.expect"))
assert len(out) == len(exp), (len(out), len(exp))
for o, e in zip(out, exp):
    assert o["error"] is None, o["error"]
    assert abs(o["hard"]["score"] - e) < 1e-9, (o["id"], o["hard"], e)
    assert o["soft"]["status"] in ("unverified", "skipped"), o["soft"]
    assert o["reward"] == o["hard"]["score"], o
    kinds = [c["kind"] for c in o["checks"]]
    assert all(k in ("rule", "llm") for k in kinds)
PY
grep -q "soft unverified" "$T/vi.err" && ok || bad "summary does not report unverified soft parts"
grep -q "pass rate by checker category" "$T/vi.err" && ok || bad "summary lacks categories"

# 2. formats, groups and combinations on a tiny constructed set
cat > "$T/mix.jsonl" <<'J'
{"id": "a", "prompt": "p", "checkers": ["[rule] Length: short"], "functions": ["def check_following(instruction, response):\n    return len(response) < 10\n"], "response": "tiny"}
{"id": "b", "prompt": "p", "checkers": ["[rule] Length: short", "[rule] Word: has x"], "functions": ["def check_following(instruction, response):\n    return len(response) < 10\n", "def check_following(instruction, response):\n    return 'x' in response\n"], "responses": ["tiny", "a long response without the letter", "x"]}
{"key": 7, "prompt": "Say hi.", "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"], "kwargs": [{}, {"num_words": 2, "relation": "at least"}], "response": "hi there"}
{"prompt": [{"role": "user", "content": "p"}], "reward_model": {"ground_truth": "{\"checkers\": [\"[rule] Case: lower\"], \"functions\": [\"def check_following(instruction, response):\\n    return response.islower()\\n\"]}"}, "response": "<think>Plan</think>all lower"}
J
"$V" score --input "$T/mix.jsonl" --output "$T/mix.out" 2>/dev/null
python3 - "$T" <<'PY' && ok || bad "formats/groups"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1] + "/mix.out")]
assert len(o) == 4
assert o[0]["id"] == "a" and o[0]["reward"] == 1.0
assert [r["hard"]["passed"] for r in o[1]["results"]] == [1, 0, 2], o[1]
assert [r["reward"] for r in o[1]["results"]] == [0.5, 0.0, 1.0]
assert o[2]["id"] == 7 and o[2]["reward"] == 1.0 and o[2]["hard"]["total"] == 2
assert o[3]["reward"] == 1.0, o[3]  # reasoning removed before islower()
PY
"$V" score --input "$T/mix.jsonl" --combine all --keep-reasoning --output "$T/all.out" 2>/dev/null
python3 - "$T" <<'PY' && ok || bad "--combine all / --keep-reasoning"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1] + "/all.out")]
assert [r["reward"] for r in o[1]["results"]] == [0.0, 0.0, 1.0], o[1]
assert o[3]["reward"] == 0.0  # "<think>Plan</think>..." is not all lower case
PY

# 3. bad input: one record per item (the blank line 7 is none), errors name
#    file:line and field; exit status 1 (records carry errors)
printf '%s\n' \
  '{"id": 1, "prompt": "p", "checkers": ["[rule] A"], "functions": [], "response": "r"}' \
  'not json' \
  '{"id": 3, "prompt": "p", "checkers": ["A: untagged"], "functions": ["x"], "response": "r"}' \
  '{"id": 4, "prompt": "p", "checkers": ["[rule] A"], "functions": ["def check_following(:"], "response": "r"}' \
  '{"id": 5, "prompt": "p", "checkers": ["[rule] A"], "functions": ["def check_following(i, r):\n    return 1/0\n"], "response": "r"}' \
  '{"id": 6, "prompt": "p", "checkers": ["[rule] A"], "functions": ["def check_following(i, r):\n    return True\n"], "response": "ok"}' \
  '' > "$T/bad.jsonl"
printf '{"id": 8, "prompt": "p", "checkers": [], "functions": [], "response": "bad \xff"}\n' >> "$T/bad.jsonl"
"$V" score --input "$T/bad.jsonl" --output "$T/bad.out" 2>/dev/null
[ $? -eq 1 ] && ok || bad "bad input: exit status (want 1)"
python3 - "$T" <<'PY' && ok || bad "bad input records"
import json, sys
T = sys.argv[1]
o = [json.loads(l) for l in open(T + "/bad.out")]
assert len(o) == 7, len(o)
e = [r["error"] or "" for r in o]
assert "bad.jsonl:1:" in e[0] and "'checkers' has 1 entries but 'functions' has 0" in e[0], e[0]
assert "bad.jsonl:2: malformed JSON" in e[1], e[1]
assert "bad.jsonl:3:" in e[2] and "untagged checker" in e[2], e[2]
assert "bad.jsonl:4:" in e[3] and "functions'[0]" in e[3], e[3]
assert o[4]["error"] is None and o[4]["reward"] == 0.0 and "ZeroDivisionError" in o[4]["checks"][0]["error"], o[4]
assert o[5]["reward"] == 1.0 and o[5]["id"] == 6
assert "bad.jsonl:8: malformed JSON" in e[6], e[6]   # invalid UTF-8
for r in o[:4] + o[6:]:
    assert r["reward"] is None
PY

finish
