/*
 * tulu3.c: the tulu3 family: Tulu 3's RLVR-IFeval checks, the 25 functions
 * of open-instruct's open_instruct/if_functions.py (commit e6c3044), each
 * named by its function (the rows' "func_name") and taking its keyword
 * arguments as kwargs, all required as in Python.  open-instruct calls
 * them with no guard, so where a function raises (langdetect on a text
 * without letters, an index past the paragraphs) the instruction is not
 * followed and the reason says what it raised.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "checks/checks.h"
#include "text/pyjson.h"

/* The family's fixed patterns (its state in the context). */
enum { P_WORDS, P_SENTENCE_END, P_BRACKETS, P_TITLE, P_STARS, P_CAPS, P_N };

static const char *const patterns[P_N] = {
    [P_WORDS] = "\\b\\w+\\b",
    [P_SENTENCE_END] = "(?<!\\w\\.\\w.)(?<![A-Z][a-z]\\.)(?<=\\.|\\?|!)\\s",
    [P_BRACKETS] = "\\[(.*?)\\]",
    [P_TITLE] = "<<(.*?)>>",
    [P_STARS] = "\\*(.*?)\\*",
    [P_CAPS] = "\\b[A-Z]+\\b",
};

typedef struct tulu3_state {
  vf_re *re[P_N];
} tulu3_state;

vf_status vf_tulu3_init(vf_ctx *ctx, void **state, vf_error *err) {
  tulu3_state *s = calloc(1, sizeof *s);
  *state = s;
  if (!s)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (int i = 0; i < P_N; i++) {
    vf_status st = vf_re_compile(patterns[i], strlen(patterns[i]), VF_RE_JIT,
                                 &s->re[i], err);
    if (st)
      return st;
  }
  return VF_OK;
}

void vf_tulu3_fini(vf_ctx *ctx, void *state) {
  tulu3_state *s = state;
  if (!s)
    return;
  for (int i = 0; i < P_N; i++)
    vf_re_free(s->re[i]);
  free(s);
}

#define RE(c, k) (((const tulu3_state *)(c)->state)->re[k])
#define KW_INT(c, k) ((c)->kw[k].i)
#define KW_STR(c, k) ((c)->kw[k].s)
#define KW_LEN(c, k) ((c)->kw[k].slen)

static vf_status nomem(vf_error *err) {
  return vf_set_error(err, VF_ENOMEM, "out of memory");
}

static vf_status regex_failed(vf_error *err) {
  return vf_set_error(err, VF_EREGEX,
                      "regular expression failed (match limit or out of "
                      "memory)");
}

static vf_status raises(vf_verdict *v, const char *what) {
  vf_fail(v, "the reference raises %s here (counted as not followed)", what);
  v->raised = 1;
  return VF_OK;
}

static bool has(const char *s, size_t n, const char *needle, size_t k) {
  return k == 0 || memmem(s, n, needle, k) != NULL;
}

static bool starts(const char *s, size_t n, const char *p, size_t k) {
  return n >= k && !memcmp(s, p, k);
}

static bool ends(const char *s, size_t n, const char *p, size_t k) {
  return n >= k && !memcmp(s + n - k, p, k);
}

/* A "quantifier": at least, at most, around (within max(round(N/10), 1),
 * Python's round: half to even); any other word is not followed. */
static bool quantified(long long found, const char *q, long long n,
                       vf_verdict *v, const char *what) {
  bool ok;
  if (!strcmp(q, "at least")) {
    ok = found >= n;
  } else if (!strcmp(q, "at most")) {
    ok = found <= n;
  } else if (!strcmp(q, "around")) {
    double tol = rint((double)n * 0.1);
    ok = llabs(found - n) <= (long long)(tol > 1 ? tol : 1);
  } else {
    vf_fail(v, "quantifier \"%s\" is none of at least, around, at most", q);
    return false;
  }
  v->pass = ok;
  if (!ok)
    vf_fail(v, "found %lld %s, needs %s %lld", found, what, q, n);
  return ok;
}

/* ---- prepares ------------------------------------------------------------- */

/* Every string kwarg (list items too) lowered into scratch, NUL after
 * each, in order (verify_keywords, validate_forbidden_words,
 * verify_keyword_frequency). */
