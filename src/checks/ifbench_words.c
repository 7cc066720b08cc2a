/*
 * ifbench_words.c: IFBench's checks on words and sentences (words:*,
 * sentence:*), each the check_following() of its class in instructions.py
 * at c94da02.
 */
#include <stdlib.h>
#include <string.h>

#include "checks/ifbench.h"

/* The code point at s[i] and its length. */
static int32_t cp_at(const char *s, size_t n, size_t i, size_t *len) {
  int32_t cp;
  *len = vf_utf8_decode(s, n, i, &cp);
  return cp;
}

/* Equal byte strings. */
static bool same(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && !memcmp(a, b, an);
}

/* value.lower().translate(punctuation) (lower_first) or
 * value.translate(punctuation).lower(), split; t holds the text.  -1 on
 * ENOMEM. */
static int clean_words(const char *r, size_t n, bool lower_first, vf_buf *t,
                       ifb_words *w) {
  vf_buf a = {0};
  int rc = lower_first ? vf_py_lower(r, n, &a) : ifb_drop_punct(r, n, &a);
  if (!rc)
    rc = lower_first ? ifb_drop_punct(a.data ? a.data : "", a.len, t)
                     : vf_py_lower(a.data ? a.data : "", a.len, t);
  vf_buf_free(&a);
  return rc || ifb_split(t->data ? t->data : "", t->len, w) ? -1 : 0;
}

/* ---- letters ------------------------------------------------------------------- */

/* words[0][0].lower() as the reference compares it with the alphabet:
 * 'a'..'z', or 0 when it is anything else. */
static char first_letter(const char *w, size_t n) {
  size_t k;
  cp_at(w, n, 0, &k);
  vf_buf low = {0};
  char ch = 0;
  if (!vf_py_lower(w, k, &low) && low.len == 1 && low.data[0] >= 'a' &&
      low.data[0] <= 'z')
    ch = low.data[0];
  vf_buf_free(&low);
  return ch;
}

IFB_CHECK(ifb_alphabet) {
  vf_buf t = {0}, low = {0};
  ifb_words w = {0};
  vf_status st = VF_OK;
  size_t b = 0, e;
  if (ifb_drop_punct(r, n, &t))
    return ifb_nomem(err);
  e = t.len;
  ifb_strip_ps(t.data, &b, &e);
  if (ifb_split(t.data + b, e - b, &w))
    st = ifb_nomem(err);
  if (!st && w.n == 0)
    ifb_raise(v, "IndexError: no words");
  const char *s = t.data + b;
  char want = !st && w.n ? first_letter(s + w.w[0].b, w.w[0].e - w.w[0].b) : 0;
  v->pass = want != 0;
  if (!st && w.n && !want)
    vf_fail(v, "the first word does not start with a letter a-z");
  for (size_t i = 1; !st && v->pass && i < w.n; i++) {
    vf_buf_reset(&low);
    if (vf_py_lower(s + w.w[i].b, w.w[i].e - w.w[i].b, &low)) {
      st = ifb_nomem(err);
      break;
    }
    want = want == 'z' ? 'a' : want + 1;
    size_t k;
    v->pass = cp_at(low.data, low.len, 0, &k) == want;
    if (!v->pass)
      vf_fail(v, "word %zu does not start with '%c'", i + 1, want);
  }
  vf_buf_free(&t);
  vf_buf_free(&low);
  ifb_words_free(&w);
  return st;
}

IFB_CHECK(ifb_vowel) {
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  if (memchr(r + b, '\n', e - b)) {
    vf_fail(v, "more than one paragraph");
    return VF_OK;
  }
  vf_buf low = {0};
  if (vf_py_lower(r + b, e - b, &low))
    return ifb_nomem(err);
  int kinds = 0;
  for (const char *p = "aeiou"; *p; p++)
    kinds += low.len && memchr(low.data, *p, low.len) != NULL;
  vf_buf_free(&low);
  v->pass = kinds <= 3;
  if (!v->pass)
    vf_fail(v, "uses %d kinds of vowels, needs at most 3", kinds);
  return VF_OK;
}

static bool consonant(char ch) {
  return ch && strchr("bcdfghjklmnpqrstvwxyz", ch);
}

