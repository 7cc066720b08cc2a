/*
 * ifevalg.c: the IFEvalG family: open-instruct's 54 training constraints as
 * NeMo-Gym runs them (the verifiable_instructions package at f46a5ac,
 * instructions.py; origin allenai/open-instruct open_instruct/IFEvalG/).
 *
 * Its 25 IFEval ids check exactly as google-research's do, so they reuse
 * ifeval.c's functions; their kwargs follow this reference (a falsy keyword
 * list or keyword is refused, where it would draw random keywords, and so
 * is a letter outside a-z).  The 29 new ids are one small function each.
 * Kwargs the reference replaces by a random value when missing or falsy
 * (`if not N:`) are errors naming the field; where the reference raises
 * inside check_following (e.g. split()[-1] of an empty response) the
 * instruction is not followed, as NeMo-Gym counts an exception, and the
 * reason says what the reference raises.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

/* The family's fixed patterns (its state in the context). */
typedef struct ifevalg_state {
  vf_re *star;  /* \s?\*\*\*\s?   the *** paragraph divider  */
  vf_re *lower; /* \b[a-z]+\b     count:lowercase_counting    */
} ifevalg_state;

vf_status vf_ifevalg_init(vf_ctx *ctx, void **state, vf_error *err) {
  ifevalg_state *s = calloc(1, sizeof *s);
  *state = s;
  if (!s)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  static const char star[] = "\\s?\\*\\*\\*\\s?", lower[] = "\\b[a-z]+\\b";
  vf_status st = vf_re_compile(star, strlen(star), VF_RE_JIT, &s->star, err);
  if (!st)
    st = vf_re_compile(lower, strlen(lower), VF_RE_JIT, &s->lower, err);
  return st;
}

void vf_ifevalg_fini(vf_ctx *ctx, void *state) {
  ifevalg_state *s = state;
  if (!s)
    return;
  vf_re_free(s->star);
  vf_re_free(s->lower);
  free(s);
}

#define STATE(c) ((const ifevalg_state *)(c)->state)
#define KW_INT(c, k) ((c)->kw[k].i)
#define KW_STR(c, k) ((c)->kw[k].s)
#define KW_LEN(c, k) ((c)->kw[k].slen)
#define SCRATCH(c) ((c)->scratch.data ? (c)->scratch.data : "")

static vf_status nomem(vf_error *err) {
  return vf_set_error(err, VF_ENOMEM, "out of memory");
}

static vf_status regex_failed(vf_error *err) {
  return vf_set_error(err, VF_EREGEX,
                      "regular expression failed (match limit or out of "
                      "memory)");
}

/* The reference raises inside check_following: not followed, and why. */
static vf_status raises(vf_verdict *v, const char *what) {
  vf_fail(v, "the reference raises %s here (counted as not followed)", what);
  v->raised = 1;
  return VF_OK;
}

/* "less than" is <, "at least" is >=. */
static bool related(long long found, long long rel, long long want) {
  return rel == VF_REL_LESS ? found < want : found >= want;
}

/* ---- text helpers (Python str semantics) ------------------------------------ */

/* s.strip().lower() of s[0..n) appended to out; -1 on ENOMEM. */
static int strip_lower(const char *s, size_t n, vf_buf *out) {
  size_t b = 0, e = n;
  vf_py_strip(s, &b, &e);
  return vf_py_lower(s + b, e - b, out);
}

/* a.strip().lower() == want (a buffer from strip_lower); -1 on ENOMEM. */
static int equal_stripped_lower(const char *s, size_t n, const vf_buf *want) {
  vf_buf low = {0};
  if (strip_lower(s, n, &low))
    return -1;
  int eq = low.len == want->len &&
           (low.len == 0 || !memcmp(low.data, want->data, low.len));
  vf_buf_free(&low);
  return eq;
}

/* The words of s.split(), as spans. */
typedef struct words {
  vf_span *w;
  size_t n, cap;
} words;

static int split_words(const char *s, size_t n, words *out) {
  size_t pos = 0, b, e;
  out->n = 0;
  while (vf_py_split_next(s, n, &pos, &b, &e)) {
    if (out->n == out->cap) {
      size_t cap = out->cap ? 2 * out->cap : 32;
      vf_span *w = realloc(out->w, cap * sizeof *w);
      if (!w)
        return -1;
      out->w = w, out->cap = cap;
    }
    out->w[out->n++] = (vf_span){b, e};
  }
  return 0;
}

static bool span_eq(const char *a, vf_span x, const char *b, vf_span y) {
  return x.e - x.b == y.e - y.b && !memcmp(a + x.b, b + y.b, x.e - x.b);
}

/* lower(s[0..n)) == want (already lowered). */
static int lower_equals(const char *s, size_t n, const char *want,
                        size_t wlen) {
  vf_buf low = {0};
  if (vf_py_lower(s, n, &low))
    return -1;
  int eq = low.len == wlen && (!wlen || !memcmp(low.data, want, wlen));
  vf_buf_free(&low);
  return eq;
}

/* Tokens of nltk.word_tokenize, copied into one buffer. */
typedef struct tokens {
  vf_buf text;
  vf_span *t;
  size_t n, cap;
  bool oom;
} tokens;

static void add_token(void *ud, const char *tok, size_t len) {
  tokens *tk = ud;
  if (tk->oom)
    return;
  if (tk->n == tk->cap) {
    size_t cap = tk->cap ? 2 * tk->cap : 64;
    vf_span *t = realloc(tk->t, cap * sizeof *t);
    if (!t) {
      tk->oom = true;
      return;
    }
    tk->t = t, tk->cap = cap;
  }
  size_t off = tk->text.len;
  if (vf_buf_append(&tk->text, tok, len)) {
    tk->oom = true;
    return;
  }
  tk->t[tk->n++] = (vf_span){off, off + len};
}

static int word_tokenize(const vf_checker *c, const char *s, size_t n,
                         tokens *tk) {
  vf_buf_reset(&tk->text);
  tk->n = 0;
  if (vf_word_tokenize(c->ctx->punkt, s, n, add_token, tk) || tk->oom)
    return -1;
  return 0;
}

static void tokens_free(tokens *tk) {
  vf_buf_free(&tk->text);
  free(tk->t);
}

/* Python's seq[i] index check: i (maybe negative) into a length; -1 when
 * it raises IndexError. */
static long long py_index(long long i, size_t len) {
  if (i < 0)
    i += (long long)len;
  return i < 0 || i >= (long long)len ? -1 : i;
}

/* ---- prepares ------------------------------------------------------------- */

