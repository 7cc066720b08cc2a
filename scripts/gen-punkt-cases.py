#!/usr/bin/python3
# gen-punkt-cases.py: writes tests/data/punkt/cases.jsonl, the expected
# sentence spans and word tokens that tests/unit/test_punkt.c checks.
#
# Run with a Python that has NLTK (Debian's /usr/bin/python3 has 3.8):
#   /usr/bin/python3 scripts/gen-punkt-cases.py [IFEVAL_RESPONSES]
# (default: the repository's data/ifeval GPT-4 responses)
# or, for a larger throw-away random set (checked with
# VF_PUNKT_CASES=FILE build/tests/test_punkt):
#   /usr/bin/python3 scripts/gen-punkt-cases.py --random N SEED FILE
# The reference is NLTK >= 3.8.2 / 3.9.x: PunktSentenceTokenizer with the
# English punkt_tab parameters, the newer _match_potential_end_contexts
# (re-implemented below, since 3.8 has the older one), and word_tokenize =
# NLTKWordTokenizer over each Punkt sentence.
import json
import os
import random
import sys
from collections import defaultdict

from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARAMS = os.path.join(ROOT, "data", "punkt_tab", "english")
OUT = os.path.join(ROOT, "tests", "data", "punkt", "cases.jsonl")
IFEVAL = sys.argv[1] if len(sys.argv) == 2 else os.path.join(
    ROOT, "data", "ifeval", "input_response_data_gpt4_20231107_145030.jsonl")


def file_lines(name):
    """The lines of a parameter file, exactly (no strip), empty ones dropped."""
    with open(os.path.join(PARAMS, name), encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if l]


def load_params():
    p = PunktParameters()
    p.abbrev_types = set(file_lines("abbrev_types.txt"))
    p.collocations = set(tuple(l.split("\t")) for l in file_lines("collocations.tab"))
    p.sent_starters = set(file_lines("sent_starters.txt"))
    ortho = defaultdict(int)
    for l in file_lines("ortho_context.tab"):
        typ, val = l.split("\t")
        ortho[typ] = int(val)
    p.ortho_context = ortho
    return p


class NewerPunkt(PunktSentenceTokenizer):
    """NLTK >= 3.8.2's candidate selection: walk the period-context matches
    right to left; each kept match takes the whitespace-delimited word before
    it (str.rsplit), and matches inside that word are dropped."""

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
        return [(m, before[m] + m.group() + m.group("after_tok")) for m in kept]


SENT = NewerPunkt(load_params())
WORD = NLTKWordTokenizer()


def byte_offsets(text):
    offs = [0]
    for ch in text:
        offs.append(offs[-1] + len(ch.encode("utf-8")))
    return offs


def expect(text):
    offs = byte_offsets(text)
    spans = []
    for b, e in SENT.span_tokenize(text):
        spans += [offs[b], offs[e]]
    toks = [t for s in SENT.tokenize(text) for t in WORD.tokenize(s)]
    assert all(t and not any(c.isspace() for c in t) for t in toks)
    return {"spans": spans, "tokens": " ".join(toks)}


def loose_variants(r):
    """IFEval's eight loose-mode variants of a response, in its order."""
    lines = r.split("\n")
    first = "\n".join(lines[1:]).strip()
    last = "\n".join(lines[:-1]).strip()
    both = "\n".join(lines[1:-1]).strip()
    return [r, r.replace("*", ""), first, last, both,
            first.replace("*", ""), last.replace("*", ""), both.replace("*", "")]


EDGE = [
    "",
    " ",
    "   \n\t  \n",
    "Hello",
    "Hello.",
    "Hello world. This is a test.",
    "Dr. Smith went to Washington. He arrived at 3 p.m. on Monday.",
    "Mr. and Mrs. Jones live in the U.S. They moved in 2019.",
    "The U.S. Army is large. The U.S.A. is a country.",
    "Use tools, e.g. hammers, i.e. heavy things. Then rest.",
    "J. S. Bach wrote music. John F. Kennedy was president.",
    "The value is 3.5 today. It was 2.25 yesterday.",
    "Chapter 1. Introduction. Section 2.1 follows.",
    "Wait... what? Really!!! Yes.",
    "Wait . . . what happened. . . . Nothing.",
    "He said \"Stop.\" Then he left.",
    "(How does it deal with this parenthesis?)  \"It should be part of the\n"
    "previous sentence.\" \"(And the same with this one.)\" ('And this one!')\n"
    "\"('(And (this)) '?)\" [(and this. )]",
    "She said, 'Hi.' He said, 'Bye.'",
    "Is it [done.] Yes {really.} OK.",
    "Café owners in Zürich sell crème brûlée. Él habló. Ünal left.",
    "Ελληνικά κείμενα. ΑΛΛΑ ΚΕΦΑΛΑΙΑ. Τέλος.",
    "日本語の文です。これは二番目。 English follows. Done.",
    "Line one\nLine two. Line three\n\nNew paragraph. End",
    "I don't know. DON'T shout! We can't, won't, shouldn't.",
    "I'm gonna do it. You wanna come? Gimme that. Lemme see. Gotta go.",
    "I cannot go. CANNOT! d'ye see? more'n enough. 'Tis true. 'twas fine.",
    "They'll, we're, you've, he'd, I'm, it's: THEY'LL WE'RE YOU'VE.",
    "Wait--what? A -- B --- C.",
    "``Quoted'' text and \"double quotes\" and ''two singles''.",
    "“Curly quotes” and ‘single curly’ and «guillemets» and „low‟.",
    "The year’s end. Rock ’n’ roll. O’Brien’s.",
    "Email me at a@b.com. Costs $5 & 10% more; #1 choice.",
    "*Bold* and **strong** and * star. End*",
    "<tag> and [bracket] and {brace} and (paren).",
    "NASA and the FBI met. THE END. OK!",
    "A.\nB.\nC.",
    "1. First item.\n2. Second item.\n3. Third.",
    "Prices: 1,000; 2,500: and 3,5. Hmm, ok,fine:yes",
    "Trailing comma,",
    "Trailing colon:",
    "'Hello,' she said. 'x' marks the spot. 'A' is a letter.",
    "The 'quoted' word. 'Q' isn't here.",
    "Non-breaking\u00a0space. Ideographic\u3000space. Em\u2003space.",
    "Weird\x1cseparators\x1dhere.\x1e Next\x1fone.",
    "Tab\tseparated. Sentences\there.",
    "Ends with spaces.   ",
    "   Starts with spaces. Yes.",
    "Hello . World",
    "Dr . Smith is here. Mr.Smith too.",
    "end.\"Next",
    "He left.) Then she came.",
    "What?! No way?! Ok.",
    "Version 2.0.1. Released. v3. Yes.",
    "ſtrange ſ letters. 'ſ and 'S and 's.",
    "gİmme and gımme and GIMME. 'TİS 'TIS fine.",
    "İstanbul is big. ıstanbul is not a spelling.",
    "Numbers ٣.٥ and ² and ½. Arabic ٣. Done.",
    "a.m. p.m. etc. Inc. Co. Ltd. Jan. Feb. St. vs. al. Fig.",
    "e-mail. self-contained. non-U.S. Yes.",
    "Go to http://example.com/a.b.c. Then stop.",
    "!!!",
    "...",
    ". . .",
    "?",
    "'",
    "\"",
    "A",
    "x. y. z.",
    "The end.\n\n\n",
    "He said:\n\"Yes.\"\nShe said:\n\"No.\"",
    "ΣΑΣ. ΟΔΟΣ. σας.",
]

