#!/usr/bin/python3
"""gen-tagger-cases.py: writes tests/data/tagger/cases.jsonl, NLTK 3.8's
word_tokenize and pos_tag on many texts, which tests/unit/test_tagger.c
checks verif's tokenizer and tagger against (every token, every tag).

    /usr/bin/python3 scripts/gen-tagger-cases.py MODEL_DIR

MODEL_DIR holds the official averaged_perceptron_tagger_eng.*.json files
(nltk_data taggers/averaged_perceptron_tagger_eng/; see data/NOTICE).  How
NLTK is set up offline is described in scripts/nltk_ref.py.

Cases, one JSON object a line:
  {"id", "source": "ifbench"|"ifeval", "index": i, "ntok", "tokhash", "tags"}
      the response on line i of tests/data/ifbench/sample_output.jsonl or of
      data/ifeval/input_response_data_gpt4_20231107_145030.jsonl, tokenized
      (ntok tokens whose tokens_hash is tokhash) and tagged;
  {"id", "text", "tokens", "tags"}   a hand-written or random text;
  {"id", "tokens", "tags"}           pos_tag on a given token list.
"tokens" and "tags" are lists; "tags" is a string of space-joined tags
for the long sources.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nltk  # noqa: E402
import nltk_ref  # noqa: E402

ROOT = nltk_ref.ROOT
OUT = os.path.join(ROOT, "tests", "data", "tagger", "cases.jsonl")
SOURCES = {
    "ifbench": os.path.join(ROOT, "tests", "data", "ifbench",
                            "sample_output.jsonl"),
    "ifeval": os.path.join(ROOT, "data", "ifeval",
                           "input_response_data_gpt4_20231107_145030.jsonl"),
}

TEXTS = [
    "", " ", "Run.", "Run!", "run quickly to the store", "Write a poem.",
    "Running is fun.", "Consider the state-of-the-art methods.",
    "In 1999 we had 42 cats and 3.14 dogs; 2020-01-01 was a Wednesday.",
    "Use \"quotes\" and 'single quotes' here.", "İstanbul is big. ΣΊΣΥΦΟΣ too.",
    "Café naïve résumé — fine…", "Don't stop; won't stop; can't stop.",
    "Ask: why? Answer: because!", "1984 was a book. 1984! ١٩٨٤ ²³",
    "-leading hyphen and trailing- hyphen - alone", "e-mail x-ray X-Men",
    "Mr. Smith went to Washington D.C. yesterday.", "U.S.A. is a country.",
    "Let's go!!! Now??? OK...", "(parenthesised) [bracketed] {braced}",
    "😀 emoji first then words", "Give me 5 reasons.", "Describe it.",
    "Please list three items:\n* one\n* two\n* three",
    "The The the THE tHe", "A", "I", "a", "Is it?", "Be careful.",
]

EDGE_TOKENS = [
    [], [""], ["", "", ""], ["-"], ["--"], ["-x"], ["x-"], ["a-b"],
    ["1999"], ["19999"], ["199"], ["१९९९"], ["²³⁴⁵"], ["3rd"], ["3-4"],
    ["İ"], ["ΣΑΣ"], ["Straße"], ["ǅ"], ["hello", "world"],
    ["The", "cat"], ["run"], ["Run"], ["RUN"], ["runs"], ["running"],
    ["’"], ["``", "''"], ["a", "b", "c", "d", "e", "f"],
    ["-START-"], ["-END-"], ["!HYPHEN"], ["!YEAR"], ["!DIGITS"],
    ["i", "suffix"], ["bias"], ["x y"], ["tab\there"],
]


def read_responses(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l)["response"] for l in f if l.strip()]


def random_tokens(rng, vocab):
    extra = ["1999", "2024", "42", "3.5", "-", "x-y", "CamelCase", "É",
             "ö", "日本", "", "'s", "n't", "''", "``", ",", ".", "!", "?"]
    return [rng.choice(vocab + extra) for _ in range(rng.randint(1, 12))]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tagger = nltk_ref.install(sys.argv[1])
    cases = []
    for src, path in SOURCES.items():
        for i, text in enumerate(read_responses(path)):
            toks = nltk.word_tokenize(text)
            tags = [t for _, t in nltk.pos_tag(toks)]
            cases.append({"id": f"{src}-{i}", "source": src, "index": i,
                          "ntok": len(toks),
                          "tokhash": nltk_ref.tokens_hash(toks),
                          "tags": " ".join(tags)})
    for i, text in enumerate(TEXTS):
        toks = nltk.word_tokenize(text)
        cases.append({"id": f"text-{i}", "text": text, "tokens": toks,
                      "tags": [t for _, t in nltk.pos_tag(toks)]})
    for i, toks in enumerate(EDGE_TOKENS):
        cases.append({"id": f"tokens-{i}", "tokens": toks,
                      "tags": [t for _, t in nltk.pos_tag(toks)]})
    rng = random.Random(11)
    vocab = sorted(tagger.tagdict)[:400] + [
        w.split(" ", 2)[-1] for w in list(tagger.model.weights)[:3000:7]]
    for i in range(500):
        toks = random_tokens(rng, vocab)
        cases.append({"id": f"random-{i}", "tokens": toks,
                      "tags": [t for _, t in nltk.pos_tag(toks)]})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases, "
          f"{sum(c.get('ntok', len(c.get('tokens', []))) for c in cases)} "
          f"tags -> {OUT}", file=sys.stderr)


main()