/* A letter that is one character whose lower() is one of a-z. */
static vf_status prep_letter(vf_checker *c, vf_error *err) {
  if (vf_py_lower(KW_STR(c, 0), KW_LEN(c, 0), &c->scratch))
    return nomem(err);
  const char *l = SCRATCH(c);
  if (vf_utf8_count(KW_STR(c, 0), KW_LEN(c, 0)) != 1 || c->scratch.len != 1 ||
      l[0] < 'a' || l[0] > 'z')
    return vf_set_error(err, VF_EKWARG,
                        "instruction '%s': kwarg 'letter' must be one letter "
                        "a-z or A-Z, got \"%s\" (the reference would draw a "
                        "random letter)",
                        c->def->id, KW_STR(c, 0));
  return VF_OK;
}

/* prompt_to_repeat: the reference raises ValueError when it is empty. */
static vf_status need_prompt(vf_checker *c, vf_error *err) {
  if (KW_LEN(c, 0) == 0)
    return vf_set_error(err, VF_EKWARG,
                        "instruction '%s': kwarg 'prompt_to_repeat' must not "
                        "be empty (the reference raises ValueError)",
                        c->def->id);
  return VF_OK;
}

/* prompt_to_repeat.strip().lower() in scratch. */
static vf_status prep_prompt(vf_checker *c, vf_error *err) {
  vf_status st = need_prompt(c, err);
  if (!st && strip_lower(KW_STR(c, 0), KW_LEN(c, 0), &c->scratch))
    st = nomem(err);
  return st;
}

/* Byte offset of code point index i (0..count) in s. */
static size_t cp_offset(const char *s, size_t n, long long i) {
  size_t off = 0;
  for (long long k = 0; k < i && off < n; k++) {
    int32_t cp;
    off += vf_utf8_decode(s, n, off, &cp);
  }
  return off;
}

/* Python's slice bound: negative counts from the end, then clamped. */
static long long slice_bound(long long i, long long len) {
  if (i < 0)
    i += len;
  return i < 0 ? 0 : i > len ? len : i;
}

/* prompt_to_repeat[n_start:n_end].strip().lower() in scratch. */
static vf_status prep_span(vf_checker *c, vf_error *err) {
  vf_status st = need_prompt(c, err);
  if (st)
    return st;
  const char *p = KW_STR(c, 0);
  size_t n = KW_LEN(c, 0);
  long long len = (long long)vf_utf8_count(p, n);
  long long a = slice_bound(KW_INT(c, 1), len), b = slice_bound(KW_INT(c, 2), len);
  size_t ob = cp_offset(p, n, a), oe = a < b ? cp_offset(p, n, b) : ob;
  return strip_lower(p + ob, oe - ob, &c->scratch) ? nomem(err) : VF_OK;
}

/* Compiles each string kwarg in [0, k) stripped, case-insensitive, as the
 * reference's re.findall(keyword, value, flags=re.IGNORECASE) does. */
static vf_status compile_keywords(vf_checker *c, size_t k, vf_error *err) {
  c->re = calloc(k, sizeof *c->re);
  if (!c->re)
    return nomem(err);
  for (size_t i = 0; i < k; i++) {
    size_t b = 0, e = KW_LEN(c, i);
    vf_py_strip(KW_STR(c, i), &b, &e);
    vf_status st =
        vf_ctx_re_compile(c->ctx, KW_STR(c, i) + b, e - b, VF_RE_I, &c->re[i],
                          err);
    c->nre = i + 1;
    if (st)
      return st;
  }
  return VF_OK;
}

static vf_status prep_keyword(vf_checker *c, vf_error *err) {
  return compile_keywords(c, 1, err);
}

static vf_status prep_two_keywords(vf_checker *c, vf_error *err) {
  return compile_keywords(c, 2, err);
}

/* kwarg 0 stripped and lowered, for case-insensitive word comparisons. */
static vf_status prep_word_lower(vf_checker *c, vf_error *err) {
  return strip_lower(KW_STR(c, 0), KW_LEN(c, 0), &c->scratch) ? nomem(err)
                                                               : VF_OK;
}

/* kwarg 0 stripped (a case-sensitive keyword). */
static vf_status prep_word(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 0);
  vf_py_strip(KW_STR(c, 0), &b, &e);
  return vf_buf_append(&c->scratch, KW_STR(c, 0) + b, e - b) ? nomem(err)
                                                             : VF_OK;
}

/* " " + keyword.strip() + " ". */
static vf_status prep_spaced(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 0);
  vf_py_strip(KW_STR(c, 0), &b, &e);
  return vf_buf_putc(&c->scratch, ' ') ||
                 vf_buf_append(&c->scratch, KW_STR(c, 0) + b, e - b) ||
                 vf_buf_putc(&c->scratch, ' ')
             ? nomem(err)
             : VF_OK;
}

/* copy:repeat_phrase: the stripped phrase in scratch and the pattern
 * rf"{first_word} .*? {last_word}" (the words used as regexes). */
static vf_status prep_phrase(vf_checker *c, vf_error *err) {
  words w = {0};
  vf_status st = prep_word(c, err);
  if (!st && split_words(SCRATCH(c), c->scratch.len, &w))
    st = nomem(err);
  if (!st && w.n == 0)
    st = vf_set_error(err, VF_EKWARG,
                      "instruction 'copy:repeat_phrase': kwarg 'phrase' has "
                      "no words (the reference raises IndexError)");
  vf_buf pat = {0};
  if (!st) {
    const char *p = SCRATCH(c);
    vf_span f = w.w[0], l = w.w[w.n - 1];
    if (vf_buf_append(&pat, p + f.b, f.e - f.b) ||
        vf_buf_append(&pat, " .*? ", 5) || vf_buf_append(&pat, p + l.b, l.e - l.b))
      st = nomem(err);
  }
  free(w.w);
  if (!st) {
    c->re = calloc(1, sizeof *c->re);
    st = c->re ? vf_ctx_re_compile(c->ctx, pat.data, pat.len, 0, &c->re[0], err)
               : nomem(err);
    c->nre = c->re != NULL;
  }
  vf_buf_free(&pat);
  return st;
}

/* ---- copy ------------------------------------------------------------------ */

/* value.strip().lower() == the prepared text (copy, copying_simple,
 * copy_span_idx). */
static vf_status copy_exact(const vf_checker *c, const char *r, size_t n,
                            vf_verdict *v, vf_error *err) {
  int eq = equal_stripped_lower(r, n, &c->scratch);
  if (eq < 0)
    return nomem(err);
  v->pass = eq;
  if (!eq)
    vf_fail(v, "the response (stripped, lower-cased) is not the text to "
               "copy");
  return VF_OK;
}

