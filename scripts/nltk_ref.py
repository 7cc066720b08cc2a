"""nltk_ref.py: the NLTK pieces verif's reference runs share (imported by
scripts/gen-tagger-cases.py and scripts/gen-ifbench-cases.py; run them with
Debian's /usr/bin/python3, which has python3-nltk 3.8).

No NLTK data package is installed there, so the models are built from the
files verif ships or from the official JSON:
  * Punkt: the English punkt_tab parameters (data/punkt_tab/english) with
    NLTK >= 3.8.2's candidate selection (_match_potential_end_contexts, as in
    scripts/gen-punkt-cases.py), which verif's Punkt follows;
    word_tokenize(text) is NLTKWordTokenizer over each Punkt sentence, as in
    NLTK 3.8.2+ and 3.9.
  * The POS tagger: NLTK 3.8's own PerceptronTagger class, given the official
    model (averaged_perceptron_tagger_eng.{weights,tagdict,classes}.json, the
    same model as 3.8's averaged_perceptron_tagger.pickle) exactly as its
    decode_json_obj does; pos_tag(tokens) is nltk.pos_tag with that tagger.
  * Stop words: data/nltk_stopwords/english.
"""
import json
import os
from collections import defaultdict

import nltk
from nltk.tag.perceptron import PerceptronTagger
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUNKT = os.path.join(ROOT, "data", "punkt_tab", "english")
STOPWORDS = os.path.join(ROOT, "data", "nltk_stopwords", "english")
assert nltk.__version__ == "3.8", nltk.__version__


def _punkt_lines(name):
    with open(os.path.join(PUNKT, name), encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if l]


def _punkt_params():
    p = PunktParameters()
    p.abbrev_types = set(_punkt_lines("abbrev_types.txt"))
    p.collocations = set(tuple(l.split("\t"))
                         for l in _punkt_lines("collocations.tab"))
    p.sent_starters = set(_punkt_lines("sent_starters.txt"))
    ortho = defaultdict(int)
    for l in _punkt_lines("ortho_context.tab"):
        typ, val = l.split("\t")
        ortho[typ] = int(val)
    p.ortho_context = ortho
    return p


class NewerPunkt(PunktSentenceTokenizer):
    """NLTK >= 3.8.2's _match_potential_end_contexts (3.8 has an older one)."""

    def _match_potential_end_contexts(self, text):
        found = list(self._lang_vars.period_context_re().finditer(text))
        kept, before, limit = [], {}, 0
        for m in reversed(found):
            if kept and m.end() > limit:
                continue
            parts = text[: m.start()].rsplit(maxsplit=1)
            limit = len(parts[0]) if len(parts) == 2 else 0
            before[m] = parts[-1] if parts else ""
            kept.append(m)
        kept.reverse()
        return [(m, before[m] + m.group() + m.group("after_tok"))
                for m in kept]


SENT = NewerPunkt(_punkt_params())
_WORD = NLTKWordTokenizer()


def word_tokenize(text, language="english", preserve_line=False):
    sents = [text] if preserve_line else SENT.tokenize(text)
    return [t for s in sents for t in _WORD.tokenize(s)]


def load_tagger(model_dir):
    """PerceptronTagger with the official JSON model in model_dir."""
    def part(name):
        path = os.path.join(model_dir,
                            f"averaged_perceptron_tagger_eng.{name}.json")
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    tagger = PerceptronTagger(load=False)
    tagger.model.weights = part("weights")
    tagger.tagdict = part("tagdict")
    tagger.classes = set(part("classes"))
    tagger.model.classes = tagger.classes
    return tagger


def load_tagger_tsv(tsv_dir):
    """PerceptronTagger with the model as verif ships it
    (data/averaged_perceptron_tagger_eng/, the same weights, tags and tag
    dictionary; see scripts/gen-tagger-data.py): for timing runs that have
    no copy of the official JSON."""
    def lines(name):
        with open(os.path.join(tsv_dir, name), encoding="utf-8") as f:
            return [l for l in f.read().split("\n") if l]
    tagger = PerceptronTagger(load=False)
    weights = {}
    for l in lines("weights.tsv"):
        feat, cells = l.split("\t")
        c = cells.split(" ") if cells else []
        weights[feat] = {c[i]: int(c[i + 1]) / 1000 for i in range(0, len(c), 2)}
    tagger.model.weights = weights
    tagger.tagdict = dict(l.split("\t") for l in lines("tagdict.tsv"))
    tagger.classes = set(lines("classes.txt"))
    tagger.model.classes = tagger.classes
    return tagger


def install(model_dir=None):
    """Makes nltk.word_tokenize, nltk.pos_tag and the English stop words
    work offline with the models above (the official JSON model in
    model_dir, or verif's copy when None); nltk.download becomes a no-op."""
    tagger = (load_tagger(model_dir) if model_dir else
              load_tagger_tsv(os.path.join(ROOT, "data",
                                           "averaged_perceptron_tagger_eng")))
    nltk.download = lambda *a, **k: True
    nltk.word_tokenize = word_tokenize
    nltk.tokenize.word_tokenize = word_tokenize
    nltk.tag._get_tagger = lambda lang=None: tagger
    with open(STOPWORDS, encoding="utf-8") as f:
        words = f.read().split("\n")
    words = [w for w in words if w]

    class StopWords:
        def words(self, lang):
            assert lang == "english"
            return list(words)
    nltk.corpus.stopwords = StopWords()
    return tagger


def fnv1a64(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def tokens_hash(tokens):
    """FNV-1a 64 of the tokens' UTF-8, each followed by a 0x1F byte."""
    return "%016x" % fnv1a64(b"".join(t.encode("utf-8") + b"\x1f"
                                      for t in tokens))
