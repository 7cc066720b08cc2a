#!/usr/bin/python3
"""gen-tagger-data.py: writes NLTK's English averaged-perceptron POS tagger
(the model of nltk.pos_tag) in the compact text form verif loads.

    /usr/bin/python3 scripts/gen-tagger-data.py SRC_DIR

SRC_DIR holds the official nltk_data taggers/averaged_perceptron_tagger_eng/
files: averaged_perceptron_tagger_eng.{weights,tagdict,classes}.json (the
weights and tagdict are byte-identical to the model in NLTK 3.8's
averaged_perceptron_tagger.pickle; data/NOTICE names the copies used).
Writes data/averaged_perceptron_tagger_eng/:
  classes.txt   the 45 tags, one a line, sorted;
  tagdict.tsv   "word<TAB>tag" lines, in the JSON's order;
  weights.tsv   "feature<TAB>TAG w TAG w ..." lines, in the JSON's order,
                each weight w an integer in thousandths.
The model's weights are rounded to three decimals when NLTK trains it
(AveragedPerceptron.average_weights), so w / 1000 (one correctly rounded
division) gives back the very double NLTK holds; the script asserts that
for every weight, and that no string holds a tab or a newline.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "averaged_perceptron_tagger_eng")
PREFIX = "averaged_perceptron_tagger_eng."


def load(src, part):
    path = os.path.join(src, PREFIX + part + ".json")
    with open(path, "rb") as f:
        raw = f.read()
    print(f"{path}: {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()}",
          file=sys.stderr)
    return json.loads(raw)


def clean(s):
    assert "\t" not in s and "\n" not in s and "\r" not in s, repr(s)
    return s


def milli(x):
    k = round(x * 1000)
    assert k / 1000 == x, x
    return k


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    weights, tagdict = load(src, "weights"), load(src, "tagdict")
    classes = sorted(load(src, "classes"))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "classes.txt"), "w", newline="\n") as f:
        f.writelines(clean(c) + "\n" for c in classes)
    with open(os.path.join(OUT, "tagdict.tsv"), "w", newline="\n") as f:
        for word, tag in tagdict.items():
            assert tag in classes
            f.write(f"{clean(word)}\t{tag}\n")
    with open(os.path.join(OUT, "weights.tsv"), "w", newline="\n") as f:
        for feat, ws in weights.items():
            assert all(t in classes for t in ws)
            cells = " ".join(f"{t} {milli(w)}" for t, w in ws.items())
            f.write(f"{clean(feat)}\t{cells}\n")
    print(f"{len(classes)} classes, {len(tagdict)} tagdict words, "
          f"{len(weights)} features", file=sys.stderr)


main()
