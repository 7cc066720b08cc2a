/*
 * ifeval.c: IFEval's 25 checks (google-research instruction_following_eval,
 * instructions.py), one small function each, and their table.
 *
 * Each function is the reference's check_following() on the raw response;
 * strictness and the loose variants are applied by src/eval.  The exact rule
 * of every check is restated in docs/ifeval-semantics.md.  One
 * deliberate difference: keywords:letter_frequency counts the given
 * character where the reference substitutes a random letter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "text/pyjson.h"

/* Patterns fixed by the reference, compiled (with JIT) once per context. */
enum {
  RE_WORDS,      /* \w+                       number_words            */
  RE_PARAGRAPHS, /* \s?\*\*\*\s?              number_paragraphs       */
  RE_PLACEHOLD,  /* \[.*?\]                   number_placeholders     */
  RE_BULLET_STAR,
  RE_BULLET_DASH,
  RE_HIGHLIGHT1,
  RE_HIGHLIGHT2,
  RE_TITLE,
  RE_PS_PPS,
  RE_PS_PS,
  RE_NFIXED
};

static const struct {
  const char *pat;
  unsigned flags;
} fixed[RE_NFIXED] = {
    [RE_WORDS] = {"\\w+", 0},
    [RE_PARAGRAPHS] = {"\\s?\\*\\*\\*\\s?", 0},
    [RE_PLACEHOLD] = {"\\[.*?\\]", 0},
    [RE_BULLET_STAR] = {"^\\s*\\*[^\\*].*$", VF_RE_M},
    [RE_BULLET_DASH] = {"^\\s*-.*$", VF_RE_M},
    [RE_HIGHLIGHT1] = {"\\*[^\\n\\*]*\\*", 0},
    [RE_HIGHLIGHT2] = {"\\*\\*[^\\n\\*]*\\*\\*", 0},
    [RE_TITLE] = {"<<[^\\n]+>>", 0},
    [RE_PS_PPS] = {"\\s*p\\.\\s?p\\.\\s?s.*$", VF_RE_M},
    [RE_PS_PS] = {"\\s*p\\.\\s?s\\..*$", VF_RE_M},
};

_Static_assert(RE_NFIXED <= VF_CTX_NRE, "vf_ctx.re too small");

vf_status vf_ifeval_init(vf_ctx *ctx, void **state, vf_error *err) {
  *state = NULL;
  for (int i = 0; i < RE_NFIXED; i++) {
    vf_status st = vf_re_compile(fixed[i].pat, strlen(fixed[i].pat),
                                 fixed[i].flags | VF_RE_JIT, &ctx->re[i], err);
    if (st)
      return st;
  }
  return VF_OK;
}

void vf_ifeval_fini(vf_ctx *ctx, void *state) {
  for (int i = 0; i < RE_NFIXED; i++)
    vf_re_free(ctx->re[i]);
}

#define FIXED(c, k) ((c)->ctx->re[k])
#define KW_INT(c, k) ((c)->kw[k].i)
#define KW_STR(c, k) ((c)->kw[k].s)
#define KW_LEN(c, k) ((c)->kw[k].slen)

static const char *rel_name(long long rel) {
  return rel == VF_REL_LESS ? "less than" : "at least";
}

/* The reference's comparison: "less than" is <, "at least" is >=. */
static void compare(vf_verdict *v, long long found, long long rel,
                    long long want, const char *what) {
  v->pass = rel == VF_REL_LESS ? found < want : found >= want;
  if (!v->pass)
    vf_fail(v, "found %lld %s, needs %s %lld", found, what, rel_name(rel),
            want);
}

static vf_status count_or_fail(long n, vf_error *err) {
  return n < 0 ? vf_set_error(err, VF_EREGEX,
                              "regular expression failed (match limit or "
                              "out of memory)")
               : VF_OK;
}

/* ---- keywords ------------------------------------------------------------ */