static vf_status copying_multiple(const vf_checker *c, const char *r, size_t n,
                                  vf_verdict *v, vf_error *err) {
  long long pieces = 0;
  size_t at = 0;
  for (;;) {
    const char *hit = memmem(r + at, n - at, "******", 6);
    size_t end = hit ? (size_t)(hit - r) : n;
    int eq = equal_stripped_lower(r + at, end - at, &c->scratch);
    if (eq < 0)
      return nomem(err);
    pieces++;
    if (!eq) {
      vf_fail(v, "copy %lld (separated by ******) is not the request", pieces);
      return VF_OK;
    }
    if (!hit)
      break;
    at = end + 6;
  }
  v->pass = pieces == KW_INT(c, 1);
  if (!v->pass)
    vf_fail(v, "found %lld copies separated by ******, needs %lld", pieces,
            KW_INT(c, 1));
  return VF_OK;
}

/* The spans re.findall gives for copy:repeat_phrase: the whole matches, or
 * group 1 when the pattern has groups (more than one makes tuples, which
 * the reference then fails on). */
typedef struct found {
  vf_span *s;
  size_t n, cap;
} found;

static int findall(const vf_re *re, const char *r, size_t n, found *f) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, re, r, n))
    return -1;
  size_t mb, me;
  int rc;
  while ((rc = vf_re_iter_next(&it, &mb, &me)) == 1) {
    size_t gb = mb, ge = mb;
    if (vf_re_groups(re) == 0)
      ge = me;
    else if (!vf_re_iter_group(&it, 1, &gb, &ge))
      gb = ge = mb; /* an unset group is "" */
    if (f->n == f->cap) {
      size_t cap = f->cap ? 2 * f->cap : 8;
      vf_span *s = realloc(f->s, cap * sizeof *s);
      if (!s) {
        rc = -1;
        break;
      }
      f->s = s, f->cap = cap;
    }
    f->s[f->n++] = (vf_span){gb, ge};
  }
  vf_re_iter_done(&it);
  return rc < 0 ? -1 : 0;
}

/* Differences between one found phrase and the reference phrase, word by
 * word; -1 when their word counts differ, 2 for "more than one". */
static int phrase_diffs(const char *r, vf_span ph, const words *ref,
                        const char *refp, words *tmp) {
  if (split_words(r + ph.b, ph.e - ph.b, tmp))
    return -2;
  if (tmp->n != ref->n)
    return -1;
  int d = 0;
  for (size_t i = 0; i < tmp->n && d <= 1; i++)
    d += !span_eq(r + ph.b, tmp->w[i], refp, ref->w[i]);
  return d;
}

static vf_status repeat_phrase(const vf_checker *c, const char *r, size_t n,
                               vf_verdict *v, vf_error *err) {
  found f = {0};
  words ref = {0}, tmp = {0};
  vf_status st = VF_OK;
  if (findall(c->re[0], r, n, &f)) {
    st = regex_failed(err);
    goto done;
  }
  if (split_words(SCRATCH(c), c->scratch.len, &ref)) {
    st = nomem(err);
    goto done;
  }
  if ((long long)f.n != KW_INT(c, 1)) {
    vf_fail(v, "found the phrase %zu times, needs %lld", f.n, KW_INT(c, 1));
    goto done;
  }
  if (vf_re_groups(c->re[0]) > 1) {
    st = raises(v, "AttributeError (findall gives tuples)");
    goto done;
  }
  int d = 0;
  for (size_t i = 0; i < f.n; i++) {
    d = phrase_diffs(r, f.s[i], &ref, SCRATCH(c), &tmp);
    if (d == -2) {
      st = nomem(err);
      goto done;
    }
    if (d < 0 || d > 1) {
      vf_fail(v, "repetition %zu %s", i + 1,
              d < 0 ? "has another number of words"
                    : "changes more than one word");
      goto done;
    }
  }
  v->pass = d == 1;
  if (!v->pass)
    vf_fail(v, "the last repetition changes no word");
done:
  free(f.s);
  free(ref.w);
  free(tmp.w);
  return st;
}

/* ---- keywords ------------------------------------------------------------------ */

static vf_status word_once(const vf_checker *c, const char *r, size_t n,
                           vf_verdict *v, vf_error *err) {
  long k = vf_re_count(c->re[0], r, n);
  if (k < 0)
    return regex_failed(err);
  v->pass = k == 1;
  if (!v->pass)
    vf_fail(v, "\"%s\" occurs %ld times, needs exactly once", KW_STR(c, 0), k);
  return VF_OK;
}

static vf_status count_increment_word(const vf_checker *c, const char *r,
                                      size_t n, vf_verdict *v, vf_error *err) {
  long a = vf_re_count(c->re[0], r, n), b = vf_re_count(c->re[1], r, n);
  if (a < 0 || b < 0)
    return regex_failed(err);
  v->pass = a == 1 && b == 2;
  if (!v->pass)
    vf_fail(v, "\"%s\" occurs %ld times (needs 1), \"%s\" %ld times (needs 2)",
            KW_STR(c, 0), a, KW_STR(c, 1), b);
  return VF_OK;
}

static vf_status exclude_word_harder(const vf_checker *c, const char *r,
                                     size_t n, vf_verdict *v, vf_error *err) {
  v->pass = memmem(r, n, SCRATCH(c), c->scratch.len) == NULL;
  if (!v->pass)
    vf_fail(v, "\"%s\" occurs between spaces", KW_STR(c, 0));
  return VF_OK;
}

/* First code point of a word, lower-cased: its code point, or -1 when
 * lower() gives more than one character. */
static int32_t lower_initial(const char *s, size_t n, vf_buf *tmp) {
  unsigned char c0 = (unsigned char)s[0];
  if (c0 < 0x80)
    return c0 >= 'A' && c0 <= 'Z' ? c0 + 32 : c0;
  int32_t cp;
  size_t k = vf_utf8_decode(s, n, 0, &cp);
  vf_buf_reset(tmp);
  if (vf_py_lower(s, k, tmp))
    return -2;
  if (vf_utf8_count(tmp->data, tmp->len) != 1)
    return -1;
  vf_utf8_decode(tmp->data, tmp->len, 0, &cp);
  return cp;
}