static vf_status prep_lower(vf_checker *c, vf_error *err) {
  const vf_kwval *k = &c->kw[0];
  size_t n = k->list ? k->n : 1;
  for (size_t i = 0; i < n; i++)
    if (vf_py_lower(k->list ? k->list[i] : k->s, k->list ? k->lens[i] : k->slen,
                    &c->scratch) ||
        vf_buf_putc(&c->scratch, '\0'))
      return nomem(err);
  return VF_OK;
}

static vf_status prep_letter(vf_checker *c, vf_error *err) {
  if (vf_utf8_count(KW_STR(c, 0), KW_LEN(c, 0)) != 1)
    return vf_set_error(err, VF_EKWARG,
                        "instruction 'verify_letter_frequency': kwarg "
                        "'letter' must be one character, got \"%s\" (the "
                        "reference raises ValueError)",
                        KW_STR(c, 0));
  return VF_OK;
}

static vf_status prep_splitter(vf_checker *c, vf_error *err) {
  if (KW_LEN(c, 1) == 0)
    return vf_set_error(err, VF_EKWARG,
                        "instruction 'validate_sections': kwarg "
                        "'section_splitter' must not be empty (the reference "
                        "raises ValueError: empty separator)");
  return VF_OK;
}

/* ---- keywords and letters ------------------------------------------------------ */

/* Each lowered needle of scratch found (want) or absent (!want) in
 * text.lower(); reports the first that is not. */
static vf_status lowered_search(const vf_checker *c, const char *r, size_t n,
                                vf_verdict *v, vf_error *err, bool want) {
  vf_buf low = {0};
  if (vf_py_lower(r, n, &low))
    return nomem(err);
  const char *t = low.data ? low.data : "";
  v->pass = 1;
  for (size_t off = 0; off < c->scratch.len && v->pass;) {
    const char *kw = c->scratch.data + off;
    size_t k = strlen(kw);
    if (has(t, low.len, kw, k) != want)
      vf_fail(v, want ? "keyword \"%s\" not found" : "forbidden \"%s\" found",
              kw);
    off += k + 1;
  }
  vf_buf_free(&low);
  return VF_OK;
}

static vf_status verify_keywords(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  return lowered_search(c, r, n, v, err, true);
}

static vf_status validate_forbidden_words(const vf_checker *c, const char *r,
                                          size_t n, vf_verdict *v,
                                          vf_error *err) {
  return lowered_search(c, r, n, v, err, false);
}

/* Words \b\w+\b of text.lower() equal to word.lower(), exactly N. */
static vf_status verify_keyword_frequency(const vf_checker *c, const char *r,
                                          size_t n, vf_verdict *v,
                                          vf_error *err) {
  vf_buf low = {0};
  vf_re_iter it;
  if (vf_py_lower(r, n, &low) ||
      vf_re_iter_init(&it, RE(c, P_WORDS), low.data ? low.data : "", low.len)) {
    vf_buf_free(&low);
    return nomem(err);
  }
  long long k = 0;
  size_t b, e, wl = strlen(c->scratch.data);
  int rc;
  while ((rc = vf_re_iter_next(&it, &b, &e)) == 1)
    k += e - b == wl && !memcmp(low.data + b, c->scratch.data, wl);
  vf_re_iter_done(&it);
  vf_buf_free(&low);
  if (rc < 0)
    return regex_failed(err);
  v->pass = k == KW_INT(c, 1);
  if (!v->pass)
    vf_fail(v, "\"%s\" occurs %lld times as a word, needs exactly %lld",
            KW_STR(c, 0), k, KW_INT(c, 1));
  return VF_OK;
}

static vf_status verify_letter_frequency(const vf_checker *c, const char *r,
                                         size_t n, vf_verdict *v,
                                         vf_error *err) {
  long long k = (long long)vf_py_count(r, n, KW_STR(c, 0), KW_LEN(c, 0));
  v->pass = k == KW_INT(c, 1);
  if (!v->pass)
    vf_fail(v, "'%s' occurs %lld times, needs exactly %lld", KW_STR(c, 0), k,
            KW_INT(c, 1));
  return VF_OK;
}