/* Compiles kwarg 0's strings (or string) with an optional \b frame. */
static vf_status prep_patterns(vf_checker *c, bool bounded, vf_error *err) {
  const vf_kwval *kw = &c->kw[0];
  size_t n = kw->list ? kw->n : 1;
  c->re = calloc(n ? n : 1, sizeof *c->re);
  if (!c->re)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *s = kw->list ? kw->list[i] : kw->s;
    size_t len = kw->list ? kw->lens[i] : kw->slen;
    size_t b = 0, e = len;
    vf_buf pat = {0};
    if (!kw->list) /* keywords:frequency strips its keyword */
      vf_py_strip(s, &b, &e);
    if ((bounded && vf_buf_append(&pat, "\\b", 2)) ||
        vf_buf_append(&pat, s + b, e - b) ||
        (bounded && vf_buf_append(&pat, "\\b", 2))) {
      vf_buf_free(&pat);
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    }
    vf_status st = vf_ctx_re_compile(c->ctx, pat.data, pat.len, VF_RE_I,
                                      &c->re[i], err);
    vf_buf_free(&pat);
    c->nre = i + 1;
    if (st)
      return st;
  }
  return VF_OK;
}

static vf_status prep_plain(vf_checker *c, vf_error *err) {
  return prep_patterns(c, false, err);
}

static vf_status prep_bounded(vf_checker *c, vf_error *err) {
  return prep_patterns(c, true, err);
}

static vf_status keywords_existence(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  v->pass = 1;
  for (size_t i = 0; i < c->nre; i++) {
    int m = vf_re_search(c->re[i], r, n);
    if (m < 0)
      return count_or_fail(-1, err);
    if (!m) {
      vf_fail(v, "keyword \"%s\" not found", c->kw[0].list[i]);
      return VF_OK;
    }
  }
  return VF_OK;
}

static vf_status keywords_frequency(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  long k = vf_re_count(c->re[0], r, n);
  if (k < 0)
    return count_or_fail(k, err);
  char what[160];
  snprintf(what, sizeof what, "occurrences of \"%s\"", KW_STR(c, 0));
  compare(v, k, KW_INT(c, 2), KW_INT(c, 1), what);
  return VF_OK;
}

static vf_status keywords_forbidden(const vf_checker *c, const char *r,
                                    size_t n, vf_verdict *v, vf_error *err) {
  v->pass = 1;
  for (size_t i = 0; i < c->nre; i++) {
    int m = vf_re_search(c->re[i], r, n);
    if (m < 0)
      return count_or_fail(-1, err);
    if (m) {
      vf_fail(v, "forbidden word \"%s\" found", c->kw[0].list[i]);
      return VF_OK;
    }
  }
  return VF_OK;
}

/* letter must be one character; its lower() is what gets counted. */
static vf_status prep_letter(vf_checker *c, vf_error *err) {
  const vf_kwval *kw = &c->kw[0];
  if (vf_utf8_count(kw->s, kw->slen) != 1)
    return vf_set_error(err, VF_EKWARG,
                        "instruction 'keywords:letter_frequency': kwarg "
                        "'letter' must be one character, got \"%s\"",
                        kw->s);
  return vf_py_lower(kw->s, kw->slen, &c->scratch)
             ? vf_set_error(err, VF_ENOMEM, "out of memory")
             : VF_OK;
}

static vf_status keywords_letter(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  vf_buf low = {0};
  if (vf_py_lower(r, n, &low))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  /* Counter(value.lower())[letter]: whole characters only, so a letter
   * whose lower() is two characters (U+0130) is never counted. */
  long long k = 0;
  if (vf_utf8_count(c->scratch.data, c->scratch.len) == 1)
    k = (long long)vf_py_count(low.data, low.len, c->scratch.data,
                               c->scratch.len);
  vf_buf_free(&low);
  char what[64];
  snprintf(what, sizeof what, "occurrences of '%s'", c->scratch.data);
  compare(v, k, KW_INT(c, 2), KW_INT(c, 1), what);
  return VF_OK;
}

/* ---- language -------------------------------------------------------------- */

