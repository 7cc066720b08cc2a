#!/usr/bin/env python3
"""pyexec-expected.py SAMPLES RESPONSES: the reference verdicts for
tests/unit/test_pyexec_fidelity.c and bench/bench_pyexec.c.

Every `[rule]` function of VerInstruct's samples.jsonl (checkers and
functions are parallel lists) is run, unsandboxed, by this interpreter on
every response of an IFEval response file, with the function's own record
prompt as `instruction`.  Each call execs the function text into a fresh
namespace, as verif's workers do.  Output: one line per response, one
character per rule function in file order: 1 (truthy), 0 (falsy) or
E (raised; the fidelity rule counts it as false).  Optional third argument:
how many rule functions to use (the ASan subset).
"""
import json
import sys


def rule_functions(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            for checker, fn in zip(rec["checkers"], rec["functions"]):
                if checker.startswith("[rule]"):
                    out.append((rec["prompt"], fn))
    return out


def verdict(code, prompt, response):
    g = {}
    try:
        exec(code, g)
        return "1" if g["check_following"](prompt, response) else "0"
    except BaseException:  # SystemExit and friends too: an error verdict
        return "E"


def main():
    funcs = rule_functions(sys.argv[1])
    if len(sys.argv) > 3:
        funcs = funcs[: int(sys.argv[3])]
    codes = [(p, compile(f, "<check_following>", "exec")) for p, f in funcs]
    out = sys.stdout
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            response = json.loads(line)["response"]
            out.write("".join(verdict(c, p, response) for p, c in codes))
            out.write("\n")


if __name__ == "__main__":
    main()
