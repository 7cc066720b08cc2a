#!/usr/bin/env bash
# audit.sh: `verif audit` end to end on the 200 VerInstruct samples (records,
# summary, exit statuses, --filter), and its HTML report and that of `verif
# eval --html --compare` (IFEval, IFBench) loaded in a real headless browser
# (Debian's chromium): the totals the page draws equal those of the JSONL,
# of the official report and of each run's result files.  The screenshots
# stay in BUILD/test-artifacts/ (not committed).  Run by scripts/run-tests
# with VERIF set.
set -u
TEST_NAME=audit
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
S=tests/data/verinstruct/samples.jsonl
ART=$(dirname "$V")/test-artifacts
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$ART"
command -v python3 >/dev/null || { bad "python3 is required"; finish; }

# 1. the options
"$V" audit --help >"$T/help" 2>&1 && grep -q "contradiction" "$T/help" && ok || bad "--help"
"$V" audit --input "$S" --bogus >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "unknown option '--bogus'" "$T/err" && ok || bad "unknown option: $(cat "$T/err")"
"$V" audit --input "$S" --filter-kinds vacuous,nonsense >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "unknown finding 'nonsense'" "$T/err" && ok || bad "--filter-kinds: $(cat "$T/err")"
"$V" audit --input "$T/none.jsonl" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "cannot open $T/none.jsonl: No such file" "$T/err" && ok || bad "missing input: $(cat "$T/err")"
"$V" audit --input "$S" --combine all >/dev/null 2>"$T/err"
[ $? -eq 2 ] && ok || bad "a score-only option is refused"

# 2. the samples: records, summary, HTML, filter
"$V" audit --input "$S" --output "$T/a.jsonl" --html "$T/a.html" \
  --filter "$T/clean.jsonl" 2>"$T/a.err"
[ $? -eq 0 ] && ok || bad "audit samples: exit status ($(tail -3 "$T/a.err"))"
python3 - "$T" "$S" <<'PY' && ok || bad "records, summary or filter disagree"
import json, re, sys
T, S = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(f"{T}/a.jsonl")]
items = [json.loads(l) for l in open(S)]
assert len(recs) == sum(len(i["checkers"]) for i in items), len(recs)
err = open(f"{T}/a.err").read()
flagged = sum(1 for r in recs if r["findings"])
assert f"flagged: {flagged} constraints" in err, err
for k in set(f["kind"] for r in recs for f in r["findings"]):
    n = sum(1 for r in recs if any(f["kind"] == k for f in r["findings"]))
    assert re.search(rf"^  {k} +{n}$", err, re.M), (k, n)
for r in recs:
    assert r["error"] is None
    assert (r["kind"] == "rule") == r["audited"], r
    for f in r["findings"]:
        assert f["detail"], f
        if f["probe"] is not None:
            assert "witness" in f and f["witness_bytes"] >= len(f["witness"].encode()) - 0
clean = [json.loads(l) for l in open(f"{T}/clean.jsonl")]
assert len(clean) == len(items)
default = {"vacuous", "never_passes", "gameable", "raises", "timeout", "nondeterministic",
           "reads_instruction", "foreign_import", "tag_mismatch"}
for it, c in zip(items, clean):
    drop = {r["index"] for r in recs if r["line"] == items.index(it) + 1 and
            any(f["kind"] in default for f in r["findings"])}
    want = [x for i, x in enumerate(it["checkers"]) if i not in drop]
    assert c["checkers"] == want, (it["id"], c["checkers"], want)
PY

# 3. exit status 1 when a line cannot be read; blank lines are skipped
{ head -n 2 "$S"; echo; echo '{"id": 1, "prompt": "x", "checkers": ["[rule] A: b"]}'; } > "$T/bad.jsonl"
"$V" audit --input "$T/bad.jsonl" --output "$T/bad.out" 2>"$T/bad.err"
[ $? -eq 1 ] && ok || bad "an unreadable item: exit status"
grep -q '"line":4' "$T/bad.out" && grep -q "bad.jsonl:4: field 'functions' is missing" "$T/bad.out" && ok ||
  bad "the unreadable item's record: $(tail -1 "$T/bad.out")"
grep -q "1 could not be read, 1 blank lines skipped" "$T/bad.err" && ok || bad "summary: $(head -1 "$T/bad.err")"

