/*
 * ifbench_text.c: the Python idioms IFBench's instructions.py repeats, over
 * UTF-8: string.punctuation (translate away, strip with ' '), str.split(),
 * \w+ and \d+ runs, list indexing, and the "reference raises" verdict.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/ifbench.h"

bool ifb_ispunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
         (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

/* The marks are ASCII, so a byte test never cuts a multi-byte character. */
int ifb_drop_punct(const char *s, size_t n, vf_buf *out) {
  if (vf_buf_reserve(out, n))
    return -1;
  char *o = out->data + out->len; /* a local cursor: no reload per byte */
  for (size_t i = 0; i < n; i++) {
    *o = s[i];
    o += !ifb_ispunct(s[i]);
  }
  *o = '\0';
  out->len = (size_t)(o - out->data);
  return 0;
}

static bool in_ps(char c) { return c == ' ' || ifb_ispunct(c); }

void ifb_lstrip_ps(const char *s, size_t *b, size_t e) {
  while (*b < e && in_ps(s[*b]))
    ++*b;
}

void ifb_rstrip_ps(const char *s, size_t b, size_t *e) {
  while (*e > b && in_ps(s[*e - 1]))
    --*e;
}

void ifb_strip_ps(const char *s, size_t *b, size_t *e) {
  ifb_lstrip_ps(s, b, *e);
  ifb_rstrip_ps(s, *b, e);
}

/* Whether the character at s[i] is Python whitespace; its length in *len. */
static bool space_at(const char *s, size_t n, size_t i, size_t *len) {
  unsigned char ch = (unsigned char)s[i];
  if (ch < 0x80) {
    *len = 1;
    return (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x20);
  }
  int32_t cp;
  *len = vf_utf8_decode(s, n, i, &cp);
  return vf_py_isspace(cp);
}

static int push_word(ifb_words *out, size_t b, size_t e) {
  if (out->n == out->cap) {
    size_t cap = out->cap ? out->cap * 2 : 64;
    vf_span *w = realloc(out->w, cap * sizeof *w);
    if (!w)
      return -1;
    out->w = w, out->cap = cap;
  }
  out->w[out->n++] = (vf_span){b, e};
  return 0;
}

/* ASCII bytes that are Python whitespace; bytes >= 0x80 need decoding. */
static const unsigned char ascii_kind[256] = {
    [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1, [0x1C] = 1,
    [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, [0x20] = 1,
#define HI2(x) [x] = 2, [x + 1] = 2
#define HI8(x) HI2(x), HI2(x + 2), HI2(x + 4), HI2(x + 6)
#define HI32(x) HI8(x), HI8(x + 8), HI8(x + 16), HI8(x + 24)
    HI32(0x80), HI32(0xA0), HI32(0xC0), HI32(0xE0)};
#undef HI32
#undef HI8
#undef HI2

/* str.split(): ASCII a byte at a time by table, decoding only the rest. */
int ifb_split(const char *s, size_t n, ifb_words *out) {
  size_t i = 0, start = 0;
  bool in = false;
  out->n = 0;
  while (i < n) {
    unsigned char k = ascii_kind[(unsigned char)s[i]];
    size_t len = 1;
    bool sp = k == 1 || (k == 2 && space_at(s, n, i, &len));
    if (sp && in && push_word(out, start, i))
      return -1;
    if (!sp && !in)
      start = i;
    in = !sp;
    i += len;
  }
  return in ? push_word(out, start, n) : 0;
}

void ifb_words_free(ifb_words *w) {
  free(w->w);
  memset(w, 0, sizeof *w);
}

size_t ifb_ncp(const char *s, size_t n) { return vf_utf8_count(s, n); }

int32_t ifb_first_cp(const char *s, size_t n) {
  int32_t cp = -1;
  if (n)
    vf_utf8_decode(s, n, 0, &cp);
  return cp;
}

/* \w+ runs of ASCII text: [0-9A-Za-z_] bytes; -1 when s holds non-ASCII. */
static long ascii_words(const char *s, size_t n) {
  long k = 0;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x80)
      return -1;
    bool w = (ch >= '0' && ch <= '9') ||
             ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_';
    k += w && !in;
    in = w;
  }
  return k;
}

long ifb_count_words(const ifb_state *st, const char *s, size_t n) {
  long k = ascii_words(s, n);
  return k >= 0 ? k : vf_re_count(st->re[IFB_RE_WORDS], s, n);
}

size_t ifb_digit_runs(const char *s, size_t n,
                      void (*fn)(void *ud, const char *d, size_t len),
                      void *ud) {
  size_t runs = 0, start = 0;
  bool in = false;
  for (size_t i = 0; i <= n;) {
    int32_t cp = -1;
    size_t k = i < n ? vf_utf8_decode(s, n, i, &cp) : 1;
    bool d = i < n && vf_py_decimal(cp) >= 0;
    if (d && !in)
      start = i;
    if (!d && in) {
      runs++;
      if (fn)
        fn(ud, s + start, i - start);
    }
    in = d;
    i += k;
  }
  return runs;
}

int ifb_strlist_add(vf_buf *b, const char *s, size_t n) {
  uint32_t len = (uint32_t)n;
  if (n > UINT32_MAX)
    return -1;
  return vf_buf_append(b, (const char *)&len, sizeof len) ||
                 vf_buf_append(b, s, n)
             ? -1
             : 0;
}

bool ifb_strlist_next(const vf_buf *b, size_t *pos, const char **s,
                      size_t *n) {
  uint32_t len;
  if (*pos + sizeof len > b->len)
    return false;
  memcpy(&len, b->data + *pos, sizeof len);
  *s = b->data + *pos + sizeof len;
  *n = len;
  *pos += sizeof len + len;
  return true;
}

long ifb_pyindex(long long i, size_t n) {
  if (i < 0)
    i += (long long)n;
  return i < 0 || (unsigned long long)i >= n ? -1 : (long)i;
}

void ifb_raise(vf_verdict *v, const char *fmt, ...) {
  va_list ap;
  char msg[200];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  v->pass = 0;
  v->raised = 1;
  snprintf(v->reason, sizeof v->reason, "the reference raises here (%s)",
           msg);
}

vf_status ifb_nomem(vf_error *err) {
  return vf_set_error(err, VF_ENOMEM, "out of memory");
}

vf_status ifb_refail(vf_error *err) {
  return vf_set_error(err, VF_EREGEX,
                      "regular expression failed (match limit or out of "
                      "memory)");
}