IFB_CHECK(ifb_consonants) {
  vf_buf low = {0};
  ifb_words w = {0};
  if (vf_py_lower(r, n, &low) ||
      ifb_split(low.data ? low.data : "", low.len, &w)) {
    vf_buf_free(&low);
    return ifb_nomem(err);
  }
  v->pass = 1;
  for (size_t i = 0; i < w.n && v->pass; i++) {
    bool cluster = false;
    for (size_t k = w.w[i].b; k + 1 < w.w[i].e && !cluster; k++)
      cluster = consonant(low.data[k]) && consonant(low.data[k + 1]);
    if (!cluster)
      vf_fail(v, "word %zu (\"%.*s\") has no consonant cluster", i + 1,
              (int)(w.w[i].e - w.w[i].b > 60 ? 60 : w.w[i].e - w.w[i].b),
              low.data + w.w[i].b);
  }
  vf_buf_free(&low);
  ifb_words_free(&w);
  return VF_OK;
}

/* The alliteration score of one sentence (words compared by their first
 * character after lstrip(punctuation + ' ')). */
static int alliteration(const char *s, size_t n, long *score) {
  vf_buf low = {0};
  ifb_words w = {0};
  if (vf_py_lower(s, n, &low) ||
      ifb_split(low.data ? low.data : "", low.len, &w)) {
    vf_buf_free(&low);
    return -1;
  }
  long a = 0;
  bool prev_allit = false;
  int32_t prev = -1;
  size_t kept = 0;
  for (size_t i = 0; i < w.n; i++) {
    size_t b = w.w[i].b, k;
    ifb_lstrip_ps(low.data, &b, w.w[i].e);
    if (b == w.w[i].e)
      continue;
    int32_t first = cp_at(low.data, w.w[i].e, b, &k);
    if (kept++) {
      bool same_first = first == prev;
      a += same_first ? (prev_allit ? 1 : 2) : 0;
      prev_allit = same_first;
    }
    prev = first;
  }
  *score = a;
  vf_buf_free(&low);
  ifb_words_free(&w);
  return 0;
}

IFB_CHECK(ifb_alliteration_increment) {
  vf_sentences s = {0};
  vf_status st = VF_OK;
  if (vf_split_sentences(IFB(c)->ss, r, n, &s))
    st = ifb_nomem(err);
  long prev = -1;
  v->pass = 1;
  for (size_t i = 0; !st && v->pass && i < s.n; i++) {
    long a;
    if (alliteration(s.text.data + s.b[i], s.e[i] - s.b[i], &a)) {
      st = ifb_nomem(err);
      break;
    }
    if (a <= prev)
      vf_fail(v, "sentence %zu has alliteration %ld, not more than %ld", i + 1,
              a, prev);
    prev = a;
  }
  vf_sentences_free(&s);
  return st;
}

/* word == word[::-1], by code points. */
static bool palindrome(const char *w, size_t n) {
  size_t b = 0, e = n;
  while (b < e) {
    size_t kb, ke = e - vf_utf8_prev(w, e);
    int32_t x = cp_at(w, n, b, &kb), y = cp_at(w, n, e - ke, &ke);
    if (x != y)
      return false;
    b += kb;
    e -= ke;
  }
  return true;
}

IFB_CHECK(ifb_palindrome) {
  vf_buf t = {0};
  ifb_words w = {0};
  if (clean_words(r, n, false, &t, &w)) {
    vf_buf_free(&t);
    ifb_words_free(&w);
    return ifb_nomem(err);
  }
  size_t k = 0;
  for (size_t i = 0; i < w.n; i++) {
    const char *s = t.data + w.w[i].b;
    size_t len = w.w[i].e - w.w[i].b;
    k += ifb_ncp(s, len) >= 5 && palindrome(s, len);
  }
  vf_buf_free(&t);
  ifb_words_free(&w);
  v->pass = k >= 10;
  if (!v->pass)
    vf_fail(v, "found %zu palindromes of 5+ letters, needs 10", k);
  return VF_OK;
}

static bool prime(size_t k) {
  static const unsigned char primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23,
                                         29, 31, 37, 41, 43, 47, 53, 59, 61,
                                         67, 71, 73, 79, 83, 89, 97};
  for (size_t i = 0; i < sizeof primes; i++)
    if (primes[i] == k)
      return true;
  return false;
}