static vf_status validate_response_language(const vf_checker *c,
                                            const char *r, size_t n,
                                            vf_verdict *v, vf_error *err) {
  char lang[8];
  int rc = vf_langdetect_detect(c->ctx->lang, r, n, lang);
  if (rc < 0)
    return nomem(err);
  if (rc == 1)
    return raises(v, "LangDetectException (no features in the text)");
  v->pass = !strcmp(lang, KW_STR(c, 0));
  if (!v->pass)
    vf_fail(v, "detected language \"%s\", needs \"%s\"", lang, KW_STR(c, 0));
  return VF_OK;
}

/* ---- length ----------------------------------------------------------------- */

/* Python's str.splitlines() boundaries: the length of the line break at
 * s[i], or 0. */
static size_t line_break(const char *s, size_t n, size_t i) {
  unsigned char ch = (unsigned char)s[i];
  if (ch == '\r')
    return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
  if (ch == '\n' || ch == 0x0B || ch == 0x0C || (ch >= 0x1C && ch <= 0x1E))
    return 1;
  if (ch == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85)
    return 2;
  if (ch == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
      ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
    return 3;
  return 0;
}

/* "\n".join(line.strip() for line in text.splitlines()).strip() */
static int clean_lines(const char *s, size_t n, vf_buf *out) {
  size_t start = 0;
  for (size_t i = 0; i <= n;) {
    size_t k = i < n ? line_break(s, n, i) : 0;
    if (i < n && !k) {
      i++;
      continue;
    }
    size_t b = start, e = i;
    vf_py_strip(s, &b, &e);
    if ((start < n || i < n) &&
        ((out->len && vf_buf_putc(out, '\n')) ||
         vf_buf_append(out, s + b, e - b)))
      return -1;
    if (i == n)
      break;
    i += k;
    start = i;
  }
  return 0;
}

static vf_status verify_paragraph_count(const vf_checker *c, const char *r,
                                        size_t n, vf_verdict *v,
                                        vf_error *err) {
  vf_buf t = {0};
  if (clean_lines(r, n, &t))
    return nomem(err);
  const char *td = t.data ? t.data : "";
  size_t b = 0, e = t.len;
  vf_py_strip(td, &b, &e);
  long long count = 0;
  bool blank = false;
  for (size_t at = b;;) {
    const char *hit = memmem(td + at, e - at, "* * *", 5);
    size_t end = hit ? (size_t)(hit - td) : e;
    blank |= vf_py_isblank(td + at, end - at);
    count++;
    if (!hit)
      break;
    at = end + 5;
  }
  vf_buf_free(&t);
  v->pass = !blank && count == KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, blank ? "an empty paragraph around * * *"
                     : "found %lld paragraphs separated by * * *, needs %lld",
            count, KW_INT(c, 0));
  return VF_OK;
}

static vf_status validate_word_constraint(const vf_checker *c, const char *r,
                                          size_t n, vf_verdict *v,
                                          vf_error *err) {
  size_t pos = 0, b, e;
  long long k = 0;
  while (vf_py_split_next(r, n, &pos, &b, &e))
    k++;
  quantified(k, KW_STR(c, 1), KW_INT(c, 0), v, "words");
  return VF_OK;
}

static vf_status verify_sentence_constraint(const vf_checker *c, const char *r,
                                            size_t n, vf_verdict *v,
                                            vf_error *err) {
  long k = vf_re_split_count(RE(c, P_SENTENCE_END), r, n);
  if (k < 0)
    return regex_failed(err);
  quantified(k, KW_STR(c, 1), KW_INT(c, 0), v, "sentences");
  return VF_OK;
}

/* text.split("\n\n") has N pieces and piece i - 1 (Python indexing),
 * stripped, starts with first_word. */
static vf_status validate_paragraphs(const vf_checker *c, const char *r,
                                     size_t n, vf_verdict *v, vf_error *err) {
  long long pieces = (long long)vf_py_count(r, n, "\n\n", 2) + 1;
  long long idx = KW_INT(c, 2) - 1;
  if (pieces != KW_INT(c, 0)) {
    vf_fail(v, "found %lld paragraphs, needs %lld", pieces, KW_INT(c, 0));
    return VF_OK;
  }
  if (idx < 0)
    idx += pieces;
  if (idx < 0 || idx >= pieces)
    return raises(v, "IndexError (no such paragraph)");
  size_t at = 0;
  for (long long k = 0; k < idx; k++)
    at = (size_t)((const char *)memmem(r + at, n - at, "\n\n", 2) - r) + 2;
  const char *hit = memmem(r + at, n - at, "\n\n", 2);
  size_t b = at, e = hit ? (size_t)(hit - r) : n;
  vf_py_strip(r, &b, &e);
  v->pass = starts(r + b, e - b, KW_STR(c, 1), KW_LEN(c, 1));
  if (!v->pass)
    vf_fail(v, "paragraph %lld does not start with \"%s\"", KW_INT(c, 2),
            KW_STR(c, 1));
  return VF_OK;
}