static vf_status no_adjacent_consecutive(const vf_checker *c, const char *r,
                                         size_t n, vf_verdict *v,
                                         vf_error *err) {
  words w = {0};
  vf_buf tmp = {0};
  vf_status st = split_words(r, n, &w) ? nomem(err) : VF_OK;
  v->pass = 1;
  int32_t prev = 0;
  for (size_t i = 0; !st && w.n > 1 && i < w.n && v->pass; i++) {
    int32_t cur = lower_initial(r + w.w[i].b, w.w[i].e - w.w[i].b, &tmp);
    if (cur == -2)
      st = nomem(err);
    else if (cur < 0)
      vf_fail(v, "word %zu starts with a letter whose lower case is two "
                 "characters", i + 1);
    else if (i > 0 && cur - prev == 1)
      vf_fail(v, "words %zu and %zu start with consecutive letters", i, i + 1);
    prev = cur;
  }
  free(w.w);
  vf_buf_free(&tmp);
  return st;
}

/* True when the word is its own reverse, code point by code point. */
static bool is_palindrome(const char *s, size_t b, size_t e) {
  while (b < e) {
    int32_t x, y;
    size_t k = vf_utf8_decode(s, e, b, &x);
    size_t p = vf_utf8_prev(s, e);
    vf_utf8_decode(s, e, p, &y);
    if (x != y)
      return false;
    b += k, e = p;
  }
  return true;
}

static vf_status palindrome(const vf_checker *c, const char *r, size_t n,
                            vf_verdict *v, vf_error *err) {
  size_t pos = 0, b, e;
  while (vf_py_split_next(r, n, &pos, &b, &e))
    if (is_palindrome(r, b, e)) {
      v->pass = 1;
      return VF_OK;
    }
  vf_fail(v, "no word is a palindrome");
  return VF_OK;
}

/* Token m - 1 of sentence n - 1 of split_into_sentences (Python indexing:
 * negative counts from the end, out of range raises) is the keyword. */
static vf_status keyword_specific_position(const vf_checker *c, const char *r,
                                           size_t n, vf_verdict *v,
                                           vf_error *err) {
  vf_sentences ss = {0};
  tokens tk = {0};
  vf_status st = VF_OK;
  if (vf_split_sentences(c->ctx->sents, r, n, &ss)) {
    st = nomem(err);
    goto done;
  }
  long long si = py_index(KW_INT(c, 1) - 1, ss.n);
  if ((long long)ss.n < KW_INT(c, 1)) {
    vf_fail(v, "found %zu sentences, needs at least %lld", ss.n, KW_INT(c, 1));
    goto done;
  }
  if (si < 0) {
    st = raises(v, "IndexError (no such sentence)");
    goto done;
  }
  if (word_tokenize(c, ss.text.data + ss.b[si], ss.e[si] - ss.b[si], &tk)) {
    st = nomem(err);
    goto done;
  }
  long long wi = py_index(KW_INT(c, 2) - 1, tk.n);
  if ((long long)tk.n < KW_INT(c, 2)) {
    vf_fail(v, "sentence %lld has %zu words, needs at least %lld",
            KW_INT(c, 1), tk.n, KW_INT(c, 2));
    goto done;
  }
  if (wi < 0) {
    st = raises(v, "IndexError (no such word)");
    goto done;
  }
  vf_span t = tk.t[wi];
  v->pass = t.e - t.b == c->scratch.len &&
            !memcmp(tk.text.data + t.b, SCRATCH(c), c->scratch.len);
  if (!v->pass)
    vf_fail(v, "word %lld of sentence %lld is not \"%s\"", KW_INT(c, 2),
            KW_INT(c, 1), SCRATCH(c));
done:
  vf_sentences_free(&ss);
  tokens_free(&tk);
  return st;
}

/* The first and the last token of nltk.word_tokenize(r) (into tk, with
 * tk->n at least 2 when r has two tokens or more): only the first and the
 * last Punkt sentence are tokenized, each giving one token or more. */
static int edge_tokens(const vf_checker *c, const char *r, size_t n,
                       tokens *tk) {
  vf_span *sp;
  size_t ns;
  if (vf_punkt_sentences(c->ctx->punkt, r, n, &sp, &ns))
    return -1;
  int rc = 0;
  for (size_t i = 0; i < ns && i < 2 && !rc; i++) {
    vf_span s = sp[i ? ns - 1 : 0];
    if (i && ns == 1)
      break;
    rc = vf_word_tokenize_sentence(r + s.b, s.e - s.b, add_token, tk) ||
         tk->oom;
  }
  free(sp);
  return rc ? -1 : 0;
}

static vf_status start_end(const vf_checker *c, const char *r, size_t n,
                           vf_verdict *v, vf_error *err) {
  tokens tk = {0};
  vf_buf a = {0}, b = {0};
  vf_status st = edge_tokens(c, r, n, &tk) ? nomem(err) : VF_OK;
  if (!st && tk.n < 2) {
    vf_fail(v, "fewer than two words");
  } else if (!st) {
    vf_span f = tk.t[0], l = tk.t[tk.n - 1];
    if (vf_py_lower(tk.text.data + f.b, f.e - f.b, &a) ||
        vf_py_lower(tk.text.data + l.b, l.e - l.b, &b))
      st = nomem(err);
    v->pass = !st && a.len == b.len && !memcmp(a.data, b.data, a.len);
    if (!st && !v->pass)
      vf_fail(v, "the first and the last word differ");
  }
  tokens_free(&tk);
  vf_buf_free(&a);
  vf_buf_free(&b);
  return st;
}

/* ---- format ------------------------------------------------------------------- */

/* Pieces of re.split(divider) or str.split(literal): the count of pieces,
 * with a blank first or last piece not counted; -1 when a middle piece is
 * blank (the reference then returns False at once). */
typedef struct pieces {
  const vf_re *re;     /* the divider, or NULL for lit */
  const char *lit;
  const char *s;
  size_t n, at;
  bool done;
  vf_re_iter it;
} pieces;

static int pieces_init(pieces *p, const vf_re *re, const char *lit,
                       const char *s, size_t n) {
  *p = (pieces){.re = re, .lit = lit, .s = s, .n = n};
  return re ? vf_re_iter_init(&p->it, re, s, n) : 0;
}

/* Next piece in [*b, *e): 1, 0 at the end, -1 on a regex failure. */
static int pieces_next(pieces *p, size_t *b, size_t *e, bool *last) {
  if (p->done)
    return 0;
  size_t mb = p->n, me = p->n;
  int rc = 0;
  if (p->re) {
    rc = vf_re_iter_next(&p->it, &mb, &me);
    if (rc < 0)
      return -1;
  } else {
    const char *hit = memmem(p->s + p->at, p->n - p->at, p->lit, strlen(p->lit));
    rc = hit != NULL;
    if (hit)
      mb = (size_t)(hit - p->s), me = mb + strlen(p->lit);
  }
  *b = p->at, *e = rc ? mb : p->n;
  *last = rc == 0;
  p->done = rc == 0;
  p->at = me;
  return 1;
}

