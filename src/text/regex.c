/*
 * regex.c: Python `re` semantics on PCRE2 (see regex.h for the contract).
 *
 * The places where Python's syntax or semantics differ from PCRE2's are
 * rewritten before compiling: \s/\S become Python's whitespace exactly
 * (U+001C..U+001F in, U+180E out), \Z means end of subject, "{,n}" means
 * "{0,n}", \uXXXX is a code point, and under re.I each cased literal becomes
 * the class of characters sre would match (so dotless i, U+0130, the long s
 * and the other "extra cases" behave as in Python).  Character classes under
 * re.I keep PCRE2's caseless rule.  Matching never re-validates UTF-8:
 * callers validate input once at the door.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/regex.h"

#include <pcre2.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text/pycase.h"
#include "text/text.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct vf_re {
  atomic_int refs; /* vf_re_ref / vf_re_free */
  pcre2_code *code;
  unsigned groups;
  bool anchored; /* compiled with VF_RE_ANCHORED */
};

/* ---- translating Python's syntax ------------------------------------------- */

enum { BAD_SYNTAX = -2 }; /* translate(): a pattern Python would reject */

typedef struct tr {
  const char *p;
  size_t n, i;
  bool icase;
  vf_buf *out;
} tr;

static int put_to(vf_buf *b, const char *s) {
  return vf_buf_append(b, s, strlen(s));
}

static int put(tr *t, const char *s) { return put_to(t->out, s); }