/* langdetect.detect(r): 1 with lang set, 0 when it raises, -1 ENOMEM. */
static int detect(const vf_checker *c, const char *r, size_t n, char lang[8]) {
  int rc = vf_langdetect_detect(c->ctx->lang, r, n, lang);
  return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

/* The reference's build_description looks the code up in its table of 30
 * languages (instructions_util.LANGUAGE_CODES): any other code fails there. */
static vf_status prep_language(vf_checker *c, vf_error *err) {
  static const char *const codes[] = {
      "en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it",
      "bn", "uk", "th", "ur", "ta", "te", "bg", "ko", "pl", "he",
      "fa", "vi", "ne", "sw", "kn", "mr", "gu", "pa", "ml", "fi"};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (!strcmp(KW_STR(c, 0), codes[i]))
      return VF_OK;
  return vf_set_error(err, VF_EKWARG,
                      "instruction 'language:response_language': kwarg "
                      "'language' must be one of IFEval's 30 codes (en, es, "
                      "pt, ar, hi, fr, ru, de, ja, it, bn, uk, th, ur, ta, te, "
                      "bg, ko, pl, he, fa, vi, ne, sw, kn, mr, gu, pa, ml, "
                      "fi), got \"%s\"",
                      KW_STR(c, 0));
}

static vf_status language_response(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  char lang[8];
  int d = detect(c, r, n, lang);
  if (d < 0)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  v->pass = d == 0 || strcmp(lang, KW_STR(c, 0)) == 0;
  if (!v->pass)
    vf_fail(v, "detected language \"%s\", needs \"%s\"", lang, KW_STR(c, 0));
  return VF_OK;
}

/* english_capital / english_lowercase share this body. */
static vf_status english_case(const vf_checker *c, const char *r, size_t n,
                              vf_verdict *v, vf_error *err, bool upper) {
  if (!(upper ? vf_py_str_isupper(r, n) : vf_py_str_islower(r, n))) {
    vf_fail(v, "response is not all %s case", upper ? "upper" : "lower");
    return VF_OK;
  }
  char lang[8];
  int d = detect(c, r, n, lang);
  if (d < 0)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  v->pass = d == 0 || strcmp(lang, "en") == 0;
  if (!v->pass)
    vf_fail(v, "detected language \"%s\", needs \"en\"", lang);
  return VF_OK;
}

static vf_status english_capital(const vf_checker *c, const char *r, size_t n,
                                 vf_verdict *v, vf_error *err) {
  return english_case(c, r, n, v, err, true);
}

static vf_status english_lowercase(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  return english_case(c, r, n, v, err, false);
}

/* ---- length ------------------------------------------------------------- */

static vf_status number_sentences(const vf_checker *c, const char *r, size_t n,
                                  vf_verdict *v, vf_error *err) {
  size_t k = vf_punkt_count_sentences(c->ctx->punkt, r, n);
  if (k == (size_t)-1)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  compare(v, (long long)k, KW_INT(c, 1), KW_INT(c, 0), "sentences");
  return VF_OK;
}

/* len(re.findall(r"\w+", r)) for ASCII text, where \w is [0-9A-Za-z_]:
 * the runs of those bytes.  -1 when r holds a non-ASCII byte (the regex
 * then decides what \w means). */
static long ascii_words(const char *r, size_t n) {
  long k = 0;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)r[i];
    if (ch >= 0x80)
      return -1;
    bool w = (ch >= '0' && ch <= '9') ||
             ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_';
    k += w && !in;
    in = w;
  }
  return k;
}

static vf_status number_words(const vf_checker *c, const char *r, size_t n,
                              vf_verdict *v, vf_error *err) {
  long k = ascii_words(r, n);
  if (k < 0)
    k = vf_re_count(FIXED(c, RE_WORDS), r, n);
  if (k < 0)
    return count_or_fail(k, err);
  compare(v, k, KW_INT(c, 1), KW_INT(c, 0), "words");
  return VF_OK;
}

