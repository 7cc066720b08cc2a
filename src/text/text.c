/*
 * text.c: UTF-8 handling, the growable buffer, error filling, and Python's
 * str predicates and methods over UTF-8 (strip, split, isupper, lower, ...).
 *
 * Character properties come from utf8proc; pyctype.h adds the handful of
 * characters Python calls upper or lower case beyond the Lu/Ll categories.
 * Everything here is called on hot paths by the checkers and tokenizers.
 */
#include "text/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "text/pyctype.h"

vf_status vf_set_error(vf_error *err, vf_status code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* ---- buffer ------------------------------------------------------------ */

int vf_buf_reserve(vf_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2)
      return -1;
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int vf_buf_append(vf_buf *b, const char *s, size_t n) {
  if (vf_buf_reserve(b, n))
    return -1;
  if (n)
    memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int vf_buf_putc(vf_buf *b, char c) { return vf_buf_append(b, &c, 1); }

int vf_buf_printf(vf_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || vf_buf_reserve(b, (size_t)n))
    return -1;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

void vf_buf_reset(vf_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

void vf_buf_free(vf_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* True when none of the 8 bytes at p has its high bit set. */
static bool ascii8(const unsigned char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return (w & 0x8080808080808080ULL) == 0;
}

bool vf_utf8_valid(const char *s, size_t len, size_t *bad) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    if (len - i >= 8 && ascii8(p + i)) {
      i += 8;
      continue;
    }
    unsigned c = p[i];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, cp = c & 0x07, min = 0x10000;
    } else {
      goto fail;
    }
    if (len - i < n)
      goto fail;
    for (size_t k = 1; k < n; k++) {
      if ((p[i + k] & 0xC0) != 0x80)
        goto fail;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      goto fail;
    i += n;
  }
  return true;
fail:
  if (bad)
    *bad = i;
  return false;
}

size_t vf_utf8_decode(const char *s, size_t len, size_t i, int32_t *cp) {
  const unsigned char *p = (const unsigned char *)s + i;
  unsigned c = p[0];
  if (c < 0x80 || len - i < 2) {
    *cp = (int32_t)c;
    return 1;
  }
  if (c < 0xE0) {
    *cp = (int32_t)(((c & 0x1F) << 6) | (p[1] & 0x3F));
    return 2;
  }
  if (c < 0xF0 || len - i < 4) {
    *cp = (int32_t)(((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F));
    return 3;
  }
  *cp = (int32_t)(((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) |
                  ((p[2] & 0x3F) << 6) | (p[3] & 0x3F));
  return 4;
}

size_t vf_utf8_prev(const char *s, size_t i) {
  do
    i--;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80);
  return i;
}

size_t vf_utf8_encode(int32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  uint32_t c = (uint32_t)cp;
  if (c < 0x80) {
    o[0] = (unsigned char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (unsigned char)(0xC0 | (c >> 6));
    o[1] = (unsigned char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (c >> 12));
    o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (c >> 18));
  o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (c & 0x3F));
  return 4;
}

size_t vf_utf8_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

size_t vf_utf8_strip_bom(char *line, size_t len) {
  if (len < 3 || memcmp(line, "\xEF\xBB\xBF", 3) != 0)
    return len;
  memmove(line, line + 3, len - 3 + 1);
  return len - 3;
}

/* ---- character predicates ------------------------------------------------ */

static bool in_ranges(const struct vf_cprange *r, size_t n, int32_t cp) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < r[mid].lo)
      hi = mid;
    else if (cp > r[mid].hi)
      lo = mid + 1;
    else
      return true;
  }
  return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

bool vf_py_isspace(int32_t cp) {
  if (cp < 0x80)
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  const utf8proc_property_t *p = utf8proc_get_property(cp);
  return p->category == UTF8PROC_CATEGORY_ZS ||
         p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
         p->bidi_class == UTF8PROC_BIDI_CLASS_B ||
         p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

bool vf_py_isupper_cp(int32_t cp) {
  if (cp < 0x80)
    return cp >= 'A' && cp <= 'Z';
  return utf8proc_category(cp) == UTF8PROC_CATEGORY_LU ||
         in_ranges(py_other_upper, NELEM(py_other_upper), cp);
}

bool vf_py_islower_cp(int32_t cp) {
  if (cp < 0x80)
    return cp >= 'a' && cp <= 'z';
  return utf8proc_category(cp) == UTF8PROC_CATEGORY_LL ||
         in_ranges(py_other_lower, NELEM(py_other_lower), cp);
}

bool vf_py_istitle_cp(int32_t cp) {
  return cp >= 0x80 && utf8proc_category(cp) == UTF8PROC_CATEGORY_LT;
}

bool vf_py_isalnum_cp(int32_t cp) {
  if (cp < 0x80)
    return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_LU:
  case UTF8PROC_CATEGORY_LL:
  case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM:
  case UTF8PROC_CATEGORY_LO:
  case UTF8PROC_CATEGORY_ND:
  case UTF8PROC_CATEGORY_NL:
  case UTF8PROC_CATEGORY_NO:
    return true;
  default:
    return false;
  }
}

bool vf_py_isdigit_cp(int32_t cp) {
  if (cp < 0x80)
    return cp >= '0' && cp <= '9';
  return in_ranges(py_digit, NELEM(py_digit), cp);
}

/* Each range of py_decimal is a run of whole 0..9 sequences. */
int vf_py_decimal(int32_t cp) {
  if (cp < 0x80)
    return cp >= '0' && cp <= '9' ? cp - '0' : -1;
  size_t lo = 0, hi = NELEM(py_decimal);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < py_decimal[mid].lo)
      hi = mid;
    else if (cp > py_decimal[mid].hi)
      lo = mid + 1;
    else
      return (int)((cp - py_decimal[mid].lo) % 10);
  }
  return -1;
}