/* \x{hex} (lower-case digits, no leading zeros), as "\\x{%x}" would. */
static int put_cp(tr *t, int32_t cp) {
  static const char hex[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0, d = 1;
  unsigned v = (unsigned)cp;
  while (d < 8 && (v >> (4 * d)) != 0)
    d++;
  tmp[n++] = '\\';
  tmp[n++] = 'x';
  tmp[n++] = '{';
  while (d > 0)
    tmp[n++] = hex[(v >> (4 * --d)) & 15];
  tmp[n++] = '}';
  return vf_buf_append(t->out, tmp, n);
}

/* Copies p[i..] up to and including the first char in stop (or the end). */
static int copy_until(tr *t, const char *stop) {
  size_t j = t->i;
  while (j < t->n && !strchr(stop, t->p[j]))
    j++;
  if (j < t->n)
    j++;
  int rc = vf_buf_append(t->out, t->p + t->i, j - t->i);
  t->i = j;
  return rc;
}

/* Index of the first (lower, upper) pair whose lower is x (binary search:
 * the table is sorted by lower). */
static size_t first_pair(int32_t x) {
  size_t lo = 0, hi = NELEM(py_lower_pairs);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (py_lower_pairs[mid].a < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Appends every text char that Python's re.I matches against literal cp:
 * those whose tolower() is tolower(cp) or one of its extra cases. */
static int put_case_class(tr *t, int32_t cp) {
  int32_t lo = utf8proc_tolower(cp), set[8];
  int n = 0;
  set[n++] = lo;
  for (size_t k = 0; k < NELEM(py_extra_cases) && n < 8; k++)
    if (py_extra_cases[k].a == lo)
      set[n++] = py_extra_cases[k].b;
  int rc = put(t, "(?-i:[");
  for (int s = 0; s < n && !rc; s++) {
    rc = put_cp(t, set[s]);
    for (size_t k = first_pair(set[s]);
         k < NELEM(py_lower_pairs) && py_lower_pairs[k].a == set[s] && !rc; k++)
      rc = put_cp(t, py_lower_pairs[k].b);
  }
  return rc || put(t, "])");
}

static bool is_hex(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* \uXXXX and \UXXXXXXXX (Python) become \x{...} (PCRE2). */
static int put_unicode_escape(tr *t, size_t digits) {
  if (t->n - t->i < digits)
    return put(t, "\\u"); /* let PCRE2 report the bad escape */
  for (size_t k = 0; k < digits; k++)
    if (!is_hex(t->p[t->i + k]))
      return put(t, "\\u");
  int rc = put(t, "\\x{") || vf_buf_append(t->out, t->p + t->i, digits) ||
           put(t, "}");
  t->i += digits;
  return rc;
}

/* An escape; t->i is just past the backslash.  Python rejects an escape of
 * an ASCII letter it does not know (\h, \R, \K, ...: PCRE2 meanings), and
 * so does this: BAD_SYNTAX. */
static int escape(tr *t, bool in_class) {
  char d = t->p[t->i++];
  bool letter = (d | 0x20) >= 'a' && (d | 0x20) <= 'z';
  if (letter && !strchr(in_class ? "abfnrtvxuUdDsSwW" : "aAbBdDfnrsStvwWZxuU", d))
    return BAD_SYNTAX;
  switch (d) {
  case 'v': /* Python: the vertical tab only (PCRE2: any vertical space) */
    return put(t, "\\x{0b}");
  case 's':
    return in_class ? put(t, VF_PY_SPACE_CLASS)
                    : put(t, "[" VF_PY_SPACE_CLASS "]");
  case 'S':
    return in_class ? put(t, "\\S") : put(t, "[^" VF_PY_SPACE_CLASS "]");
  case 'Z':
    return put(t, in_class ? "Z" : "\\z");
  case 'u':
    return put_unicode_escape(t, 4);
  case 'U':
    return put_unicode_escape(t, 8);
  default: {
    char e[3] = {'\\', d, 0};
    return put(t, e);
  }
  }
}

/* ---- character classes under re.I --------------------------------------
 * sre lowers a class's members (adding their extra cases) into a set L and
 * tests tolower(t) against it; the class that PCRE2 gets lists every t
 * with tolower(t) in L: L itself and the preimages of its members. */

typedef struct cls {
  uint64_t *bits; /* L, one bit per code point */
  vf_buf cats;    /* \d, \w, ... as PCRE2 class members */
} cls;

static void cls_add(cls *c, int32_t cp) {
  int32_t lo = utf8proc_tolower(cp);
  c->bits[lo >> 6] |= 1ULL << (lo & 63);
  for (size_t k = 0; k < NELEM(py_extra_cases); k++)
    if (py_extra_cases[k].a == lo)
      c->bits[py_extra_cases[k].b >> 6] |= 1ULL << (py_extra_cases[k].b & 63);
}

static bool cls_has(const cls *c, int32_t cp) {
  return (c->bits[cp >> 6] >> (cp & 63)) & 1;
}

static int hexn(const char *p, size_t n, size_t digits, int32_t *cp) {
  if (n < digits)
    return -1;
  *cp = 0;
  for (size_t k = 0; k < digits; k++) {
    char h = p[k];
    if (!is_hex(h))
      return -1;
    *cp = *cp * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
  }
  return 0;
}

/* One class member at t->i: a code point (*cp, returns 1), a category
 * appended to c->cats (returns 0), or BAD_SYNTAX. */
static int class_member(tr *t, cls *c, int32_t *cp) {
  if (t->p[t->i] != '\\') {
    t->i += vf_utf8_decode(t->p, t->n, t->i, cp);
    return 1;
  }
  if (++t->i >= t->n)
    return BAD_SYNTAX;
  char d = t->p[t->i++];
  static const char simple[] = "n\nt\tr\rf\fv\va\ab\b";
  const char *sp = strchr(simple, d);
  if (d && sp && (sp - simple) % 2 == 0) {
    *cp = (unsigned char)sp[1];
    return 1;
  }
  size_t digits = d == 'x' ? 2 : d == 'u' ? 4 : d == 'U' ? 8 : 0;
  if (digits) {
    if (hexn(t->p + t->i, t->n - t->i, digits, cp) || *cp > 0x10FFFF)
      return BAD_SYNTAX;
    t->i += digits;
    return 1;
  }
  if (d >= '0' && d <= '7') { /* octal, up to three digits */
    *cp = d - '0';
    for (int k = 0; k < 2 && t->i < t->n && t->p[t->i] >= '0' && t->p[t->i] <= '7'; k++)
      *cp = *cp * 8 + (t->p[t->i++] - '0');
    return 1;
  }
  if (d && strchr("dDwW", d)) {
    char e[3] = {'\\', d, 0};
    return put_to(&c->cats, e) ? BAD_SYNTAX : 0;
  }
  if (d == 's')
    return put_to(&c->cats, VF_PY_SPACE_CLASS) ? BAD_SYNTAX : 0;
  if ((d | 0x20) >= 'a' && (d | 0x20) <= 'z')
    return BAD_SYNTAX; /* \S in a class, and escapes Python rejects */
  t->i -= 1;
  t->i += vf_utf8_decode(t->p, t->n, t->i, cp);
  return 1;
}

/* Writes "(?-i:[" ^? categories, L as ranges, the preimages "])". */
static int class_emit(tr *t, const cls *c, bool negate) {
  int rc = put(t, negate ? "(?-i:[^" : "(?-i:[") ||
           vf_buf_append(t->out, c->cats.data ? c->cats.data : "", c->cats.len);
  for (int32_t cp = 0; cp <= 0x10FFFF && !rc; cp++) {
    if (!cls_has(c, cp)) {
      cp |= (c->bits[cp >> 6] >> (cp & 63)) ? 0 : 63; /* skip empty words */
      continue;
    }
    int32_t end = cp;
    while (end < 0x10FFFF && cls_has(c, end + 1))
      end++;
    rc = put_cp(t, cp) || (end > cp && (put(t, "-") || put_cp(t, end)));
    cp = end;
  }
  for (size_t k = 0; k < NELEM(py_lower_pairs) && !rc; k++)
    if (cls_has(c, py_lower_pairs[k].a))
      rc = put_cp(t, py_lower_pairs[k].b);
  return rc || put(t, "])");
}

/* A class under re.I, from just past its '['. */
static int class_icase(tr *t) {
  cls c = {calloc(0x110000 / 64, sizeof(uint64_t)), {0}};
  int rc = c.bits ? 0 : -1;
  bool negate = t->i < t->n && t->p[t->i] == '^';
  t->i += negate;
  for (bool first = true; !rc; first = false) {
    if (t->i >= t->n) {
      rc = BAD_SYNTAX; /* "unterminated character set" */
      break;
    }
    if (t->p[t->i] == ']' && !first)
      break;
    int32_t lo, hi;
    int m = class_member(t, &c, &lo);
    if (m <= 0) {
      rc = m;
      continue;
    }
    hi = lo;
    if (t->n - t->i >= 2 && t->p[t->i] == '-' && t->p[t->i + 1] != ']') {
      t->i++;
      if (class_member(t, &c, &hi) != 1 || hi < lo)
        rc = BAD_SYNTAX; /* "bad character range" */
    }
    for (int32_t cp = lo; cp <= hi && !rc; cp++)
      cls_add(&c, cp);
  }
  if (!rc) {
    t->i++; /* the closing ']' */
    rc = class_emit(t, &c, negate);
  }
  free(c.bits);
  vf_buf_free(&c.cats);
  return rc;
}

/* A character class, from just past its '['.  A '[' inside is a literal
 * in Python, where PCRE2 would read "[:alpha:]" as a POSIX class. */
static int char_class(tr *t) {
  if (t->icase)
    return class_icase(t);
  int rc = put(t, "[");
  if (t->i < t->n && t->p[t->i] == '^')
    rc = rc || vf_buf_putc(t->out, t->p[t->i++]);
  if (t->i < t->n && t->p[t->i] == ']') /* a leading ']' is literal */
    rc = rc || vf_buf_putc(t->out, t->p[t->i++]);
  while (!rc && t->i < t->n) {
    char c = t->p[t->i++];
    if (c == ']')
      return put(t, "]");
    if (c == '\\' && t->i < t->n)
      rc = escape(t, true);
    else if (c == '[')
      rc = put(t, "\\[");
    else
      rc = vf_buf_putc(t->out, c);
  }
  return rc;
}

/* A group opener "(?...": names, flags and comments are copied verbatim
 * (their letters are not literals); lookarounds continue normally. */
static int group_header(tr *t) {
  if (t->i < t->n && (t->p[t->i] == '=' || t->p[t->i] == '!'))
    return 0;
  if (t->n - t->i >= 2 && t->p[t->i] == '<' &&
      (t->p[t->i + 1] == '=' || t->p[t->i + 1] == '!'))
    return 0;
  if (t->i < t->n && (t->p[t->i] == '<' ||
                      (t->p[t->i] == 'P' && t->n - t->i > 1 &&
                       t->p[t->i + 1] == '<')))
    return copy_until(t, ">");
  if (t->i < t->n && (t->p[t->i] == '#' || t->p[t->i] == 'P'))
    return copy_until(t, ")");
  return copy_until(t, ":)");
}

/* _sre.unicode_iscased(): a simple case mapping changes cp, or it has a
 * full upper-case mapping only (which Python's toupper still follows). */
static bool iscased(int32_t cp) {
  if (utf8proc_tolower(cp) != cp || utf8proc_toupper(cp) != cp)
    return true;
  for (size_t k = 0; k < NELEM(py_cased_extra); k++)
    if (cp >= py_cased_extra[k].lo && cp <= py_cased_extra[k].hi)
      return true;
  return false;
}

static int literal(tr *t) {
  int32_t cp;
  size_t k = vf_utf8_decode(t->p, t->n, t->i, &cp);
  bool cased = iscased(cp);
  int rc = t->icase && cased ? put_case_class(t, cp)
                             : vf_buf_append(t->out, t->p + t->i, k);
  t->i += k;
  return rc;
}

/* Rewrites the Python-only spellings listed at the top of the file, and
 * under re.I spells each cased literal as the class Python would match. */
static int translate(const char *p, size_t n, unsigned flags, vf_buf *out) {
  tr t = {p, n, 0, (flags & VF_RE_I) != 0, out};
  int rc = 0;
  while (rc == 0 && t.i < t.n) {
    char c = t.p[t.i];
    if (c == '\\' && t.i + 1 < t.n) {
      t.i++;
      rc = escape(&t, false);
    } else if (c == '[') {
      t.i++;
      rc = char_class(&t);
    } else if (c == '(' && t.i + 1 < t.n && t.p[t.i + 1] == '?') {
      t.i += 2;
      rc = put(&t, "(?") || group_header(&t);
    } else if (c == '{' && t.i + 1 < t.n && t.p[t.i + 1] == ',') {
      size_t j = t.i + 2;
      while (j < t.n && t.p[j] >= '0' && t.p[j] <= '9')
        j++;
      rc = put(&t, j > t.i + 2 && j < t.n && t.p[j] == '}' ? "{0" : "{");
      t.i++;
    } else if ((unsigned char)c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
      rc = literal(&t);
    } else {
      rc = vf_buf_putc(t.out, c);
      t.i++;
    }
  }
  return rc;
}

vf_status vf_re_compile(const char *pat, size_t len, unsigned flags,
                        vf_re **out, vf_error *err) {
  vf_buf tp = {0};
  vf_re *re = NULL;
  pcre2_compile_context *cc = NULL;
  vf_status st = VF_ENOMEM;
  *out = NULL;
  int tr_rc = translate(pat, len, flags, &tp);
  if (tr_rc == BAD_SYNTAX) {
    st = vf_set_error(err, VF_EREGEX,
                      "bad regular expression \"%.*s\": bad escape (Python's "
                      "re rejects it)",
                      (int)(len > 200 ? 200 : len), pat);
    goto done;
  }
  if (tr_rc || vf_buf_reserve(&tp, 0))
    goto done;
  cc = pcre2_compile_context_create(NULL);
  re = calloc(1, sizeof *re);
  if (!cc || !re)
    goto done;
  atomic_init(&re->refs, 1);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_CIRCUMFLEX |
                  PCRE2_NO_UTF_CHECK;
  if (flags & VF_RE_I)
    opts |= PCRE2_CASELESS;
  if (flags & VF_RE_M)
    opts |= PCRE2_MULTILINE;
  if (flags & VF_RE_S)
    opts |= PCRE2_DOTALL;
  if (flags & VF_RE_ANCHORED)
    opts |= PCRE2_ANCHORED;
  re->anchored = (flags & VF_RE_ANCHORED) != 0;
  int ec;
  PCRE2_SIZE eo;
  re->code = pcre2_compile((PCRE2_SPTR)tp.data, tp.len, opts, &ec, &eo, cc);
  if (!re->code) {
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(ec, msg, sizeof msg);
    st = vf_set_error(err, VF_EREGEX, "bad regular expression \"%.*s\": %s",
                      (int)(len > 200 ? 200 : len), pat, (char *)msg);
    goto done;
  }
  if (flags & VF_RE_JIT)
    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* best effort */
  uint32_t cap = 0;
  pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &cap);
  re->groups = cap;
  *out = re;
  re = NULL;
  st = VF_OK;
done:
  if (st == VF_ENOMEM)
    vf_set_error(err, st, "out of memory compiling a regular expression");
  vf_re_free(re);
  pcre2_compile_context_free(cc);
  vf_buf_free(&tp);
  return st;
}

vf_re *vf_re_ref(vf_re *re) {
  if (re)
    atomic_fetch_add_explicit(&re->refs, 1, memory_order_relaxed);
  return re;
}

void vf_re_free(vf_re *re) {
  if (!re || atomic_fetch_sub_explicit(&re->refs, 1, memory_order_acq_rel) > 1)
    return;
  pcre2_code_free(re->code);
  free(re);
}

unsigned vf_re_groups(const vf_re *re) { return re->groups; }

int vf_re_iter_init(vf_re_iter *it, const vf_re *re, const char *s,
                    size_t len) {
  memset(it, 0, sizeof *it);
  it->re = re;
  it->s = s;
  it->len = len;
  it->md = pcre2_match_data_create_from_pattern(re->code, NULL);
  return it->md ? 0 : -1;
}

int vf_re_iter_next(vf_re_iter *it, size_t *mb, size_t *me) {
  if (it->done || it->pos > it->len)
    return 0;
  /* Python (3.7+): after an empty match the next match may start at the
   * same place only if it is not empty. */
  uint32_t opts = PCRE2_NO_UTF_CHECK;
  if (it->must_advance)
    opts |= PCRE2_NOTEMPTY_ATSTART;
  int rc = pcre2_match(it->re->code, (PCRE2_SPTR)it->s, it->len, it->pos,
                       opts, it->md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH) {
    it->done = true;
    return 0;
  }
  if (rc < 0) {
    it->done = true;
    return -1;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->md);
  *mb = ov[0];
  *me = ov[1];
  it->must_advance = ov[0] == ov[1];
  it->pos = ov[1];
  return 1;
}

int vf_re_iter_match_at(vf_re_iter *it, size_t at, size_t *mb, size_t *me) {
  if (at > it->len)
    return 0;
  /* a match-time ANCHORED would bypass the JIT code */
  uint32_t opts = PCRE2_NO_UTF_CHECK | (it->re->anchored ? 0 : PCRE2_ANCHORED);
  int rc = pcre2_match(it->re->code, (PCRE2_SPTR)it->s, it->len, at, opts,
                       it->md, NULL);
  if (rc == PCRE2_ERROR_NOMATCH)
    return 0;
  if (rc < 0)
    return -1;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->md);
  *mb = ov[0];
  *me = ov[1];
  return 1;
}

bool vf_re_iter_group(const vf_re_iter *it, unsigned g, size_t *gb,
                      size_t *ge) {
  if (g > it->re->groups)
    return false;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->md);
  if (ov[2 * g] == PCRE2_UNSET)
    return false;
  *gb = ov[2 * g];
  *ge = ov[2 * g + 1];
  return true;
}

void vf_re_iter_done(vf_re_iter *it) {
  pcre2_match_data_free(it->md);
  it->md = NULL;
}

int vf_re_search(const vf_re *re, const char *s, size_t len) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, re, s, len))
    return -1;
  size_t b, e;
  int rc = vf_re_iter_next(&it, &b, &e);
  vf_re_iter_done(&it);
  return rc;
}

long vf_re_count(const vf_re *re, const char *s, size_t len) {
  vf_re_iter it;
  if (vf_re_iter_init(&it, re, s, len))
    return -1;
  long n = 0;
  size_t b, e;
  int rc = vf_re_iter_next(&it, &b, &e);
  for (; rc == 1; rc = vf_re_iter_next(&it, &b, &e))
    n++;
  vf_re_iter_done(&it);
  return rc < 0 ? -1 : n;
}

long vf_re_split_count(const vf_re *re, const char *s, size_t len) {
  long m = vf_re_count(re, s, len);
  return m < 0 ? -1 : 1 + m * (1 + (long)re->groups);
}

int vf_re_escape(const char *s, size_t len, vf_buf *out) {
  /* Python 3.7+ escapes only its special characters; escaping every
   * non-word ASCII char is equivalent for PCRE2 and simpler. */
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    bool word = c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
                ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (!word && vf_buf_putc(out, '\\'))
      return -1;
    if (vf_buf_putc(out, (char)c))
      return -1;
  }
  return 0;
}