/* ---- content and format ----------------------------------------------------- */

static vf_status verify_postscript(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  const char *hit = KW_LEN(c, 0) ? memmem(r, n, KW_STR(c, 0), KW_LEN(c, 0)) : r;
  if (!hit) {
    vf_fail(v, "no \"%s\"", KW_STR(c, 0));
    return VF_OK;
  }
  size_t b = (size_t)(hit - r), e = n;
  vf_py_strip(r, &b, &e);
  v->pass = vf_utf8_count(r + b, e - b) > vf_utf8_count(KW_STR(c, 0),
                                                        KW_LEN(c, 0));
  if (!v->pass)
    vf_fail(v, "nothing follows \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

/* len(re.findall(pattern)) compared with N by cmp (>= or ==). */
static vf_status count_pattern(const vf_checker *c, int pat, const char *r,
                               size_t n, vf_verdict *v, vf_error *err,
                               bool exact, const char *what) {
  long k = vf_re_count(RE(c, pat), r, n);
  if (k < 0)
    return regex_failed(err);
  v->pass = exact ? k == KW_INT(c, 0) : k >= KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %ld %s, needs %s %lld", k, what,
            exact ? "exactly" : "at least", KW_INT(c, 0));
  return VF_OK;
}

static vf_status validate_placeholders(const vf_checker *c, const char *r,
                                       size_t n, vf_verdict *v,
                                       vf_error *err) {
  return count_pattern(c, P_BRACKETS, r, n, v, err, false, "[placeholders]");
}

static vf_status validate_highlighted_sections(const vf_checker *c,
                                               const char *r, size_t n,
                                               vf_verdict *v, vf_error *err) {
  return count_pattern(c, P_STARS, r, n, v, err, false, "*highlights*");
}

static vf_status validate_title(const vf_checker *c, const char *r, size_t n,
                                vf_verdict *v, vf_error *err) {
  int m = vf_re_search(RE(c, P_TITLE), r, n);
  if (m < 0)
    return regex_failed(err);
  v->pass = m;
  if (!m)
    vf_fail(v, "no <<title>>");
  return VF_OK;
}

static vf_status verify_bullet_points(const vf_checker *c, const char *r,
                                      size_t n, vf_verdict *v, vf_error *err) {
  long long k = 0;
  for (size_t at = 0;;) {
    const char *nl = memchr(r + at, '\n', n - at);
    size_t end = nl ? (size_t)(nl - r) : n, b = at, e = end;
    vf_py_strip(r, &b, &e);
    k += b < e && (r[b] == '*' || r[b] == '-');
    if (!nl)
      break;
    at = end + 1;
  }
  v->pass = k == KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %lld lines starting with * or -, needs exactly %lld", k,
            KW_INT(c, 0));
  return VF_OK;
}

static vf_status validate_choice(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  const vf_kwval *k = &c->kw[0];
  for (size_t i = 0; i < k->n; i++)
    if (has(r, n, k->list[i], k->lens[i])) {
      v->pass = 1;
      return VF_OK;
    }
  vf_fail(v, "none of the %zu options appears", k->n);
  return VF_OK;
}

/* text.split(splitter), a leading empty piece dropped: N sections. */
static vf_status validate_sections(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  long long k = (long long)vf_py_count(r, n, KW_STR(c, 1), KW_LEN(c, 1)) + 1;
  k -= starts(r, n, KW_STR(c, 1), KW_LEN(c, 1)) || n == 0;
  v->pass = k == KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %lld sections split by \"%s\", needs %lld", k,
            KW_STR(c, 1), KW_INT(c, 0));
  return VF_OK;
}