static vf_status number_paragraphs(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, FIXED(c, RE_PARAGRAPHS), r, n))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  /* Walk the pieces of re.split(): a blank first or last piece lowers the
   * count, a blank middle piece fails at once. */
  long long count = 0;
  size_t start = 0, mb, me;
  int rc;
  bool first = true;
  v->pass = 1;
  for (rc = vf_re_iter_next(&it, &mb, &me);; rc = vf_re_iter_next(&it, &mb, &me)) {
    if (rc < 0)
      break;
    size_t end = rc == 1 ? mb : n;
    bool blank = vf_py_isblank(r + start, end - start);
    bool last = rc == 0;
    if (blank && !first && !last) {
      vf_fail(v, "paragraph %lld is empty", count + 1);
      break;
    }
    count += !blank;
    first = false;
    if (last)
      break;
    start = me;
  }
  vf_re_iter_done(&it);
  if (rc < 0)
    return count_or_fail(-1, err);
  if (v->pass && count != KW_INT(c, 0))
    vf_fail(v, "found %lld paragraphs separated by ***, needs %lld", count,
            KW_INT(c, 0));
  return VF_OK;
}

static vf_status prep_nth_paragraph(vf_checker *c, vf_error *err) {
  if (KW_INT(c, 1) < 1 || KW_INT(c, 1) > KW_INT(c, 0))
    return vf_set_error(err, VF_EKWARG,
                        "instruction "
                        "'length_constraints:nth_paragraph_first_word': kwarg "
                        "'nth_paragraph' must be between 1 and num_paragraphs "
                        "(%lld), got %lld",
                        KW_INT(c, 0), KW_INT(c, 1));
  return vf_py_lower(KW_STR(c, 2), KW_LEN(c, 2), &c->scratch)
             ? vf_set_error(err, VF_ENOMEM, "out of memory")
             : VF_OK;
}

/* The first word as the reference cuts it: split()[0], lstrip("'") then
 * lstrip('"'), up to the first of . , ? ! ' ", each char lowered alone. */
static int first_word(const char *p, size_t b, size_t e, vf_buf *out) {
  size_t pos = b, wb, we;
  if (!vf_py_split_next(p, e, &pos, &wb, &we))
    return 0;
  while (wb < we && p[wb] == '\'')
    wb++;
  while (wb < we && p[wb] == '"')
    wb++;
  for (size_t i = wb; i < we;) {
    if (strchr(".,?!'\"", p[i]) && p[i])
      break;
    int32_t cp;
    size_t k = vf_utf8_decode(p, we, i, &cp);
    if (vf_py_lower(p + i, k, out))
      return -1;
    i += k;
  }
  return 0;
}

static vf_status nth_paragraph(const vf_checker *c, const char *r, size_t n,
                               vf_verdict *v, vf_error *err) {
  /* pieces of value.split("\n\n"): count the non-blank ones and find the
   * nth piece (unfiltered numbering) on the way. */
  long long nth = KW_INT(c, 1), count = 0, idx = 0;
  size_t nb = 0, ne = 0, start = 0;
  bool have = false;
  for (;;) {
    const char *hit = memmem(r + start, n - start, "\n\n", 2);
    size_t end = hit ? (size_t)(hit - r) : n;
    if (++idx == nth) {
      nb = start, ne = end, have = true;
    }
    count += !vf_py_isblank(r + start, end - start);
    if (!hit)
      break;
    start = end + 2;
  }
  vf_py_strip(r, &nb, &ne);
  if (nth > count || !have || nb == ne) {
    vf_fail(v, "paragraph %lld is missing or empty (found %lld paragraphs)",
            nth, count);
    return VF_OK;
  }
  vf_buf w = {0};
  if (first_word(r, nb, ne, &w))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  const char *word = w.data ? w.data : "";
  v->pass = count == KW_INT(c, 0) && strcmp(word, c->scratch.data) == 0;
  if (!v->pass)
    vf_fail(v, "found %lld paragraphs, paragraph %lld starts with \"%s\"; "
            "needs %lld paragraphs, paragraph %lld starting with \"%s\"",
            count, nth, word, KW_INT(c, 0), nth, c->scratch.data);
  vf_buf_free(&w);
  return VF_OK;
}

/* ---- detectable content and format ---------------------------------------- */

static vf_status number_placeholders(const vf_checker *c, const char *r,
                                     size_t n, vf_verdict *v, vf_error *err) {
  long k = vf_re_count(FIXED(c, RE_PLACEHOLD), r, n);
  if (k < 0)
    return count_or_fail(k, err);
  compare(v, k, VF_REL_ATLEAST, KW_INT(c, 0), "[placeholders]");
  return VF_OK;
}

