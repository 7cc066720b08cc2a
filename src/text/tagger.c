/*
 * tagger.c: the averaged-perceptron tagger of tagger.h.
 *
 * NLTK's PerceptronTagger.tag walks the tokens left to right: a word of
 * its tag dictionary gets that tag; any other word gets the class with the
 * highest score (ties: the greater tag name), the score of a class being
 * the sum, feature after feature in the order _get_features adds them, of
 * that feature's weight for the class.  The fourteen features name the
 * word, its neighbours (normalised: "!HYPHEN", "!YEAR", "!DIGITS" or
 * lower()) and the two previous tags.  Weights are thousandths in the data
 * file; k / 1000.0 is the double NLTK stores (see gen-tagger-data.py).
 */
#include "text/tagger.h"

#include <stdlib.h>
#include <string.h>

#include "text/lexicon.h"
#include "text/punkt.h"
#include "text/strtab.h"
#include "text/text.h"

enum { MAX_CLASSES = 64 };

struct vf_tagger {
  char *names[MAX_CLASSES]; /* sorted, as Python compares str */
  uint32_t packed[MAX_CLASSES]; /* names of up to 4 bytes, in a word */
  size_t nclasses;
  vf_strtab *classes; /* name -> index */
  vf_strtab *tagdict; /* word -> class */
  vf_strtab *feats;   /* feature -> index into start */
  uint32_t *start;    /* feature f's weights: [start[f], start[f + 1]) */
  uint8_t *wcls;
  double *w;
  size_t nfeat, nw, capfeat, capw;
};

void vf_tagger_free(vf_tagger *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->nclasses; i++)
    free(t->names[i]);
  vf_strtab_free(t->classes);
  vf_strtab_free(t->tagdict);
  vf_strtab_free(t->feats);
  free(t->start);
  free(t->wcls);
  free(t->w);
  free(t);
}

/* ---- loading -------------------------------------------------------------- */

typedef struct loader {
  vf_tagger *t;
  const char *dir, *file;
  vf_buf path, text;
  vf_error *err;
} loader;

static vf_status bad_line(loader *l, size_t line, const char *what) {
  return vf_set_error(l->err, VF_EDATA, "%s:%zu: %s", l->path.data, line,
                      what);
}

/* Reads dir/name into l->text (l->path names it for messages). */
static vf_status read_part(loader *l, const char *name) {
  vf_buf_reset(&l->path);
  vf_buf_reset(&l->text);
  if (vf_buf_printf(&l->path, "%s/%s", l->dir, name))
    return vf_set_error(l->err, VF_ENOMEM, "out of memory");
  return vf_file_read(l->path.data, &l->text, l->err);
}

static vf_status load_classes(loader *l) {
  vf_tagger *t = l->t;
  vf_status st = read_part(l, "classes.txt");
  size_t pos = 0, b, e, line = 0;
  while (!st && vf_line_next(l->text.data, l->text.len, &pos, &b, &e)) {
    const char *s = l->text.data + b;
    line++;
    if (e == b || t->nclasses == MAX_CLASSES ||
        (t->nclasses && strcmp(t->names[t->nclasses - 1], s) >= 0))
      return bad_line(l, line, "expected one tag a line, sorted, at most 64");
    l->text.data[e] = '\0';
    t->names[t->nclasses] = strdup(s);
    if (e - b <= 4)
      memcpy(&t->packed[t->nclasses], s, e - b);
    if (!t->names[t->nclasses] ||
        vf_strtab_put(t->classes, s, e - b, (uint32_t)t->nclasses) < 0)
      return vf_set_error(l->err, VF_ENOMEM, "out of memory");
    t->nclasses++;
  }
  if (!st && !t->nclasses)
    return bad_line(l, 1, "no tags");
  return st;
}

/* The class named s[0..n), or -1.  Tags are short: up to 4 bytes they
 * are compared packed in a word (the weights file names 271k of them). */
static long class_of(const vf_tagger *t, const char *s, size_t n) {
  if (n >= 1 && n <= 4) {
    uint32_t key = 0;
    memcpy(&key, s, n);
    for (size_t k = 0; k < t->nclasses; k++)
      if (t->packed[k] == key)
        return (long)k;
  }
  uint32_t c;
  return vf_strtab_get(t->classes, s, n, &c) ? (long)c : -1;
}

/* A decimal integer with an optional '-' at *p (ending at e, ' ' or NUL);
 * advances *p past it.  False when there is none or it is too long. */