IFB_CHECK(ifb_prime_lengths) {
  vf_buf t = {0};
  ifb_words w = {0};
  if (ifb_drop_punct(r, n, &t) || ifb_split(t.data ? t.data : "", t.len, &w)) {
    vf_buf_free(&t);
    return ifb_nomem(err);
  }
  v->pass = 1;
  for (size_t i = 0; i < w.n && v->pass; i++) {
    size_t len = ifb_ncp(t.data + w.w[i].b, w.w[i].e - w.w[i].b);
    if (!prime(len))
      vf_fail(v, "word %zu has %zu letters, not a prime", i + 1, len);
  }
  vf_buf_free(&t);
  ifb_words_free(&w);
  return VF_OK;
}

/* ---- part of speech, repeats, syllables --------------------------------------- */

IFB_CHECK(ifb_start_verb) {
  vf_toklist l = {0};
  /* the first word's tag reads the two words after it, no more: the
   * sentences that hold the first three words are enough */
  if (vf_toklist_words_upto(&l, IFB(c)->punkt, r, n, 3)) {
    vf_toklist_free(&l);
    return ifb_nomem(err);
  }
  const char *tag = NULL;
  int rc = l.n ? vf_tagger_tag(IFB(c)->tagger, l.tok, l.n, 1, &tag) : 0;
  if (!rc) {
    v->pass = tag && strstr(tag, "VB") != NULL;
    if (!v->pass)
      vf_fail(v, l.n ? "the first word \"%.*s\" is tagged %s, not a verb"
                     : "no words",
              (int)(l.n && l.tok[0].len < 60 ? l.tok[0].len : 60),
              l.n ? l.tok[0].s : "", tag ? tag : "");
  }
  vf_toklist_free(&l);
  return rc ? ifb_nomem(err) : VF_OK;
}

IFB_CHECK(ifb_repeats) {
  vf_buf t = {0};
  ifb_words w = {0};
  vf_strtab *counts = vf_strtab_new();
  vf_status st = !counts || clean_words(r, n, true, &t, &w) ? ifb_nomem(err)
                                                            : VF_OK;
  v->pass = 1;
  for (size_t i = 0; !st && i < w.n && v->pass; i++) {
    const char *s = t.data + w.w[i].b;
    size_t len = w.w[i].e - w.w[i].b;
    uint32_t k = 0;
    vf_strtab_get(counts, s, len, &k);
    if (vf_strtab_put(counts, s, len, k + 1) < 0)
      st = ifb_nomem(err);
    else if ((long long)k + 1 > KW_INT(c, 0))
      vf_fail(v, "\"%.*s\" is repeated more than %lld times",
              (int)(len > 60 ? 60 : len), s, KW_INT(c, 0));
  }
  vf_strtab_free(counts);
  vf_buf_free(&t);
  ifb_words_free(&w);
  return st;
}

IFB_CHECK(ifb_odd_even_syllables) {
  vf_buf t = {0};
  ifb_words w = {0};
  vf_status st = clean_words(r, n, false, &t, &w) ? ifb_nomem(err) : VF_OK;
  long prev = -1;
  v->pass = 1;
  for (size_t i = 0; !st && i < w.n && v->pass; i++) {
    long k = vf_syllapy_count(IFB(c)->syllapy, t.data + w.w[i].b,
                              w.w[i].e - w.w[i].b);
    if (k < 0) {
      st = ifb_nomem(err);
      break;
    }
    if (prev >= 0 && k % 2 == prev)
      vf_fail(v, "words %zu and %zu both have an %s number of syllables", i,
              i + 1, k % 2 ? "odd" : "even");
    prev = k % 2;
  }
  vf_buf_free(&t);
  ifb_words_free(&w);
  return st;
}

/* ---- sentences ------------------------------------------------------------------ */

/* The sentences of r into s; VF_ENOMEM on failure. */
static vf_status sentences(const vf_checker *c, const char *r, size_t n,
                           vf_sentences *s, vf_error *err) {
  return vf_split_sentences(IFB(c)->ss, r, n, s) ? ifb_nomem(err) : VF_OK;
}