/* Compiles pat (then freed) as the checker's one pattern. */
static vf_status set_pattern(vf_checker *c, vf_buf *pat, unsigned flags,
                             vf_error *err) {
  c->re = calloc(1, sizeof *c->re);
  vf_status st = c->re ? VF_OK : vf_set_error(err, VF_ENOMEM, "out of memory");
  if (c->re) {
    c->nre = 1;
    st = vf_ctx_re_compile(c->ctx, pat->data, pat->len, flags, &c->re[0],
                           err);
  }
  vf_buf_free(pat);
  return st;
}

/* The marker is stripped; "P.P.S" and "P.S." use the reference's fixed
 * patterns, any other marker is lowered and used as a regex, unescaped. */
static vf_status prep_postscript(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 0);
  const char *m = KW_STR(c, 0);
  vf_py_strip(m, &b, &e);
  if ((e - b == 5 && !memcmp(m + b, "P.P.S", 5)) ||
      (e - b == 4 && !memcmp(m + b, "P.S.", 4)))
    return VF_OK;
  vf_buf pat = {0};
  if (vf_buf_append(&pat, "\\s*", 3) || vf_py_lower(m + b, e - b, &pat) ||
      vf_buf_append(&pat, ".*$", 3)) {
    vf_buf_free(&pat);
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  return set_pattern(c, &pat, VF_RE_M, err);
}

static vf_status postscript(const vf_checker *c, const char *r, size_t n,
                            vf_verdict *v, vf_error *err) {
  const vf_re *re = c->nre ? c->re[0] : NULL;
  if (!re) {
    size_t b = 0, e = KW_LEN(c, 0);
    vf_py_strip(KW_STR(c, 0), &b, &e);
    re = FIXED(c, e - b == 5 ? RE_PS_PPS : RE_PS_PS);
  }
  vf_buf low = {0};
  if (vf_py_lower(r, n, &low))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  int m = vf_re_search(re, low.data, low.len);
  vf_buf_free(&low);
  if (m < 0)
    return count_or_fail(-1, err);
  v->pass = m;
  if (!m)
    vf_fail(v, "no postscript starting with \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

static vf_status number_bullets(const vf_checker *c, const char *r, size_t n,
                                vf_verdict *v, vf_error *err) {
  long a = vf_re_count(FIXED(c, RE_BULLET_STAR), r, n);
  long b = vf_re_count(FIXED(c, RE_BULLET_DASH), r, n);
  if (a < 0 || b < 0)
    return count_or_fail(-1, err);
  v->pass = a + b == KW_INT(c, 0);
  if (!v->pass)
    vf_fail(v, "found %ld bullet points, needs exactly %lld", a + b,
            KW_INT(c, 0));
  return VF_OK;
}

static vf_status constrained_response(const vf_checker *c, const char *r,
                                      size_t n, vf_verdict *v, vf_error *err) {
  static const char *const answers[] = {
      "My answer is yes.", "My answer is no.", "My answer is maybe."};
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  v->pass = 0;
  for (size_t i = 0; i < 3 && !v->pass; i++)
    v->pass = memmem(r + b, e - b, answers[i], strlen(answers[i])) != NULL;
  if (!v->pass)
    vf_fail(v, "none of \"My answer is yes.\", \"My answer is no.\", "
            "\"My answer is maybe.\" found");
  return VF_OK;
}

/* Counts matches of a highlight pattern whose inner text is not blank; the
 * single-star form strips every leading/trailing '*', the double one only
 * the "**" affixes. */
static long count_highlights(const vf_re *re, const char *r, size_t n,
                             bool dbl) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, re, r, n))
    return -1;
  long k = 0;
  size_t b, e;
  int rc = vf_re_iter_next(&it, &b, &e);
  for (; rc == 1; rc = vf_re_iter_next(&it, &b, &e)) {
    if (dbl) {
      b += 2, e -= 2;
    } else {
      while (b < e && r[b] == '*')
        b++;
      while (e > b && r[e - 1] == '*')
        e--;
    }
    k += !vf_py_isblank(r + b, e - b);
  }
  vf_re_iter_done(&it);
  return rc < 0 ? -1 : k;
}