static vf_status validate_json_format(const vf_checker *c, const char *r,
                                      size_t n, vf_verdict *v, vf_error *err) {
  v->pass = vf_pyjson_valid(r, n);
  if (!v->pass)
    vf_fail(v, "the response is not JSON (json.loads)");
  return VF_OK;
}

static vf_status validate_repeat_prompt(const vf_checker *c, const char *r,
                                        size_t n, vf_verdict *v,
                                        vf_error *err) {
  v->pass = starts(r, n, KW_STR(c, 0), KW_LEN(c, 0));
  if (!v->pass)
    vf_fail(v, "the response does not start with the prompt");
  return VF_OK;
}

static vf_status validate_two_responses(const vf_checker *c, const char *r,
                                        size_t n, vf_verdict *v,
                                        vf_error *err) {
  const char *sep = memmem(r, n, "******", 6);
  if (vf_py_count(r, n, "******", 6) != 1) {
    vf_fail(v, "needs exactly one ****** separator");
    return VF_OK;
  }
  size_t ab = 0, ae = (size_t)(sep - r), bb = ae + 6, be = n;
  vf_py_strip(r, &ab, &ae);
  vf_py_strip(r, &bb, &be);
  v->pass = ae - ab != be - bb || memcmp(r + ab, r + bb, ae - ab);
  if (!v->pass)
    vf_fail(v, "the two responses are the same");
  return VF_OK;
}

/* Code points whose Python upper() is longer than one character (ß, ŉ,
 * ligatures, Greek with iota subscript, ...): from Python 3.11 (Unicode
 * 14.0), `[c for c in range(0x110000) if len(chr(c).upper()) > 1]`. */
static const struct {
  int32_t lo, hi;
} multi_upper[] = {
    {0x00DF, 0x00DF}, {0x0149, 0x0149}, {0x01F0, 0x01F0}, {0x0390, 0x0390},
    {0x03B0, 0x03B0}, {0x0587, 0x0587}, {0x1E96, 0x1E9A}, {0x1F50, 0x1F50},
    {0x1F52, 0x1F52}, {0x1F54, 0x1F54}, {0x1F56, 0x1F56}, {0x1F80, 0x1FAF},
    {0x1FB2, 0x1FB4}, {0x1FB6, 0x1FB7}, {0x1FBC, 0x1FBC}, {0x1FC2, 0x1FC4},
    {0x1FC6, 0x1FC7}, {0x1FCC, 0x1FCC}, {0x1FD2, 0x1FD3}, {0x1FD6, 0x1FD7},
    {0x1FE2, 0x1FE4}, {0x1FE6, 0x1FE7}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FF7},
    {0x1FFC, 0x1FFC}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17},
};

/* True when upper() leaves cp as it is. */
static bool upper_fixed(int32_t cp) {
  for (size_t i = 0; i < sizeof multi_upper / sizeof multi_upper[0]; i++)
    if (cp >= multi_upper[i].lo && cp <= multi_upper[i].hi)
      return false;
  return utf8proc_toupper(cp) == cp;
}

static vf_status validate_uppercase(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  for (size_t i = 0; i < n;) {
    int32_t cp;
    i += vf_utf8_decode(r, n, i, &cp);
    if (!upper_fixed(cp)) {
      vf_fail(v, "the response changes under upper() (U+%04X)", (unsigned)cp);
      return VF_OK;
    }
  }
  v->pass = 1;
  return VF_OK;
}

static vf_status validate_lowercase(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  vf_buf low = {0};
  if (vf_py_lower(r, n, &low))
    return nomem(err);
  v->pass = low.len == n && (n == 0 || !memcmp(low.data, r, n));
  vf_buf_free(&low);
  if (!v->pass)
    vf_fail(v, "the response changes under lower()");
  return VF_OK;
}

static vf_status validate_frequency_capital_words(const vf_checker *c,
                                                  const char *r, size_t n,
                                                  vf_verdict *v,
                                                  vf_error *err) {
  long k = vf_re_count(RE(c, P_CAPS), r, n);
  if (k < 0)
    return regex_failed(err);
  quantified(k, KW_STR(c, 1), KW_INT(c, 0), v, "capital words");
  return VF_OK;
}

