#!/usr/bin/env bash
# redteam.sh: the sandbox's attack reproducers (tests/data/redteam, issue 8)
# through `verif score --workers 1`, one worker so that every row would
# share it if anything were shared.  Every honest row keeps its verdict
# whatever the hostile rows do, under the row boundary (the default) and
# under --isolation shared (where the in-process defences stop these
# reproducers).  With code-object building allowed (VERIF_PYEXEC_FAULT=
# code-objects, for tests only) the memory-corruption reproducer works:
# shared workers then give other rows wrong verdicts (what that option gives
# up, shown live) and the row boundary alone still holds.  The judge key is
# not visible to a row.  forge.jsonl is keyed to Debian 12's libpython3.11
# 3.11.2 and is skipped, with the reason, on any other build.
set -u
TEST_NAME=redteam
. "$(dirname "$0")/lib/harness.bash"
V=${VERIF:-build/verif}
D=tests/data/redteam
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v python3 >/dev/null || { bad "python3 is required"; finish; }

# score FILE ISOLATION [DIR]: "id reward error" per record (group rewards
# joined by commas) into $T/FILE.ISOLATION.
score() {
  "$V" score --workers 1 --isolation "$2" --input "${3:-$D}/$1.jsonl" \
    --output "$T/$1.$2.json" 2>"$T/$1.$2.err" ||
    { bad "$1 ($2): exit status $? ($(tail -2 "$T/$1.$2.err"))"; return; }
  python3 - "$T/$1.$2.json" >"$T/$1.$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    recs = r.get("results") or [r]
    rew = ",".join("null" if x["reward"] is None else "%g" % x["reward"] for x in recs)
    errs = [c["error"] for x in recs for c in x.get("checks", []) if c["error"]]
    print(r["id"], rew, (errs[0] if errs else "-").replace(" ", "_")[:80])
PY
}

# expect FILE ISOLATION ID REWARD: the row's reward(s), as printed above.
expect() {
  local got
  got=$(awk -v id="$3" '$1 == id { print $2 }' "$T/$1.$2")
  [ "$got" = "$4" ] && ok ||
    bad "$1 ($2): $3 got reward '$got', want '$4' ($(awk -v id="$3" '$1 == id { print $3 }' "$T/$1.$2"))"
}

# lru, seed, selfbypass: state left in the interpreter by the poison row.
for iso in row shared; do
  score lru $iso
  expect lru $iso warm 1
  expect lru $iso victim 1
  score seed $iso
  expect seed $iso victim 1
  score selfbypass $iso
  expect selfbypass $iso victim 1
done

# corrupt: in-place memory corruption, which in-process guards cannot see.
for iso in row shared; do
  score corrupt $iso
  for id in victim-before victim; do expect corrupt $iso "$id" 1; done
  expect corrupt $iso victim-group 1,1
  grep -q "code.__new__" "$T/corrupt.$iso" && ok ||
    bad "corrupt ($iso): the attacker was not refused a code object"
done
export VERIF_PYEXEC_FAULT=code-objects
score corrupt row
expect corrupt row attacker 1
for id in victim-before victim; do expect corrupt row "$id" 1; done
expect corrupt row victim-group 1,1
score corrupt shared
expect corrupt shared attacker 1
expect corrupt shared victim-before 1
expect corrupt shared victim 0
expect corrupt shared victim-group 0,0
unset VERIF_PYEXEC_FAULT

# the judge key: not in a row's environment.
cat >"$T/secret.jsonl" <<'JSON'
{"id": "secret", "prompt": "p", "checkers": ["[rule] T: t"], "functions": ["import os\ndef check_following(instruction, response):\n    return not os.environ and os.getenv('VERIF_JUDGE_API_KEY') is None\n"], "response": "a"}
JSON
for iso in row shared; do
  VERIF_JUDGE_API_KEY=sk-redteam-test score secret $iso "$T"
  expect secret $iso secret 1
done

# forge: writes other items' results into a shared worker's result page.
lib=$(ldd "$V" 2>/dev/null | awk '/libpython3\.11/ { print $3 }')
delta=""
if [ -n "$lib" ] && command -v nm >/dev/null; then
  syms=$(nm -D --defined-only "$lib" 2>/dev/null)
  l=$(awk '$3 == "PyLong_Type" { print $1 }' <<<"$syms")
  r=$(awk '$3 == "_PyRuntime" { print $1 }' <<<"$syms")
  [ -n "$l" ] && [ -n "$r" ] && delta=$(printf '%x' $((16#$r - 16#$l)))
fi
if [ "$delta" != "101b80" ]; then
  skip "forge.jsonl: its offsets are Debian 12's libpython3.11 3.11.2 (_PyRuntime - PyLong_Type = 0x101b80); this verif links '${lib:-no libpython3.11}' (0x${delta:-?})"
else
  for iso in row shared; do
    score forge $iso
    expect forge $iso victim1 0
    expect forge $iso victim2 0
  done
fi
finish