static vf_status number_highlights(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  long a = count_highlights(FIXED(c, RE_HIGHLIGHT1), r, n, false);
  long b = count_highlights(FIXED(c, RE_HIGHLIGHT2), r, n, true);
  if (a < 0 || b < 0)
    return count_or_fail(-1, err);
  compare(v, a + b, VF_REL_ATLEAST, KW_INT(c, 0), "highlighted sections");
  return VF_OK;
}

/* \s? + spliter.strip() + \s?\d+\s? (the spliter is a regex, unescaped). */
static vf_status prep_sections(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 1);
  vf_py_strip(KW_STR(c, 1), &b, &e);
  vf_buf pat = {0};
  if (vf_buf_append(&pat, "\\s?", 3) ||
      vf_buf_append(&pat, KW_STR(c, 1) + b, e - b) ||
      vf_buf_append(&pat, "\\s?\\d+\\s?", 9)) {
    vf_buf_free(&pat);
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  return set_pattern(c, &pat, 0, err);
}

static vf_status multiple_sections(const vf_checker *c, const char *r,
                                   size_t n, vf_verdict *v, vf_error *err) {
  long k = vf_re_split_count(c->re[0], r, n);
  if (k < 0)
    return count_or_fail(k, err);
  char what[160];
  snprintf(what, sizeof what, "sections marked \"%s N\"", KW_STR(c, 1));
  compare(v, k - 1, VF_REL_ATLEAST, KW_INT(c, 0), what);
  return VF_OK;
}

/* Removes prefix p from [*b, e) when present (str.removeprefix). */
static void remove_prefix(const char *r, size_t *b, size_t e, const char *p) {
  size_t k = strlen(p);
  if (e - *b >= k && !memcmp(r + *b, p, k))
    *b += k;
}

static vf_status json_format(const vf_checker *c, const char *r, size_t n,
                             vf_verdict *v, vf_error *err) {
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  remove_prefix(r, &b, e, "```json");
  remove_prefix(r, &b, e, "```Json");
  remove_prefix(r, &b, e, "```JSON");
  remove_prefix(r, &b, e, "```");
  if (e - b >= 3 && !memcmp(r + e - 3, "```", 3))
    e -= 3;
  vf_py_strip(r, &b, &e);
  v->pass = vf_pyjson_valid(r + b, e - b);
  if (!v->pass)
    vf_fail(v, "response is not valid JSON (after removing ``` fences)");
  return VF_OK;
}

static vf_status title(const vf_checker *c, const char *r, size_t n,
                       vf_verdict *v, vf_error *err) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, FIXED(c, RE_TITLE), r, n))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  size_t b, e;
  int rc = vf_re_iter_next(&it, &b, &e);
  v->pass = 0;
  for (; rc == 1 && !v->pass; rc = vf_re_iter_next(&it, &b, &e)) {
    while (b < e && r[b] == '<')
      b++;
    while (e > b && r[e - 1] == '>')
      e--;
    v->pass = !vf_py_isblank(r + b, e - b);
  }
  vf_re_iter_done(&it);
  if (rc < 0 && !v->pass)
    return count_or_fail(-1, err);
  if (!v->pass)
    vf_fail(v, "no title wrapped in << >>");
  return VF_OK;
}

/* ---- combination, start/end, case, punctuation ------------------------------ */

static vf_status two_responses(const vf_checker *c, const char *r, size_t n,
                               vf_verdict *v, vf_error *err) {
  size_t start = 0, vb[2] = {0}, ve[2] = {0};
  int valid = 0;
  for (bool first = true;; first = false) {
    const char *hit = memmem(r + start, n - start, "******", 6);
    size_t end = hit ? (size_t)(hit - r) : n;
    size_t b = start, e = end;
    vf_py_strip(r, &b, &e);
    if (b == e && !first && hit) {
      vf_fail(v, "an empty response between ****** separators");
      return VF_OK;
    }
    if (b != e) {
      if (valid < 2)
        vb[valid] = b, ve[valid] = e;
      valid++;
    }
    if (!hit)
      break;
    start = end + 6;
  }
  v->pass = valid == 2 && (ve[0] - vb[0] != ve[1] - vb[1] ||
                           memcmp(r + vb[0], r + vb[1], ve[0] - vb[0]));
  if (!v->pass)
    vf_fail(v, valid == 2 ? "the two responses are identical"
                          : "found %d responses separated by ******, needs 2",
            valid);
  return VF_OK;
}