# 4. the pages in a browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
browse() { # browse HTML OUT.dom OUT.png
  local prof; prof=$(mktemp -d "$T/chromium.XXXXXX")
  local flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
               --disable-component-update --no-first-run --disable-sync
               --user-data-dir="$prof" --window-size=1280,1800)
  timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$1" >"$2" 2>/dev/null &&
    timeout 120 "$CHROMIUM" "${flags[@]}" --screenshot="$3" "file://$1" >/dev/null 2>&1
}
if [ ! -x "$CHROMIUM" ]; then
  skip "browser checks: no chromium at $CHROMIUM (scripts/install-deps installs it)"
  finish
fi
browse "$T/a.html" "$T/a.dom" "$ART/audit-report.png" && [ -s "$ART/audit-report.png" ] && ok ||
  bad "chromium could not load the audit report"
python3 - "$T" <<'PY' && ok || bad "the audit page's totals differ from the JSONL"
import json, re, sys, html
T = sys.argv[1]
dom = open(f"{T}/a.dom").read()
recs = [json.loads(l) for l in open(f"{T}/a.jsonl")]
assert 'data-ready="true"' in dom, "the script did not finish"
def value(id_):
    m = re.search(r'id="%s"[^>]*data-value="([^"]*)"' % id_, dom)
    assert m, id_
    return m.group(1)
assert int(value("table-total")) == len(recs)
flagged = sum(1 for r in recs if r["findings"])
assert int(value("table-flagged")) == flagged
assert int(value("sum-flagged")) == flagged
assert int(value("sum-constraints")) == len(recs)
assert int(value("sum-rule")) == sum(1 for r in recs if r["kind"] == "rule")
bars = {m.group(1): int(m.group(2)) for m in
        re.finditer(r'data-chart="by-kind" data-cat="([^"]+)" data-series="[^"]*" data-value="(\d+)"', dom)}
kinds = ["vacuous", "never_passes", "gameable", "raises", "timeout", "nondeterministic",
         "reads_instruction", "foreign_import", "tag_mismatch", "contradiction", "duplicate",
         "rejects_satisfying", "accepts_violating"]
assert sorted(bars) == sorted(kinds), bars
for k in kinds:
    n = sum(1 for r in recs if any(f["kind"] == k for f in r["findings"]))
    assert bars[k] == n, (k, bars[k], n)
cats = {m.group(1): int(m.group(2)) for m in
        re.finditer(r'data-chart="by-category" data-cat="([^"]+)" data-series="total" data-value="(\d+)"', dom)}
for c, n in cats.items():
    want = sum(len({f["kind"] for f in r["findings"]}) for r in recs if html.unescape(c) == r["category"])
    assert n == want, (c, n, want)
shown = re.search(r'id="table-count" data-shown="(\d+)"', dom)
assert shown and int(shown.group(1)) == flagged, "flagged rows shown first"
PY

"$V" eval ifeval --input_data data/ifeval/input_data.jsonl \
  --input_response_data data/ifeval/input_response_data_gpt4_20231107_145030.jsonl \
  --output_dir "$T/ev" --skip-missing --html "$T/ev.html" \
  --compare tests/data/ifeval/podtech_test_output --label verif --compare-label official \
  >"$T/ev.out" 2>"$T/ev.err"
# status 1: --skip-missing skipped the bundled prompt without a response
[ $? -eq 1 ] && [ -s "$T/ev.html" ] && ok || bad "eval --html: $(tail -3 "$T/ev.err")"
browse "$T/ev.html" "$T/ev.dom" "$ART/eval-report.png" && ok || bad "chromium could not load the eval report"
python3 - "$T" <<'PY' && ok || bad "the eval page's figures differ from the official report"
import re, sys
T = sys.argv[1]
dom, rep = open(f"{T}/ev.dom").read(), open(f"{T}/ev.out").read()
assert 'data-ready="true"' in dom
def value(id_):
    m = re.search(r'id="%s"[^>]*data-value="([^"]*)"' % id_, dom)
    assert m, id_
    return float(m.group(1))