static void pieces_done(pieces *p) {
  if (p->re)
    vf_re_iter_done(&p->it);
}

/* The reference's paragraph count over the pieces (see above). */
static long long count_pieces(const vf_re *re, const char *lit, const char *r,
                              size_t n, bool *failed) {
  pieces p;
  long long count = 0;
  size_t b, e;
  bool last;
  *failed = false;
  if (pieces_init(&p, re, lit, r, n))
    return -2;
  int rc;
  for (size_t i = 0; (rc = pieces_next(&p, &b, &e, &last)) == 1; i++) {
    bool blank = vf_py_isblank(r + b, e - b);
    if (blank && i != 0 && !last) {
      count = -1;
      break;
    }
    count += !blank;
  }
  pieces_done(&p);
  *failed = rc < 0;
  return count;
}

static vf_status two_paragraphs(const char *r, size_t n, const vf_re *re,
                                const char *lit, const char *sep,
                                vf_verdict *v, vf_error *err) {
  bool failed;
  long long k = count_pieces(re, lit, r, n, &failed);
  if (k == -2)
    return nomem(err);
  if (failed)
    return regex_failed(err);
  v->pass = k == 2;
  if (k < 0)
    vf_fail(v, "an empty paragraph between %s dividers", sep);
  else if (k != 2)
    vf_fail(v, "found %lld paragraphs separated by %s, needs 2", k, sep);
  return VF_OK;
}

static vf_status paragraphs(const vf_checker *c, const char *r, size_t n,
                            vf_verdict *v, vf_error *err) {
  return two_paragraphs(r, n, STATE(c)->star, NULL, "***", v, err);
}

static vf_status paragraphs2(const vf_checker *c, const char *r, size_t n,
                             vf_verdict *v, vf_error *err) {
  return two_paragraphs(r, n, NULL, "\n\n", "blank lines", v, err);
}

static vf_status sentence_hyphens(const vf_checker *c, const char *r, size_t n,
                                  vf_verdict *v, vf_error *err) {
  vf_buf spaced = {0};
  vf_sentences gold = {0};
  vf_status st = vf_buf_append(&spaced, r, n) ? nomem(err) : VF_OK;
  for (size_t i = 0; !st && i < n; i++)
    if (spaced.data[i] == '-')
      spaced.data[i] = ' ';
  if (!st && vf_split_sentences(c->ctx->sents, spaced.data ? spaced.data : "",
                                n, &gold))
    st = nomem(err);
  v->pass = 1;
  size_t at = 0;
  for (size_t k = 0; !st && k < gold.n && v->pass; k++) {
    const char *hit = memchr(r + at, '-', n - at);
    size_t end = hit ? (size_t)(hit - r) : n, b = at, e = end;
    vf_py_strip(r, &b, &e);
    if (b != at || e != end)
      vf_fail(v, "sentence %zu has spaces around it", k + 1);
    else if (gold.e[k] - gold.b[k] != end - at ||
             memcmp(gold.text.data + gold.b[k], r + at, end - at))
      vf_fail(v, "piece %zu between hyphens is not sentence %zu", k + 1, k + 1);
    if (!hit)
      break;
    at = end + 1;
  }
  vf_buf_free(&spaced);
  vf_sentences_free(&gold);
  return st;
}

static vf_status square_brackets(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  size_t pos = 0, b, e;
  while (vf_py_split_next(r, n, &pos, &b, &e))
    if (r[b] != '[' || r[e - 1] != ']') {
      vf_fail(v, "word \"%.*s\" is not in square brackets",
              (int)(e - b > 40 ? 40 : e - b), r + b);
      return VF_OK;
    }
  v->pass = 1;
  return VF_OK;
}

static vf_status bigram_wrapping(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  words w = {0};
  if (split_words(r, n, &w))
    return nomem(err);
  v->pass = 1;
  for (size_t i = 0; i + 1 < w.n && v->pass; i += 2) {
    vf_span a = w.w[i], b = w.w[i + 1];
    bool open = a.e - a.b >= 2 && !memcmp(r + a.b, "<<", 2);
    bool close = b.e - b.b >= 2 && !memcmp(r + b.e - 2, ">>", 2);
    if (!open || !close)
      vf_fail(v, "words %zu and %zu are not wrapped in << >>", i + 1, i + 2);
  }
  free(w.w);
  return VF_OK;
}

/* ---- first / last word -------------------------------------------------------- */

/* The word of s.split() at index first ? 0 : -1, compared lower-cased
 * with the prepared word; last words first lose every char that is not
 * \w (re.sub(r"[^\w\s]", "", w)). 1 equal, 0 not, -1 ENOMEM. */
static int word_matches(const vf_checker *c, const char *s, size_t b,
                        size_t e, bool last) {
  vf_buf kept = {0};
  if (last)
    for (size_t i = b; i < e;) {
      int32_t cp;
      size_t k = vf_utf8_decode(s, e, i, &cp);
      if ((vf_py_isalnum_cp(cp) || cp == '_') && vf_buf_append(&kept, s + i, k)) {
        vf_buf_free(&kept);
        return -1;
      }
      i += k;
    }
  int eq = last ? lower_equals(kept.data ? kept.data : "", kept.len,
                               SCRATCH(c), c->scratch.len)
                : lower_equals(s + b, e - b, SCRATCH(c), c->scratch.len);
  vf_buf_free(&kept);
  return eq;
}

/* Span of the first or last word of s.split(); false when none.  The
 * last is found from the end. */
static bool edge_word(const char *s, size_t n, bool last, size_t *wb,
                      size_t *we) {
  size_t pos = 0;
  if (!last)
    return vf_py_split_next(s, n, &pos, wb, we);
  size_t e = n;
  vf_py_rstrip(s, 0, &e);
  if (e == 0)
    return false;
  size_t b = e;
  while (b > 0) {
    size_t p = vf_utf8_prev(s, b);
    int32_t cp;
    vf_utf8_decode(s, e, p, &cp);
    if (vf_py_isspace(cp))
      break;
    b = p;
  }
  *wb = b, *we = e;
  return true;
}