ALPHABET = [
    "Dr.", "Mr.", "U.S.", "e.g.", "i.e.", "etc.", "3.5", "1.", "A.", "J.",
    "...", ". . .", "..", "!", "?", "?!", '"', "'", "''", "``", "`", "(", ")",
    "[", "]", "{", "}", "<", ">", "--", "-", "\u2014", "\u2013", "\u00ab",
    "\u00bb", "\u201c", "\u201d", "\u2018", "\u2019", "\u201e", ",", ":", ";",
    "@", "#", "$", "%", "&", "*", " ", " ", " ", " ", "\n", "\n\n", "\t",
    "\u00a0", "\u3000", "Hello", "world", "The", "THE", "the", "can", "not",
    "cannot", "CANNOT", "gonna", "wanna", "gimme", "g\u0130mme", "lemme",
    "gotta", "d'ye", "more'n", "'t", "'tis", "'twas", "'T", "IS", "was",
    "don't", "DON'T", "won't", "I'm", "it's", "'s", "'S", "'ll", "'LL", "'re",
    "n't", "N'T", "'ve", "'d", "'m", "x", "\u017f", "caf\u00e9", "\u00c9COLE",
    "\u03a3", "\u0391\u03a3", "stra\u00dfe", "\u0130", "\u0131", "\u0663",
    "\u00b2", "\u00bd", "_", "0", "42", "3,000", "-5", ".5", ",5", "a.m.",
    "No.", "no.", "Inc.", "Jan.", "St.", "vs.", "al.", "et", "smith",
    "Smith", "he", "He", "It", "it", "Bach", "S.", "said", "##", "**", "1)",
    "a)", "x.com/a.b", "e-mail.", "U.S.A.", "b.", "I.", "co.", "Q.", "'A",
    "'x", "\u2026", "\u2012", "\u2015", "\x1c", "\x85", "\u2028", "\r\n",
]


CHARS = list(".?!.,;:'\"`()[]{}<>-*@#$%&  \n\t\u00a0\u2003aAbBcCdDnNtTsSiIxXyYeE019"
             "\u0663\u00b2_\u0130\u0131\u017f\u00ab\u00bb\u201c\u201d\u2018\u2019"
             "\u201e\u2014\u2026\x1c\x85\u2028\u03a3\u00e9\u00c9")


def random_cases(n, seed=1):
    """Strings of random pieces (words, abbreviations, punctuation) and,
    every third one, of random single characters."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 3 == 2:
            out.append("".join(rng.choice(CHARS) for _ in range(rng.randint(0, 40))))
        else:
            out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 14))))
    return out


def write_rows(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--random":
        n, seed, path = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        write_rows(path, [dict(id=f"rand-{i}", text=t, **expect(t))
                          for i, t in enumerate(random_cases(n, seed))])
        print(f"wrote {n} random cases to {path}")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    rows = []
    for i, text in enumerate(EDGE):
        rows.append(dict(id=f"edge-{i}", text=text, **expect(text)))
    for i, text in enumerate(random_cases(3000)):
        rows.append(dict(id=f"rand-{i}", text=text, **expect(text)))
    seen = set()
    with open(IFEVAL, encoding="utf-8") as f:
        for line_no, line in enumerate(f):
            resp = json.loads(line)["response"]
            for v, text in enumerate(loose_variants(resp)):
                if text in seen:
                    continue
                seen.add(text)
                rows.append(dict(id=f"ifeval-{line_no}-{v}", ifeval_line=line_no,
                                 variant=v, **expect(text)))
    write_rows(OUT, rows)
    print(f"wrote {len(rows)} cases to {OUT}")


if __name__ == "__main__":
    main()