static bool parse_int(const char **p, const char *e, long long *out) {
  const char *s = *p;
  bool neg = s < e && *s == '-';
  s += neg;
  long long v = 0;
  const char *d = s;
  while (s < e && *s >= '0' && *s <= '9' && s - d < 15)
    v = v * 10 + (*s++ - '0');
  if (s == d || (s < e && *s != ' '))
    return false;
  *out = neg ? -v : v;
  *p = s;
  return true;
}

static vf_status load_tagdict(loader *l) {
  vf_status st = read_part(l, "tagdict.tsv");
  size_t pos = 0, b, e, line = 0;
  while (!st && vf_line_next(l->text.data, l->text.len, &pos, &b, &e)) {
    const char *s = l->text.data + b;
    const char *tab = memchr(s, '\t', e - b);
    line++;
    long c = tab ? class_of(l->t, tab + 1, e - b - (size_t)(tab + 1 - s)) : -1;
    if (c < 0 || !vf_utf8_valid(s, (size_t)(tab - s), NULL))
      return bad_line(l, line, "expected \"word<TAB>tag\" with a known tag");
    if (vf_strtab_put(l->t->tagdict, s, (size_t)(tab - s), (uint32_t)c) < 0)
      return vf_set_error(l->err, VF_ENOMEM, "out of memory");
  }
  return st;
}

static int push_weight(vf_tagger *t, long c, long long k) {
  if (t->nw == t->capw) {
    size_t cap = t->capw ? t->capw * 2 : 1 << 18;
    uint8_t *wc = realloc(t->wcls, cap);
    if (!wc)
      return -1;
    t->wcls = wc;
    double *w = realloc(t->w, cap * sizeof *w);
    if (!w)
      return -1;
    t->w = w, t->capw = cap;
  }
  t->wcls[t->nw] = (uint8_t)c;
  t->w[t->nw++] = (double)k / 1000.0;
  return 0;
}

static int push_feature(vf_tagger *t) {
  if (t->nfeat + 2 > t->capfeat) {
    size_t cap = t->capfeat ? t->capfeat * 2 : 1 << 16;
    uint32_t *s = realloc(t->start, cap * sizeof *s);
    if (!s)
      return -1;
    t->start = s, t->capfeat = cap;
  }
  t->start[t->nfeat++] = (uint32_t)t->nw;
  t->start[t->nfeat] = (uint32_t)t->nw;
  return 0;
}

/* "TAG k TAG k ..." of one feature line, in [p, e). */
static vf_status parse_weights(loader *l, const char *p, const char *e,
                               size_t line) {
  while (p < e) {
    const char *sp = memchr(p, ' ', (size_t)(e - p));
    long c = sp ? class_of(l->t, p, (size_t)(sp - p)) : -1;
    long long k = 0;
    p = sp ? sp + 1 : e;
    if (c < 0 || !parse_int(&p, e, &k))
      return bad_line(l, line, "expected \"TAG weight\" pairs");
    if (push_weight(l->t, c, k))
      return vf_set_error(l->err, VF_ENOMEM, "out of memory");
    p += p < e;
  }
  return VF_OK;
}

static vf_status load_weights(loader *l) {
  vf_tagger *t = l->t;
  vf_status st = read_part(l, "weights.tsv");
  size_t pos = 0, b, e, line = 0;
  while (!st && vf_line_next(l->text.data, l->text.len, &pos, &b, &e)) {
    char *s = l->text.data + b;
    char *tab = memchr(s, '\t', e - b);
    line++;
    if (!tab)
      return bad_line(l, line, "expected \"feature<TAB>TAG weight ...\"");
    if (push_feature(t))
      return vf_set_error(l->err, VF_ENOMEM, "out of memory");
    int rc = vf_strtab_put(t->feats, s, (size_t)(tab - s),
                           (uint32_t)(t->nfeat - 1));
    if (rc < 0)
      return vf_set_error(l->err, VF_ENOMEM, "out of memory");
    if (rc > 0)
      return bad_line(l, line, "feature listed twice");
    st = parse_weights(l, tab + 1, l->text.data + e, line);
    t->start[t->nfeat] = (uint32_t)t->nw;
  }
  return st;
}

vf_status vf_tagger_load(const char *dir, vf_tagger **out, vf_error *err) {
  *out = NULL;
  vf_tagger *t = calloc(1, sizeof *t);
  loader l = {.t = t, .dir = dir, .err = err};
  vf_status st = VF_OK;
  if (t) {
    t->classes = vf_strtab_new();
    t->tagdict = vf_strtab_new();
    t->feats = vf_strtab_new();
  }
  if (!t || !t->classes || !t->tagdict || !t->feats)
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st)
    st = load_classes(&l);
  if (!st)
    st = load_tagdict(&l);
  if (!st)
    st = load_weights(&l);
  vf_buf_free(&l.path);
  vf_buf_free(&l.text);
  if (st) {
    vf_tagger_free(t);
    return st;
  }
  *out = t;
  return VF_OK;
}