import json
def figures(d):  # what evaluation_main prints, from a run's result files
    out = []
    for mode in ("strict", "loose"):
        rows = [json.loads(l) for l in open(f"{d}/eval_results_{mode}.jsonl")]
        out.append(sum(r["follow_all_instructions"] for r in rows) / len(rows))
        ins = [x for r in rows for x in r["follow_instruction_list"]]
        out.append(sum(ins) / len(ins))
    return out
acc = [float(x) for x in re.findall(r"^(?:prompt|instruction)-level: ([0-9.]+)$", rep, re.M)]
assert len(acc) == 4, acc  # strict prompt, strict instruction, loose prompt, loose instruction
runs = {0: acc, 1: figures("tests/data/ifeval/podtech_test_output")}
assert all(abs(a - b) < 1e-12 for a, b in zip(figures(f"{T}/ev"), acc))
for r, want in runs.items():
    got = [value(f"run{r}-prompt-strict"), value(f"run{r}-instr-strict"),
           value(f"run{r}-prompt-loose"), value(f"run{r}-instr-loose")]
    assert all(abs(a - b) < 1e-9 for a, b in zip(got, want)), (r, got, want)
assert value("run0-prompts") == 540 and value("run1-prompts") == 540
bars = re.findall(r'data-chart="id-strict" data-cat="([^"]+)" data-series="verif" data-value="([0-9.]+)"', dom)
assert len(bars) == 25, len(bars)
PY

# IFBench: eval --html --compare against a second run of the same prompts
# (the sample responses cut to 300 characters, evaluated into D/compare/)
python3 - "$T" <<'PY'
import json, sys
with open(f"{sys.argv[1]}/cut.jsonl", "w") as f:
    for l in open("tests/data/ifbench/sample_output.jsonl"):
        r = json.loads(l)
        r["response"] = r["response"][:300]
        f.write(json.dumps(r) + "\n")
PY
"$V" eval ifbench --input_data tests/data/ifbench/IFBench_test_2025-07_8a66c06.jsonl \
  --input_response_data tests/data/ifbench/sample_output.jsonl \
  --output_dir "$T/ib" --html "$T/ib.html" --compare "$T/cut.jsonl" \
  --label full --compare-label cut >"$T/ib.out" 2>"$T/ib.err"
[ $? -eq 0 ] && [ -s "$T/ib.html" ] && ok || bad "eval ifbench --html: $(tail -3 "$T/ib.err")"
browse "$T/ib.html" "$T/ib.dom" "$ART/eval-ifbench-report.png" && ok ||
  bad "chromium could not load the IFBench eval report"
python3 - "$T" <<'PY' && ok || bad "the IFBench eval page's figures differ from the result files"
import json, re, sys
from collections import defaultdict
T = sys.argv[1]
dom = open(f"{T}/ib.dom").read()
assert 'data-ready="true"' in dom
def value(id_):
    m = re.search(r'id="%s"[^>]*data-value="([^"]*)"' % id_, dom)
    assert m, id_
    return float(m.group(1))
def rows(d, mode):
    return [json.loads(l) for l in open(f"{d}/eval_results_{mode}.jsonl")]
# the first run is the official one (same bytes), the second the cut responses
for r, d in ((0, "tests/data/ifbench"), (1, f"{T}/ib/compare")):
    for mode in ("strict", "loose"):
        rs = rows(d, mode)
        ins = [x for q in rs for x in q["follow_instruction_list"]]
        assert abs(value(f"run{r}-prompt-{mode}") - sum(q["follow_all_instructions"] for q in rs) / len(rs)) < 1e-9
        assert abs(value(f"run{r}-instr-{mode}") - sum(ins) / len(ins)) < 1e-9
        per = defaultdict(list)
        for q in rs:
            for i, ok in zip(q["instruction_id_list"], q["follow_instruction_list"]):
                per[i].append(ok)
        series = ("full", "cut")[r]
        bars = {c: float(v) for c, v in re.findall(
            r'data-chart="id-%s" data-cat="([^"]+)" data-series="%s" data-value="([0-9.]+)"' % (mode, series), dom)}
        assert sorted(bars) == sorted(per), (mode, series, len(bars), len(per))
        for i, oks in per.items():
            assert abs(bars[i] - sum(oks) / len(oks)) < 1e-9, (i, bars[i])
assert value("run0-prompts") == 294 and value("run1-prompts") == 294
assert value("run0-prompt-strict") != value("run1-prompt-strict")
PY
finish