IFB_CHECK(ifb_sentence_keyword) {
  vf_sentences s = {0};
  vf_status st = sentences(c, r, n, &s, err);
  long long want = KW_INT(c, 1);
  if (!st && (long long)s.n < want) {
    vf_fail(v, "found %zu sentences, needs at least %lld", s.n, want);
  } else if (!st) {
    long i = ifb_pyindex(want - 1, s.n);
    vf_buf low = {0};
    if (i < 0) {
      ifb_raise(v, "IndexError: sentence %lld", want);
    } else if (vf_py_lower(s.text.data + s.b[i], s.e[i] - s.b[i], &low)) {
      st = ifb_nomem(err);
    } else {
      v->pass = memmem(low.data ? low.data : "", low.len,
                       c->scratch.data ? c->scratch.data : "",
                       c->scratch.len) != NULL;
      if (!v->pass)
        vf_fail(v, "sentence %lld does not contain \"%s\"", want,
                KW_STR(c, 0));
    }
    vf_buf_free(&low);
  }
  vf_sentences_free(&s);
  return st;
}

/* The last word of s.rstrip(punct + ' ') (last) or the first of
 * s.lstrip(...), lowered into out; false when there is none. */
static int edge_word(const char *s, size_t n, bool last, vf_buf *out) {
  size_t b = 0, e = n, wb = 0, we = 0, pos;
  if (last)
    ifb_rstrip_ps(s, 0, &e);
  else
    ifb_lstrip_ps(s, &b, e);
  bool any = false;
  pos = b;
  size_t xb, xe;
  while (vf_py_split_next(s, e, &pos, &xb, &xe)) {
    wb = xb, we = xe;
    any = true;
    if (!last)
      break;
  }
  vf_buf_reset(out);
  if (!any)
    return 0;
  return vf_py_lower(s + wb, we - wb, out) ? -1 : 1;
}

IFB_CHECK(ifb_last_first) {
  vf_sentences s = {0};
  vf_buf a = {0}, b = {0};
  vf_status st = sentences(c, r, n, &s, err);
  v->pass = 1;
  for (size_t i = 0; !st && i + 1 < s.n && v->pass; i++) {
    const char *t = s.text.data;
    int x = edge_word(t + s.b[i], s.e[i] - s.b[i], true, &a);
    int y = x > 0 ? edge_word(t + s.b[i + 1], s.e[i + 1] - s.b[i + 1], false,
                              &b)
                  : x;
    if (x < 0 || y < 0)
      st = ifb_nomem(err);
    else if (x == 0 || y == 0)
      ifb_raise(v, "IndexError: sentence %zu has no words", i + 1 + (x != 0));
    else if (!same(a.data, a.len, b.data, b.len))
      vf_fail(v, "sentence %zu ends with \"%s\", sentence %zu starts with "
              "\"%s\"", i + 1, a.data, i + 2, b.data);
  }
  vf_buf_free(&a);
  vf_buf_free(&b);
  vf_sentences_free(&s);
  return st;
}

IFB_CHECK(ifb_paragraph_last_first) {
  vf_buf low = {0};
  ifb_words w = {0};
  vf_status st = VF_OK;
  v->pass = 1;
  for (size_t pos = 0; !st && v->pass && pos <= n;) {
    const char *nl = memchr(r + pos, '\n', n - pos);
    size_t end = nl ? (size_t)(nl - r) : n, b = pos, e = end;
    vf_py_strip(r, &b, &e);
    vf_buf_reset(&low);
    if (vf_py_lower(r + b, e - b, &low))
      st = ifb_nomem(err);
    size_t pb = 0, pe = low.len;
    if (!st && low.len)
      ifb_strip_ps(low.data, &pb, &pe);
    if (!st && low.len && ifb_split(low.data + pb, pe - pb, &w))
      st = ifb_nomem(err);
    if (!st && low.len && w.n) {
      const char *p = low.data + pb;
      vf_span f = w.w[0], l = w.w[w.n - 1];
      if (!same(p + f.b, f.e - f.b, p + l.b, l.e - l.b))
        vf_fail(v, "a paragraph starts with \"%.*s\" and ends with \"%.*s\"",
                (int)(f.e - f.b > 40 ? 40 : f.e - f.b), p + f.b,
                (int)(l.e - l.b > 40 ? 40 : l.e - l.b), p + l.b);
    }
    pos = end + 1;
  }
  vf_buf_free(&low);
  ifb_words_free(&w);
  return st;
}

/* Words of s.translate(punctuation).strip().split(); -1 on ENOMEM. */
static long sentence_words(const char *s, size_t n, vf_buf *t, ifb_words *w) {
  vf_buf_reset(t);
  if (ifb_drop_punct(s, n, t) || ifb_split(t->data ? t->data : "", t->len, w))
    return -1;
  return (long)w->n;
}