static vf_status prep_lower_stripped(vf_checker *c, vf_error *err) {
  size_t b = 0, e = KW_LEN(c, 0);
  vf_py_strip(KW_STR(c, 0), &b, &e);
  /* the reference refuses an empty prompt_to_repeat (before stripping) */
  if (KW_LEN(c, 0) == 0 && !strcmp(c->def->kwargs[0].name, "prompt_to_repeat"))
    return vf_set_error(err, VF_EKWARG,
                        "instruction 'combination:repeat_prompt': kwarg "
                        "'prompt_to_repeat' must not be empty");
  return vf_py_lower(KW_STR(c, 0) + b, e - b, &c->scratch)
             ? vf_set_error(err, VF_ENOMEM, "out of memory")
             : VF_OK;
}

static vf_status repeat_prompt(const vf_checker *c, const char *r, size_t n,
                               vf_verdict *v, vf_error *err) {
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  vf_buf low = {0};
  if (vf_py_lower(r + b, e - b, &low))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  const vf_buf *want = &c->scratch;
  v->pass = low.len >= want->len && !memcmp(low.data ? low.data : "",
                                           want->data ? want->data : "",
                                           want->len);
  vf_buf_free(&low);
  if (!v->pass)
    vf_fail(v, "response does not start with the prompt to repeat");
  return VF_OK;
}

static vf_status end_checker(const vf_checker *c, const char *r, size_t n,
                             vf_verdict *v, vf_error *err) {
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  while (b < e && r[b] == '"')
    b++;
  while (e > b && r[e - 1] == '"')
    e--;
  vf_buf low = {0};
  if (vf_py_lower(r + b, e - b, &low))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  const vf_buf *want = &c->scratch;
  v->pass = low.len >= want->len &&
            !memcmp(low.data + low.len - want->len,
                    want->data ? want->data : "", want->len);
  vf_buf_free(&low);
  if (!v->pass)
    vf_fail(v, "response does not end with \"%s\"", KW_STR(c, 0));
  return VF_OK;
}

static vf_status quotation(const vf_checker *c, const char *r, size_t n,
                           vf_verdict *v, vf_error *err) {
  size_t b = 0, e = n;
  vf_py_strip(r, &b, &e);
  /* len(s) > 1 counts characters; both ends being '"' already makes 2. */
  v->pass = e - b > 1 && r[b] == '"' && r[e - 1] == '"';
  if (!v->pass)
    vf_fail(v, "response is not wrapped in double quotes");
  return VF_OK;
}

struct upper_count {
  long long n;
};

static void count_upper(void *ud, const char *tok, size_t len) {
  ((struct upper_count *)ud)->n += vf_py_str_isupper(tok, len);
}

static vf_status capital_words(const vf_checker *c, const char *r, size_t n,
                               vf_verdict *v, vf_error *err) {
  struct upper_count uc = {0};
  if (vf_word_tokenize(c->ctx->punkt, r, n, count_upper, &uc))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  compare(v, uc.n, KW_INT(c, 1), KW_INT(c, 0), "all-capital words");
  return VF_OK;
}

static vf_status no_comma(const vf_checker *c, const char *r, size_t n,
                          vf_verdict *v, vf_error *err) {
  const char *p = memchr(r, ',', n);
  v->pass = p == NULL;
  if (p)
    vf_fail(v, "found a comma at byte %zu", (size_t)(p - r));
  return VF_OK;
}

/* ---- the table (sorted by id) ------------------------------------------- */

#define KI(name) {name, VF_KW_INT, 0}
#define KC(name) {name, VF_KW_COUNT, 0}
#define KS(name) {name, VF_KW_STR, 0}
#define KR(name) {name, VF_KW_REL, 0}