static vf_status first_word_answer(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  size_t b, e;
  if (!edge_word(r, n, false, &b, &e)) {
    vf_fail(v, "the response has no words");
    return VF_OK;
  }
  int eq = word_matches(c, r, b, e, false);
  if (eq < 0)
    return nomem(err);
  v->pass = eq;
  if (!eq)
    vf_fail(v, "the first word is not \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

static vf_status last_word_answer(const vf_checker *c, const char *r, size_t n,
                                  vf_verdict *v, vf_error *err) {
  size_t b, e;
  if (!edge_word(r, n, true, &b, &e))
    return raises(v, "IndexError (the response has no words)");
  int eq = word_matches(c, r, b, e, true);
  if (eq < 0)
    return nomem(err);
  v->pass = eq;
  if (!eq)
    vf_fail(v, "the last word is not \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

/* Every sentence of split_into_sentences starts (or ends) with the word. */
static vf_status sentence_words(const vf_checker *c, const char *r, size_t n,
                                vf_verdict *v, vf_error *err, bool last) {
  vf_sentences ss = {0};
  if (vf_split_sentences(c->ctx->sents, r, n, &ss))
    return nomem(err);
  vf_status st = VF_OK;
  v->pass = 1;
  for (size_t i = 0; i < ss.n && v->pass; i++) {
    const char *s = ss.text.data + ss.b[i];
    size_t b, e;
    if (!edge_word(s, ss.e[i] - ss.b[i], last, &b, &e)) {
      vf_fail(v, "sentence %zu is empty", i + 1);
      break;
    }
    int eq = word_matches(c, s, b, e, last);
    if (eq < 0)
      st = nomem(err);
    else if (!eq)
      vf_fail(v, "sentence %zu %s with \"%.*s\", not \"%s\"", i + 1,
              last ? "ends" : "starts", (int)(e - b > 40 ? 40 : e - b), s + b,
              KW_STR(c, 0));
    if (eq < 0)
      break;
  }
  vf_sentences_free(&ss);
  return st;
}

static vf_status first_word_sent(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  return sentence_words(c, r, n, v, err, false);
}

static vf_status last_word_sent(const vf_checker *c, const char *r, size_t n,
                                vf_verdict *v, vf_error *err) {
  return sentence_words(c, r, n, v, err, true);
}

/* ---- punctuation, counting ------------------------------------------------------ */

static vf_status no_char(const char *r, size_t n, char ch, vf_verdict *v) {
  const char *p = memchr(r, ch, n);
  v->pass = p == NULL;
  if (p)
    vf_fail(v, "found '%c' at byte %zu", ch, (size_t)(p - r));
  return VF_OK;
}

static vf_status punctuation_dot(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  return no_char(r, n, '.', v);
}

static vf_status punctuation_exclamation(const vf_checker *c, const char *r,
                                         size_t n, vf_verdict *v,
                                         vf_error *err) {
  return no_char(r, n, '!', v);
}

/* len(re.findall(r"\b[a-z]+\b", r)) for ASCII text: the maximal runs of
 * \w ([0-9A-Za-z_] there) made of a-z only; -1 when r is not ASCII. */
static long ascii_lower_words(const char *r, size_t n) {
  long k = 0;
  bool in = false, lower = false;
  for (size_t i = 0; i <= n; i++) {
    unsigned char ch = i < n ? (unsigned char)r[i] : ' ';
    if (ch >= 0x80)
      return -1;
    bool w = (ch >= '0' && ch <= '9') ||
             ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_';
    if (w && !in)
      lower = true;
    if (w)
      lower &= ch >= 'a' && ch <= 'z';
    k += in && !w && lower;
    in = w;
  }
  return k;
}

static vf_status lowercase_counting(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  long k = ascii_lower_words(r, n);
  if (k < 0)
    k = vf_re_count(STATE(c)->lower, r, n);
  if (k < 0)
    return regex_failed(err);
  v->pass = k <= KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %ld lowercase words, needs at most %lld", k,
            KW_INT(c, 0));
  return VF_OK;
}

static vf_status letter_counting(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  long long k = 0;
  for (size_t i = 0; i < n; i++)
    k += ((r[i] | 0x20) >= 'a' && (r[i] | 0x20) <= 'z');
  v->pass = related(k, KW_INT(c, 1), KW_INT(c, 0));
  if (!v->pass)
    vf_fail(v, "found %lld letters a-z, A-Z, needs %s %lld", k,
            KW_INT(c, 1) == VF_REL_LESS ? "less than" : "at least",
            KW_INT(c, 0));
  return VF_OK;
}

/* One paragraph of count:counting_composition: n_sent sentences of
 * n_words tokens each; 1 fits, 0 not (with v's reason), -1 ENOMEM. */
static int composed(const vf_checker *c, const char *p, size_t n, size_t para,
                    vf_verdict *v, vf_sentences *ss, tokens *tk) {
  if (vf_split_sentences(c->ctx->sents, p, n, ss))
    return -1;
  if ((long long)ss->n != KW_INT(c, 0)) {
    vf_fail(v, "paragraph %zu has %zu sentences, needs %lld", para, ss->n,
            KW_INT(c, 0));
    return 0;
  }
  for (size_t i = 0; i < ss->n; i++) {
    if (word_tokenize(c, ss->text.data + ss->b[i], ss->e[i] - ss->b[i], tk))
      return -1;
    if ((long long)tk->n != KW_INT(c, 1)) {
      vf_fail(v, "paragraph %zu, sentence %zu has %zu words, needs %lld", para,
              i + 1, tk->n, KW_INT(c, 1));
      return 0;
    }
  }
  return 1;
}

static vf_status counting_composition(const vf_checker *c, const char *r,
                                      size_t n, vf_verdict *v, vf_error *err) {
  pieces p;
  vf_sentences ss = {0};
  tokens tk = {0};
  size_t b, e, i = 0;
  bool last;
  long long count = 0;
  int ok = 1, rc;
  if (pieces_init(&p, STATE(c)->star, NULL, r, n))
    return nomem(err);
  for (; ok == 1 && (rc = pieces_next(&p, &b, &e, &last)) == 1; i++) {
    bool blank = vf_py_isblank(r + b, e - b);
    if (blank && i != 0 && !last) {
      vf_fail(v, "an empty paragraph between *** dividers");
      ok = 0;
      break;
    }
    count += !blank;
    ok = composed(c, r + b, e - b, i + 1, v, &ss, &tk);
  }
  pieces_done(&p);
  vf_sentences_free(&ss);
  tokens_free(&tk);
  if (ok < 0)
    return nomem(err);
  if (rc < 0)
    return regex_failed(err);
  v->pass = ok == 1 && count == 3;
  if (ok == 1 && count != 3)
    vf_fail(v, "found %lld paragraphs separated by ***, needs 3", count);
  return VF_OK;
}

/* Index of the first token equal to an earlier one, or -1 (an open
 * addressing set of token indices); -2 when out of memory. */
static long repeated_token(const tokens *tk) {
  size_t cap = 16;
  while (cap < 2 * tk->n)
    cap *= 2;
  size_t *set = malloc(cap * sizeof *set);
  if (!set)
    return -2;
  memset(set, 0xFF, cap * sizeof *set);
  long dup = -1;
  for (size_t i = 0; i < tk->n && dup < 0; i++) {
    const char *t = tk->text.data + tk->t[i].b;
    size_t len = tk->t[i].e - tk->t[i].b;
    uint64_t h = 1469598103934665603ull;
    for (size_t k = 0; k < len; k++)
      h = (h ^ (unsigned char)t[k]) * 1099511628211ull;
    size_t at = (size_t)h & (cap - 1);
    for (; set[at] != SIZE_MAX; at = (at + 1) & (cap - 1)) {
      vf_span o = tk->t[set[at]];
      if (o.e - o.b == len && !memcmp(tk->text.data + o.b, t, len)) {
        dup = (long)i;
        break;
      }
    }
    set[at] = i;
  }
  free(set);
  return dup;
}

static vf_status count_unique(const vf_checker *c, const char *r, size_t n,
                              vf_verdict *v, vf_error *err) {
  tokens tk = {0};
  long i = word_tokenize(c, r, n, &tk) ? -2 : repeated_token(&tk);
  if (i == -2) {
    tokens_free(&tk);
    return nomem(err);
  }
  v->pass = i < 0;
  if (i >= 0)
    vf_fail(v, "the word \"%.*s\" is repeated",
            (int)(tk.t[i].e - tk.t[i].b > 40 ? 40 : tk.t[i].e - tk.t[i].b),
            tk.text.data + tk.t[i].b);
  tokens_free(&tk);
  return VF_OK;
}

/* ---- the table -------------------------------------------------------------------- */

#define K(name, type, flags) {name, VF_KW_##type, flags}
#define T VF_KWF_TRUTHY
#define O VF_KWF_OPTIONAL

/* A row, and (like) the IFEval id whose check and prepare it uses where it
 * gives none of its own. */
typedef struct spec {
  vf_checkdef def;
  const char *like;
} spec;

static const spec specs[] = {
    {{"change_case:capital_word_frequency", NULL, NULL,
      {K("capital_frequency", INT, 0), K("capital_relation", REL, 0)},
      "all-capital words (NLTK word tokens) less than / at least N"},
     "change_case:capital_word_frequency"},
    {{"change_case:english_capital", NULL, NULL, {{0}},
      "whole response in English and upper case"},
     "change_case:english_capital"},
    {{"change_case:english_lowercase", NULL, NULL, {{0}},
      "whole response in English and lower case"},
     "change_case:english_lowercase"},
    {{"combination:repeat_prompt", NULL, NULL, {K("prompt_to_repeat", STR, 0)},
      "response starts with the prompt, repeated word for word"},
     "combination:repeat_prompt"},
    {{"combination:two_responses", NULL, NULL, {{0}},
      "two different responses separated by ******"},
     "combination:two_responses"},
    {{"copy:copy", copy_exact, prep_prompt, {K("prompt_to_repeat", STR, 0)},
      "the response is the instruction, copied verbatim (case-insensitive)"},
     NULL},
    {{"copy:copying_multiple", copying_multiple, prep_prompt,
      {K("prompt_to_repeat", STR, 0), K("N", INT, T)},
      "the request copied N times, separated by ******"},
     NULL},
    {{"copy:copying_simple", copy_exact, prep_prompt,
      {K("prompt_to_repeat", STR, 0)},
      "the response is the request, repeated without change"},
     NULL},
    {{"copy:repeat_phrase", repeat_phrase, prep_phrase,
      {K("phrase", STR, T), K("small_n", INT, T)},
      "the phrase repeated N times, one middle word changed each time"},
     NULL},
    {{"count:count_increment_word", count_increment_word, prep_two_keywords,
      {K("keyword1", STR, T), K("keyword2", STR, T)},
      "keyword1 once and keyword2 twice (regex, case-insensitive)"},
     NULL},
    {{"count:count_unique", count_unique, NULL, {{0}},
      "no word (NLTK token) repeated"},
     NULL},
    {{"count:counting_composition", counting_composition, NULL,
      {K("n_sent", INT, T), K("n_words", INT, T)},
      "3 paragraphs (***) of n_sent sentences of n_words words"},
     NULL},
    {{"count:lowercase_counting", lowercase_counting, NULL, {K("N", INT, T)},
      "at most N lowercase words"},
     NULL},
    {{"detectable_content:number_placeholders", NULL, NULL,
      {K("num_placeholders", COUNT, 0)}, "at least N [placeholders]"},
     "detectable_content:number_placeholders"},
    {{"detectable_content:postscript", NULL, NULL,
      {K("postscript_marker", STR, 0)}, "a postscript starting with the marker"},
     "detectable_content:postscript"},
    {{"detectable_format:bigram_wrapping", bigram_wrapping, NULL, {{0}},
      "every word pair wrapped in << >>"},
     NULL},
    {{"detectable_format:constrained_response", NULL, NULL, {{0}},
      "contains \"My answer is yes./no./maybe.\""},
     "detectable_format:constrained_response"},
    {{"detectable_format:json_format", NULL, NULL, {{0}},
      "the whole response is JSON (``` fences allowed)"},
     "detectable_format:json_format"},
    {{"detectable_format:multiple_sections", NULL, NULL,
      {K("num_sections", COUNT, 0), K("section_spliter", STR, 0)},
      "at least N sections marked \"SPLITER 1\", \"SPLITER 2\", ..."},
     "detectable_format:multiple_sections"},
    {{"detectable_format:number_bullet_lists", NULL, NULL,
      {K("num_bullets", COUNT, 0)}, "exactly N markdown bullet points (* or -)"},
     "detectable_format:number_bullet_lists"},
    {{"detectable_format:number_highlighted_sections", NULL, NULL,
      {K("num_highlights", COUNT, 0)}, "at least N *highlighted* sections"},
     "detectable_format:number_highlighted_sections"},
    {{"detectable_format:sentence_hyphens", sentence_hyphens, NULL, {{0}},
      "sentences joined by hyphens, no spaces around them"},
     NULL},
    {{"detectable_format:square_brackets", square_brackets, NULL, {{0}},
      "every word enclosed in square brackets"},
     NULL},
    {{"detectable_format:title", NULL, NULL, {{0}},
      "a title wrapped in <<double angular brackets>>"},
     "detectable_format:title"},
    {{"first_word:first_word_answer", first_word_answer, prep_word_lower,
      {K("first_word", STR, T)}, "the response starts with the word"},
     NULL},
    {{"first_word:first_word_sent", first_word_sent, prep_word_lower,
      {K("first_word", STR, T)}, "every sentence starts with the word"},
     NULL},
    {{"keywords:exclude_word_harder", exclude_word_harder, prep_spaced,
      {K("keyword", STR, T), K("instruction", STR, O)},
      "the keyword never appears between two spaces"},
     NULL},
    {{"keywords:existence", NULL, NULL, {K("keywords", STRLIST, T)},
      "every keyword appears (regex, case-insensitive)"},
     "keywords:existence"},
    {{"keywords:forbidden_words", NULL, NULL,
      {K("forbidden_words", STRLIST, T)},
      "none of the words appears as a whole word"},
     "keywords:forbidden_words"},
    {{"keywords:frequency", NULL, NULL,
      {K("keyword", STR, T), K("frequency", COUNT, 0), K("relation", REL, 0)},
      "keyword occurs less than / at least N times"},
     "keywords:frequency"},
    {{"keywords:keyword_specific_position", keyword_specific_position,
      prep_word, {K("keyword", STRFIRST, T), K("n", INT, T), K("m", INT, T)},
      "the keyword is word m of sentence n"},
     NULL},
    {{"keywords:letter_frequency", NULL, prep_letter,
      {K("letter", STR, 0), K("let_frequency", COUNT, 0),
       K("let_relation", REL, 0)},
      "letter occurs less than / at least N times (case-insensitive)"},
     "keywords:letter_frequency"},
    {{"keywords:no_adjacent_consecutive", no_adjacent_consecutive, NULL, {{0}},
      "no two adjacent words start with consecutive letters"},
     NULL},
    {{"keywords:palindrome", palindrome, NULL, {{0}},
      "some word is a palindrome"},
     NULL},
    {{"keywords:start_end", start_end, NULL, {{0}},
      "the first and the last word are the same"},
     NULL},
    {{"keywords:word_count_different_numbers", NULL, NULL,
      {K("keyword", STR, T), K("frequency", COUNT, 0), K("relation", REL, 0)},
      "keyword occurs less than / at least N times"},
     "keywords:frequency"},
    {{"keywords:word_once", word_once, prep_keyword, {K("keyword", STR, T)},
      "the keyword occurs exactly once (regex, case-insensitive)"},
     NULL},
    {{"language:response_language", NULL, NULL, {K("language", STR, 0)},
      "response in the given language (langdetect)"},
     "language:response_language"},
    {{"last_word:last_word_answer", last_word_answer, prep_word_lower,
      {K("last_word", STR, T)},
      "the response ends with the word (punctuation ignored)"},
     NULL},
    {{"last_word:last_word_sent", last_word_sent, prep_word_lower,
      {K("last_word", STRFIRST, T)},
      "every sentence ends with the word (punctuation ignored)"},
     NULL},
    {{"length_constraints:nth_paragraph_first_word", NULL, NULL,
      {K("num_paragraphs", COUNT, 0), K("nth_paragraph", INT, 0),
       K("first_word", STR, 0)},
      "N paragraphs (blank-line separated), the nth starting with a word"},
     "length_constraints:nth_paragraph_first_word"},
    {{"length_constraints:number_paragraphs", NULL, NULL,
      {K("num_paragraphs", COUNT, 0)}, "exactly N paragraphs separated by ***"},
     "length_constraints:number_paragraphs"},
    {{"length_constraints:number_sentences", NULL, NULL,
      {K("num_sentences", COUNT, 0), K("relation", REL, 0)},
      "sentences (Punkt) less than / at least N"},
     "length_constraints:number_sentences"},
    {{"length_constraints:number_words", NULL, NULL,
      {K("num_words", COUNT, 0), K("relation", REL, 0)},
      "words (\\w+) less than / at least N"},
     "length_constraints:number_words"},
    {{"letters:letter_counting", letter_counting, NULL,
      {K("N", INT, T), K("relation", REL, 0)},
      "letters a-z, A-Z less than / at least N"},
     NULL},
    {{"letters:letter_counting2", NULL, prep_letter,
      {K("letter", STR, 0), K("let_frequency", COUNT, 0),
       K("let_relation", REL, 0)},
      "letter occurs less than / at least N times (case-insensitive)"},
     "keywords:letter_frequency"},
    {{"new:copy_span_idx", copy_exact, prep_span,
      {K("prompt_to_repeat", STR, 0), K("n_start", INT, T),
       K("n_end", INT, T)},
      "the response is prompt_to_repeat[n_start:n_end] (case-insensitive)"},
     NULL},
    {{"paragraphs:paragraphs", paragraphs, NULL, {{0}},
      "exactly 2 paragraphs separated by ***"},
     NULL},
    {{"paragraphs:paragraphs2", paragraphs2, NULL, {{0}},
      "exactly 2 paragraphs separated by a blank line"},
     NULL},
    {{"punctuation:no_comma", NULL, NULL, {{0}}, "no commas at all"},
     "punctuation:no_comma"},
    {{"punctuation:punctuation_dot", punctuation_dot, NULL, {{0}},
      "no dots at all"},
     NULL},
    {{"punctuation:punctuation_exclamation", punctuation_exclamation, NULL,
      {{0}}, "no exclamation marks at all"},
     NULL},
    {{"startend:end_checker", NULL, NULL, {K("end_phrase", STR, 0)},
      "response ends with the exact phrase"},
     "startend:end_checker"},
    {{"startend:quotation", NULL, NULL, {{0}},
      "response wrapped in double quotation marks"},
     "startend:quotation"},
};

#define NSPECS (sizeof specs / sizeof specs[0])

static vf_checkdef table[NSPECS];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int cmp_def(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const vf_checkdef *)elem)->id);
}

/* Fills the table: each row, with its IFEval twin's functions where it
 * has none of its own. */
static void build_table(void) {
  size_t nifeval;
  const vf_checkdef *ifeval = vf_ifeval_table(&nifeval);
  for (size_t i = 0; i < NSPECS; i++) {
    table[i] = specs[i].def;
    if (!specs[i].like)
      continue;
    const vf_checkdef *twin = bsearch(specs[i].like, ifeval, nifeval,
                                      sizeof *ifeval, cmp_def);
    if (twin && !table[i].check)
      table[i].check = twin->check;
    if (twin && !table[i].prepare)
      table[i].prepare = twin->prepare;
  }
}

const vf_checkdef *vf_ifevalg_table(size_t *n) {
  pthread_once(&table_once, build_table);
  *n = NSPECS;
  return table;
}