IFB_CHECK(ifb_sentence_increment) {
  vf_sentences s = {0};
  vf_buf t = {0};
  ifb_words w = {0};
  vf_status st = sentences(c, r, n, &s, err);
  if (!st && s.n == 0) {
    ifb_raise(v, "IndexError: no sentences");
  } else if (!st) {
    long prev = sentence_words(s.text.data + s.b[0], s.e[0] - s.b[0], &t, &w);
    v->pass = 1;
    for (size_t i = 1; prev >= 0 && v->pass && i < s.n; i++) {
      long k = sentence_words(s.text.data + s.b[i], s.e[i] - s.b[i], &t, &w);
      if (k >= 0 && k != prev + KW_INT(c, 0))
        vf_fail(v, "sentence %zu has %ld words, needs %lld", i + 1, k,
                prev + KW_INT(c, 0));
      prev = k;
    }
    if (prev < 0)
      st = ifb_nomem(err);
  }
  vf_buf_free(&t);
  ifb_words_free(&w);
  vf_sentences_free(&s);
  return st;
}

IFB_CHECK(ifb_no_consecutive) {
  vf_buf t = {0};
  ifb_words w = {0};
  if (clean_words(r, n, true, &t, &w)) {
    vf_buf_free(&t);
    ifb_words_free(&w);
    return ifb_nomem(err);
  }
  v->pass = 1;
  for (size_t i = 0; i + 1 < w.n && v->pass; i++) {
    size_t k;
    int32_t a = cp_at(t.data, w.w[i].e, w.w[i].b, &k);
    int32_t b = cp_at(t.data, w.w[i + 1].e, w.w[i + 1].b, &k);
    if (a == b)
      vf_fail(v, "words %zu and %zu start with the same letter", i + 1, i + 2);
  }
  vf_buf_free(&t);
  ifb_words_free(&w);
  return VF_OK;
}

/* ---- word positions ------------------------------------------------------------- */

static bool token_is(const vf_token *t, const char *s, size_t n) {
  return same(t->s, t->len, s, n);
}

IFB_CHECK(ifb_keywords_specific_position) {
  vf_sentences s = {0};
  vf_toklist l = {0};
  vf_status st = sentences(c, r, n, &s, err);
  long long sn = KW_INT(c, 1), wm = KW_INT(c, 2);
  long i = st ? -1 : ifb_pyindex(sn - 1, s.n);
  if (!st && (long long)s.n < sn) {
    vf_fail(v, "found %zu sentences, needs at least %lld", s.n, sn);
  } else if (!st && i < 0) {
    ifb_raise(v, "IndexError: sentence %lld", sn);
  } else if (!st && vf_toklist_words(&l, IFB(c)->punkt, s.text.data + s.b[i],
                                     s.e[i] - s.b[i])) {
    st = ifb_nomem(err);
  } else if (!st && (long long)l.n < wm) {
    vf_fail(v, "sentence %lld has %zu words, needs at least %lld", sn, l.n,
            wm);
  } else if (!st) {
    long k = ifb_pyindex(wm - 1, l.n);
    v->pass = k >= 0 && token_is(&l.tok[k], c->scratch.data, c->scratch.len);
    if (k < 0)
      ifb_raise(v, "IndexError: word %lld", wm);
    else if (!v->pass)
      vf_fail(v, "word %lld of sentence %lld is \"%.*s\", not \"%s\"", wm, sn,
              (int)(l.tok[k].len > 60 ? 60 : l.tok[k].len), l.tok[k].s,
              c->scratch.data);
  }
  vf_toklist_free(&l);
  vf_sentences_free(&s);
  return st;
}

IFB_CHECK(ifb_words_position) {
  vf_toklist l = {0};
  if (vf_toklist_words(&l, IFB(c)->punkt, r, n)) {
    vf_toklist_free(&l);
    return ifb_nomem(err);
  }
  const char *kw = c->scratch.data ? c->scratch.data : "";
  v->pass = l.n >= 2 && token_is(&l.tok[1], kw, c->scratch.len) &&
            token_is(&l.tok[l.n - 2], kw, c->scratch.len);
  if (!v->pass)
    vf_fail(v, "the second and second-to-last words are not \"%s\"", kw);
  vf_toklist_free(&l);
  return VF_OK;
}