/* ---- strings ------------------------------------------------------------ */

void vf_py_lstrip(const char *s, size_t *b, size_t e) {
  while (*b < e) {
    int32_t cp;
    size_t n = vf_utf8_decode(s, e, *b, &cp);
    if (!vf_py_isspace(cp))
      break;
    *b += n;
  }
}

void vf_py_rstrip(const char *s, size_t b, size_t *e) {
  while (*e > b) {
    size_t i = vf_utf8_prev(s, *e);
    int32_t cp;
    vf_utf8_decode(s, *e, i, &cp);
    if (!vf_py_isspace(cp))
      break;
    *e = i;
  }
}

void vf_py_strip(const char *s, size_t *b, size_t *e) {
  vf_py_lstrip(s, b, *e);
  vf_py_rstrip(s, *b, e);
}

bool vf_py_isblank(const char *s, size_t len) {
  size_t b = 0;
  vf_py_lstrip(s, &b, len);
  return b == len;
}

/* Shared body of isupper/islower: `want` is the case that must be present,
 * `other` the case that must be absent (title case always disqualifies). */
static bool str_iscase(const char *s, size_t len, bool (*want)(int32_t),
                       bool (*other)(int32_t)) {
  bool cased = false;
  for (size_t i = 0; i < len;) {
    int32_t cp;
    i += vf_utf8_decode(s, len, i, &cp);
    if (other(cp) || vf_py_istitle_cp(cp))
      return false;
    if (!cased && want(cp))
      cased = true;
  }
  return cased;
}

bool vf_py_str_isupper(const char *s, size_t len) {
  return str_iscase(s, len, vf_py_isupper_cp, vf_py_islower_cp);
}

bool vf_py_str_islower(const char *s, size_t len) {
  return str_iscase(s, len, vf_py_islower_cp, vf_py_isupper_cp);
}

static bool is_cased(int32_t cp) {
  return vf_py_isupper_cp(cp) || vf_py_islower_cp(cp) || vf_py_istitle_cp(cp);
}

/* Unicode's Case_Ignorable, as Python's final-sigma rule uses it. */
static bool is_case_ignorable(int32_t cp) {
  return in_ranges(py_case_ignorable, NELEM(py_case_ignorable), cp);
}

/* Python lowers a capital sigma to final sigma when a cased letter precedes
 * it and none follows (skipping case-ignorable characters both ways). */
static bool final_sigma(const char *s, size_t len, size_t at, size_t after) {
  size_t i = at;
  bool before = false;
  while (i > 0) {
    i = vf_utf8_prev(s, i);
    int32_t cp;
    vf_utf8_decode(s, len, i, &cp);
    if (!is_case_ignorable(cp)) {
      before = is_cased(cp);
      break;
    }
  }
  if (!before)
    return false;
  for (i = after; i < len;) {
    int32_t cp;
    i += vf_utf8_decode(s, len, i, &cp);
    if (!is_case_ignorable(cp))
      return !is_cased(cp);
  }
  return true;
}

int vf_py_lower(const char *s, size_t len, vf_buf *out) {
  if (vf_buf_reserve(out, len + 8))
    return -1;
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) { /* ASCII fast path: the run, through a local cursor */
      char *o = out->data + out->len;
      size_t j = i;
      for (; j < len && (unsigned char)s[j] < 0x80; j++) {
        unsigned char a = (unsigned char)s[j];
        o[j - i] = (char)(a >= 'A' && a <= 'Z' ? a + 32 : a);
      }
      out->len += j - i;
      i = j;
      continue;
    }
    int32_t cp;
    size_t n = vf_utf8_decode(s, len, i, &cp);
    char tmp[8];
    size_t tn;
    if (cp == 0x130) { /* the one full lower-case mapping: "i\u0307" */
      memcpy(tmp, "i\xCC\x87", 3);
      tn = 3;
    } else if (cp == 0x3A3) {
      tn = vf_utf8_encode(final_sigma(s, len, i, i + n) ? 0x3C2 : 0x3C3, tmp);
    } else {
      tn = vf_utf8_encode(utf8proc_tolower(cp), tmp);
    }
    if (vf_buf_reserve(out, tn + (len - i)))
      return -1;
    memcpy(out->data + out->len, tmp, tn);
    out->len += tn;
    i += n;
  }
  out->data[out->len] = '\0';
  return 0;
}

bool vf_py_split_next(const char *s, size_t len, size_t *pos, size_t *wb,
                      size_t *we) {
  size_t i = *pos;
  vf_py_lstrip(s, &i, len);
  if (i >= len)
    return false;
  *wb = i;
  while (i < len) {
    int32_t cp;
    size_t n = vf_utf8_decode(s, len, i, &cp);
    if (vf_py_isspace(cp))
      break;
    i += n;
  }
  *we = *pos = i;
  return true;
}

size_t vf_py_count(const char *s, size_t len, const char *needle, size_t nlen) {
  if (nlen == 0)
    return vf_utf8_count(s, len) + 1;
  size_t n = 0;
  const char *p = s, *end = s + len;
  while ((size_t)(end - p) >= nlen) {
    const char *hit = memmem(p, (size_t)(end - p), needle, nlen);
    if (!hit)
      break;
    n++;
    p = hit + nlen;
  }
  return n;
}