static const vf_checkdef table[] = {
    {"change_case:capital_word_frequency", capital_words, NULL,
     {KI("capital_frequency"), KR("capital_relation")},
     "all-capital words (NLTK word tokens) less than / at least N"},
    {"change_case:english_capital", english_capital, NULL, {{0}},
     "whole response in English and upper case"},
    {"change_case:english_lowercase", english_lowercase, NULL, {{0}},
     "whole response in English and lower case"},
    {"combination:repeat_prompt", repeat_prompt, prep_lower_stripped,
     {KS("prompt_to_repeat")},
     "response starts with the prompt, repeated word for word"},
    {"combination:two_responses", two_responses, NULL, {{0}},
     "two different responses separated by ******"},
    {"detectable_content:number_placeholders", number_placeholders, NULL,
     {KC("num_placeholders")}, "at least N [placeholders]"},
    {"detectable_content:postscript", postscript, prep_postscript,
     {KS("postscript_marker")}, "a postscript starting with the marker"},
    {"detectable_format:constrained_response", constrained_response, NULL,
     {{0}}, "contains \"My answer is yes./no./maybe.\""},
    {"detectable_format:json_format", json_format, NULL, {{0}},
     "the whole response is JSON (``` fences allowed)"},
    {"detectable_format:multiple_sections", multiple_sections, prep_sections,
     {KC("num_sections"), KS("section_spliter")},
     "at least N sections marked \"SPLITER 1\", \"SPLITER 2\", ..."},
    {"detectable_format:number_bullet_lists", number_bullets, NULL,
     {KC("num_bullets")}, "exactly N markdown bullet points (* or -)"},
    {"detectable_format:number_highlighted_sections", number_highlights,
     NULL, {KC("num_highlights")}, "at least N *highlighted* sections"},
    {"detectable_format:title", title, NULL, {{0}},
     "a title wrapped in <<double angular brackets>>"},
    {"keywords:existence", keywords_existence, prep_plain,
     {{"keywords", VF_KW_STRLIST, VF_KWF_TRUTHY}},
     "every keyword appears (regex, case-insensitive)"},
    {"keywords:forbidden_words", keywords_forbidden, prep_bounded,
     {{"forbidden_words", VF_KW_STRLIST, VF_KWF_TRUTHY}},
     "none of the words appears as a whole word"},
    {"keywords:frequency", keywords_frequency, prep_plain,
     {{"keyword", VF_KW_STR, VF_KWF_TRUTHY}, KC("frequency"), KR("relation")},
     "keyword occurs less than / at least N times"},
    {"keywords:letter_frequency", keywords_letter, prep_letter,
     {KS("letter"), KC("let_frequency"), KR("let_relation")},
     "letter occurs less than / at least N times (case-insensitive)"},
    {"language:response_language", language_response, prep_language,
     {KS("language")}, "response in the given language (langdetect)"},
    {"length_constraints:nth_paragraph_first_word", nth_paragraph,
     prep_nth_paragraph,
     {KC("num_paragraphs"), KI("nth_paragraph"), KS("first_word")},
     "N paragraphs (blank-line separated), the nth starting with a word"},
    {"length_constraints:number_paragraphs", number_paragraphs, NULL,
     {KC("num_paragraphs")}, "exactly N paragraphs separated by ***"},
    {"length_constraints:number_sentences", number_sentences, NULL,
     {KC("num_sentences"), KR("relation")},
     "sentences (Punkt) less than / at least N"},
    {"length_constraints:number_words", number_words, NULL,
     {KC("num_words"), KR("relation")},
     "words (\\w+) less than / at least N"},
    {"punctuation:no_comma", no_comma, NULL, {{0}}, "no commas at all"},
    {"startend:end_checker", end_checker, prep_lower_stripped,
     {KS("end_phrase")}, "response ends with the exact phrase"},
    {"startend:quotation", quotation, NULL, {{0}},
     "response wrapped in double quotation marks"},
};

const vf_checkdef *vf_ifeval_table(size_t *n) {
  *n = sizeof table / sizeof table[0];
  return table;
}
