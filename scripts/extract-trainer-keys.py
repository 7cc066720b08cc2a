#!/usr/bin/python3
r"""extract-trainer-keys.py: the valid flags and config keys of the trainer
versions the recipes in examples/ target, read from the frameworks' source.

    /usr/bin/python3 scripts/extract-trainer-keys.py MIRRORS_DIR

MIRRORS_DIR holds git clones (bare is fine) named owner+repo/repo, e.g.
MIRRORS_DIR/verl-project+verl/repo.  Writes tests/data/trainers/<name>.keys:
a header of '#' lines naming the repository, commit and file each key list
was read from, then one key per line, sorted.  tests/contracts/recipes.py
checks every key a recipe uses against these lists.  Needs python3-yaml.
"""
import ast
import os
import subprocess
import sys

import yaml

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "trainers")

# name, repository, commit (or tag), file(s), how to read them
SOURCES = [
    ("verl-1dda039", "verl-project+verl", "1dda039b9",
     "verl/trainer/config/_generated_ppo_trainer.yaml", "yaml"),
    ("verl-v0.7.0", "verl-project+verl", "v0.7.0",
     "verl/trainer/config/_generated_ppo_trainer.yaml", "yaml"),
    ("openrlhf-v0.11.0", "OpenRLHF+OpenRLHF", "v0.11.0",
     "openrlhf/cli/train_ppo_ray.py", "argparse"),
    ("slime-624b824", "THUDM+slime", "624b824a8", "slime/utils/arguments.py", "argparse"),
    ("trl-f2cd577", "huggingface+trl", "f2cd57710",
     "trl/trainer/grpo_config.py trl/trainer/base_config.py", "dataclass"),
]


def show(mirrors, repo, commit, path):
    git = os.path.join(mirrors, repo, "repo")
    full = subprocess.run(["git", "-C", git, "rev-parse", commit + "^{commit}"], check=True,
                          capture_output=True, text=True).stdout.strip()
    text = subprocess.run(["git", "-C", git, "show", "%s:%s" % (full, path)], check=True,
                          capture_output=True, text=True).stdout
    return full, text


def yaml_keys(text):
    """Every dotted path of a nested mapping (leaves and inner nodes)."""
    keys = set()

    def walk(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                path = prefix + str(k)
                keys.add(path)
                walk(v, path + ".")

    walk(yaml.safe_load(text), "")
    return keys


def argparse_flags(text):
    """Every option string given to an add_argument (or slime's reset_arg,
    which re-defaults a Megatron flag) call, f-strings inside
    `for NAME in (constants)` loops expanded (OpenRLHF builds its
    --actor.adam.lr and --critic.adam.lr that way)."""
    flags = set()

    def render(arg, env):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value]
        if not isinstance(arg, ast.JoinedStr):
            return []
        out = [""]
        for part in arg.values:
            if isinstance(part, ast.Constant):
                out = [o + part.value for o in out]
            elif isinstance(part.value, ast.Name) and part.value.id in env:
                out = [o + v for o in out for v in env[part.value.id]]
            else:
                return []
        return out

    def visit(node, env):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and \
                isinstance(node.iter, (ast.Tuple, ast.List)) and \
                all(isinstance(e, ast.Constant) for e in node.iter.elts):
            env = dict(env, **{node.target.id: [str(e.value) for e in node.iter.elts]})
        name = getattr(node.func, "attr", getattr(node.func, "id", "")) \
            if isinstance(node, ast.Call) else ""
        if name in ("add_argument", "reset_arg"):  # slime's reset_arg: Megatron's flags
            for a in node.args:
                flags.update(f for f in render(a, env) if f.startswith("--"))
        for child in ast.iter_child_nodes(node):
            visit(child, env)

    visit(ast.parse(text), {})
    return flags


def dataclass_fields(text):
    """The annotated fields of the config dataclass(es) in the file."""
    fields = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            for st in node.body:
                if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                    fields.add(st.target.id)
    return fields


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(OUT, exist_ok=True)
    readers = {"yaml": yaml_keys, "argparse": argparse_flags, "dataclass": dataclass_fields}
    for name, repo, commit, paths, how in SOURCES:
        keys = set()
        for path in paths.split():
            full, text = show(sys.argv[1], repo, commit, path)
            keys |= readers[how](text)
        keys, path = sorted(keys), paths
        with open(os.path.join(OUT, name + ".keys"), "w") as f:
            f.write("# %s: %s keys of github.com/%s at %s (%s), file %s\n"
                    % (name, how, repo.replace("+", "/"), commit, full, path))
            f.write("# written by scripts/extract-trainer-keys.py; do not edit\n")
            f.write("\n".join(keys) + "\n")
        print("%s: %d keys" % (name, len(keys)), file=sys.stderr)


if __name__ == "__main__":
    main()