static vf_status validate_end(const vf_checker *c, const char *r, size_t n,
                              vf_verdict *v, vf_error *err) {
  v->pass = ends(r, n, KW_STR(c, 0), KW_LEN(c, 0));
  if (!v->pass)
    vf_fail(v, "the response does not end with \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

static vf_status validate_quotation(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  v->pass = n > 0 && r[0] == '"' && r[n - 1] == '"';
  if (!v->pass)
    vf_fail(v, "the response does not start and end with \"");
  return VF_OK;
}

static vf_status validate_no_commas(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  v->pass = memchr(r, ',', n) == NULL;
  if (!v->pass)
    vf_fail(v, "found a comma");
  return VF_OK;
}

/* ---- the table (sorted by id) ------------------------------------------------------ */

#define K(name, type) {name, VF_KW_##type, 0}

static const vf_checkdef table[] = {
    {"validate_choice", validate_choice, NULL, {K("options", STRSEQ)},
     "one of the options appears (a string option list is its characters)"},
    {"validate_end", validate_end, NULL, {K("end_phrase", STR)},
     "the response ends with the phrase"},
    {"validate_forbidden_words", validate_forbidden_words, prep_lower,
     {K("forbidden_words", STRLIST)},
     "none of the words appears (substring, case-insensitive)"},
    {"validate_frequency_capital_words", validate_frequency_capital_words,
     NULL, {K("N", INT), K("quantifier", STR)},
     "capital words at least / around / at most N"},
    {"validate_highlighted_sections", validate_highlighted_sections, NULL,
     {K("N", INT)}, "at least N *highlights*"},
    {"validate_json_format", validate_json_format, NULL, {{0}},
     "the response is JSON"},
    {"validate_lowercase", validate_lowercase, NULL, {{0}},
     "the response equals its lower()"},
    {"validate_no_commas", validate_no_commas, NULL, {{0}}, "no commas"},
    {"validate_paragraphs", validate_paragraphs, NULL,
     {K("N", INT), K("first_word", STR), K("i", INT)},
     "N paragraphs (\\n\\n), paragraph i starting with first_word"},
    {"validate_placeholders", validate_placeholders, NULL, {K("N", INT)},
     "at least N [placeholders]"},
    {"validate_quotation", validate_quotation, NULL, {{0}},
     "the response starts and ends with \""},
    {"validate_repeat_prompt", validate_repeat_prompt, NULL,
     {K("original_prompt", STR)}, "the response starts with the prompt"},
    {"validate_response_language", validate_response_language, NULL,
     {K("language", STR)}, "langdetect gives the language"},
    {"validate_sections", validate_sections, prep_splitter,
     {K("N", INT), K("section_splitter", STR)},
     "N sections split by the splitter"},
    {"validate_title", validate_title, NULL, {{0}}, "a <<title>>"},
    {"validate_two_responses", validate_two_responses, NULL, {{0}},
     "two different responses around one ******"},
    {"validate_uppercase", validate_uppercase, NULL, {{0}},
     "the response equals its upper()"},
    {"validate_word_constraint", validate_word_constraint, NULL,
     {K("N", INT), K("quantifier", STR)},
     "words at least / around / at most N"},
    {"verify_bullet_points", verify_bullet_points, NULL, {K("N", INT)},
     "exactly N lines starting with * or -"},
    {"verify_keyword_frequency", verify_keyword_frequency, prep_lower,
     {K("word", STR), K("N", INT)}, "the word occurs exactly N times"},
    {"verify_keywords", verify_keywords, prep_lower,
     {K("keyword_list", STRLIST)},
     "every keyword appears (substring, case-insensitive)"},
    {"verify_letter_frequency", verify_letter_frequency, prep_letter,
     {K("letter", STR), K("N", INT)},
     "the letter occurs exactly N times (case-sensitive)"},
    {"verify_paragraph_count", verify_paragraph_count, NULL, {K("N", INT)},
     "exactly N paragraphs separated by * * *"},
    {"verify_postscript", verify_postscript, NULL,
     {K("postscript_marker", STR)}, "something follows the marker"},
    {"verify_sentence_constraint", verify_sentence_constraint, NULL,
     {K("N", INT), K("quantifier", STR)},
     "sentences at least / around / at most N"},
};

const vf_checkdef *vf_tulu3_table(size_t *n) {
  *n = sizeof table / sizeof table[0];
  return table;
}
