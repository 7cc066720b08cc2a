#!/usr/bin/env python3
"""VerIF's released path for rule checks, timed (used by bench/bench_rows.c).

THU-KEG/VerIF verl/utils/reward_score/local_server/code_executer.py runs
every check in one Python process as: parse the function's text with ast,
exec each import statement it finds into a fresh globals dict, exec the text
into (globals, locals), then call locals['check_following']("instruction",
response); any exception becomes (None, message) after printing the
function and the traceback.  This script does the same for every line of
FILE ({"function", "response"}), PASSES times, and prints
"checks SECONDS" of the best pass to stdout (the checks' own prints go to
/dev/null, as they would to a server's log).

Usage: bench-verif-released.py FILE [PASSES]
"""
import ast
import json
import os
import sys
import time
import traceback


def imports_of(text):
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            out += ["import %s" % a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += ["from %s import %s" % (node.module, a.name) for a in node.names]
    return out


def run_check(response, function):
    env, local = {}, {"response": response}
    try:
        for line in imports_of(function):
            exec(line, env)
        exec(function, env, local)
        fn = local.get("check_following")
        if not callable(fn):
            return None, "Function 'check_following' is missing or not callable"
        return fn("instruction", response), None
    except Exception as e:
        msg = "Execution error: %s\n%s" % (e, traceback.format_exc())
        print(function + "\n" + msg)
        return None, msg


def main():
    work = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    passes = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    real = sys.stdout
    sys.stdout = open(os.devnull, "w")
    best = None
    for _ in range(passes):
        t0 = time.perf_counter()
        for w in work:
            run_check(w["response"], w["function"])
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    real.write("%d %.6f\n" % (len(work), best))


if __name__ == "__main__":
    main()