/* ---- tagging ---------------------------------------------------------------- */

/* Byte offset of the start of the last k code points of s[0..n). */
static size_t tail_cps(const char *s, size_t n, int k) {
  size_t i = n;
  while (i > 0 && k-- > 0)
    i = vf_utf8_prev(s, i);
  return i;
}

static bool all_digits(const char *s, size_t n, size_t *ncp) {
  *ncp = 0;
  for (size_t i = 0; i < n; (*ncp)++) {
    int32_t cp;
    i += vf_utf8_decode(s, n, i, &cp);
    if (!vf_py_isdigit_cp(cp))
      return false;
  }
  return n > 0;
}

/* PerceptronTagger.normalize(word), appended to out. */
static int normalize(const vf_token *w, vf_buf *out) {
  size_t ncp;
  if (w->len && w->s[0] != '-' && memchr(w->s, '-', w->len))
    return vf_buf_append(out, "!HYPHEN", 7);
  if (all_digits(w->s, w->len, &ncp) && ncp == 4)
    return vf_buf_append(out, "!YEAR", 5);
  if (w->len) {
    int32_t cp;
    vf_utf8_decode(w->s, w->len, 0, &cp);
    if (vf_py_isdigit_cp(cp))
      return vf_buf_append(out, "!DIGITS", 7);
  }
  return vf_py_lower(w->s, w->len, out);
}

/* The normalised context: START, START2, the words, END, END2, as spans
 * of one buffer (words past need are not normalised: never looked at). */
typedef struct context {
  vf_buf text;
  size_t *off; /* n + 5 offsets: item i is [off[i], off[i + 1]) */
} context;

static int build_context(const vf_token *toks, size_t n, size_t need,
                         context *cx) {
  static const char *const start[2] = {"-START-", "-START2-"};
  static const char *const end[2] = {"-END-", "-END2-"};
  cx->off = malloc((n + 5) * sizeof *cx->off);
  if (!cx->off)
    return -1;
  size_t k = 0;
  for (int i = 0; i < 2; i++) {
    cx->off[k++] = cx->text.len;
    if (vf_buf_append(&cx->text, start[i], strlen(start[i])))
      return -1;
  }
  for (size_t i = 0; i < n; i++) {
    cx->off[k++] = cx->text.len;
    if (i < need && normalize(&toks[i], &cx->text))
      return -1;
  }
  for (int i = 0; i < 2; i++) {
    cx->off[k++] = cx->text.len;
    if (vf_buf_append(&cx->text, end[i], strlen(end[i])))
      return -1;
  }
  cx->off[k] = cx->text.len;
  return 0;
}

static const char *cx_item(const context *cx, size_t i, size_t *len) {
  *len = cx->off[i + 1] - cx->off[i];
  return cx->text.data + cx->off[i];
}

/* A feature being scored: its key is assembled in key. */
typedef struct scorer {
  const vf_tagger *t;
  vf_buf key;
  double score[MAX_CLASSES];
} scorer;

/* add(name, *args): the key "name arg1 arg2 ..." adds its weights. */
static int add(scorer *sc, const char *name, int nargs, const char *a,
               size_t an, const char *b, size_t bn) {
  vf_buf_reset(&sc->key);
  if (vf_buf_append(&sc->key, name, strlen(name)) ||
      (nargs > 0 && (vf_buf_putc(&sc->key, ' ') ||
                     vf_buf_append(&sc->key, a, an))) ||
      (nargs > 1 &&
       (vf_buf_putc(&sc->key, ' ') || vf_buf_append(&sc->key, b, bn))))
    return -1;
  uint32_t f;
  if (!vf_strtab_get(sc->t->feats, sc->key.data, sc->key.len, &f))
    return 0;
  for (uint32_t k = sc->t->start[f]; k < sc->t->start[f + 1]; k++)
    sc->score[sc->t->wcls[k]] += sc->t->w[k];
  return 0;
}

#define ADD1(name, a, an) add(sc, name, 1, a, an, NULL, 0)
#define ADD2(name, a, an, b, bn) add(sc, name, 2, a, an, b, bn)

/* _get_features(i, word, context, prev, prev2), scored as they are added.
 * c is the index of word in the context (i + 2). */
static int score_features(scorer *sc, const vf_token *w, const context *cx,
                          size_t c, const char *prev, const char *prev2) {
  size_t n1, n2, p1, p2, cn, pn = strlen(prev), p2n = strlen(prev2);
  const char *cur = cx_item(cx, c, &cn);
  const char *m1 = cx_item(cx, c - 1, &n1), *m2 = cx_item(cx, c - 2, &n2);
  const char *a1 = cx_item(cx, c + 1, &p1), *a2 = cx_item(cx, c + 2, &p2);
  size_t suf = tail_cps(w->s, w->len, 3);
  size_t pref = 0;
  int32_t cp;
  if (w->len)
    pref = vf_utf8_decode(w->s, w->len, 0, &cp);
  size_t m1s = tail_cps(m1, n1, 3), a1s = tail_cps(a1, p1, 3);
  return add(sc, "bias", 0, NULL, 0, NULL, 0) ||
         ADD1("i suffix", w->s + suf, w->len - suf) ||
         ADD1("i pref1", w->s, pref) || ADD1("i-1 tag", prev, pn) ||
         ADD1("i-2 tag", prev2, p2n) ||
         ADD2("i tag+i-2 tag", prev, pn, prev2, p2n) ||
         ADD1("i word", cur, cn) ||
         ADD2("i-1 tag+i word", prev, pn, cur, cn) ||
         ADD1("i-1 word", m1, n1) || ADD1("i-1 suffix", m1 + m1s, n1 - m1s) ||
         ADD1("i-2 word", m2, n2) || ADD1("i+1 word", a1, p1) ||
         ADD1("i+1 suffix", a1 + a1s, p1 - a1s) || ADD1("i+2 word", a2, p2);
}

/* max(classes, key=lambda label: (scores[label], label)). */
static const char *best_class(const scorer *sc) {
  size_t best = 0;
  for (size_t k = 1; k < sc->t->nclasses; k++)
    if (sc->score[k] >= sc->score[best])
      best = k;
  return sc->t->names[best];
}

int vf_tagger_tag(const vf_tagger *t, const vf_token *toks, size_t n,
                  size_t upto, const char **tags) {
  context cx = {{0}, NULL};
  scorer sc = {.t = t};
  int rc = build_context(toks, n, upto + 2 < n ? upto + 2 : n, &cx);
  const char *prev = "-START-", *prev2 = "-START2-";
  for (size_t i = 0; i < upto && !rc; i++) {
    uint32_t c;
    if (vf_strtab_get(t->tagdict, toks[i].s, toks[i].len, &c)) {
      tags[i] = t->names[c];
    } else {
      memset(sc.score, 0, sizeof sc.score);
      rc = score_features(&sc, &toks[i], &cx, i + 2, prev, prev2);
      tags[i] = best_class(&sc);
    }
    prev2 = prev;
    prev = tags[i];
  }
  vf_buf_free(&cx.text);
  vf_buf_free(&sc.key);
  free(cx.off);
  return rc ? -1 : 0;
}

/* ---- token lists -------------------------------------------------------------- */

typedef struct collector {
  vf_toklist *l;
  int rc;
} collector;

static void collect(void *ud, const char *tok, size_t n) {
  collector *c = ud;
  vf_toklist *l = c->l;
  if (c->rc)
    return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    size_t *end = realloc(l->end, cap * sizeof *end);
    if (!end) {
      c->rc = -1;
      return;
    }
    l->end = end;
    vf_token *t = realloc(l->tok, cap * sizeof *t);
    if (!t) {
      c->rc = -1;
      return;
    }
    l->tok = t, l->cap = cap;
  }
  if (vf_buf_append(&l->text, tok, n)) {
    c->rc = -1;
    return;
  }
  l->end[l->n++] = l->text.len;
}

int vf_toklist_words(vf_toklist *l, const vf_punkt *p, const char *s,
                     size_t len) {
  return vf_toklist_words_upto(l, p, s, len, 0);
}

int vf_toklist_words_upto(vf_toklist *l, const vf_punkt *p, const char *s,
                          size_t len, size_t upto) {
  collector c = {l, 0};
  l->n = 0;
  vf_buf_reset(&l->text);
  if (vf_word_tokenize_upto(p, s, len, upto, collect, &c) || c.rc)
    return -1;
  for (size_t i = 0; i < l->n; i++) {
    size_t b = i ? l->end[i - 1] : 0;
    l->tok[i] = (vf_token){l->text.data + b, l->end[i] - b};
  }
  return 0;
}

void vf_toklist_free(vf_toklist *l) {
  free(l->tok);
  free(l->end);
  vf_buf_free(&l->text);
  memset(l, 0, sizeof *l);
}
