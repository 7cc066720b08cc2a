/*
 * punkt_int.h: small inline character helpers shared by punkt.c and
 * wordtok.c, with an ASCII fast path before the Unicode tables.  They
 * give Python `re`'s meaning of \s (str.isspace), \d (str.isdecimal) and
 * \w (str.isalnum or '_') on one code point of valid UTF-8.
 */
#ifndef VF_PUNKT_INT_H
#define VF_PUNKT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <utf8proc.h>

#include "text/text.h"

/* Decodes the code point at s[i]; returns its length in bytes. */
static inline size_t uc_decode(const char *s, size_t n, size_t i, int32_t *cp) {
  unsigned char c = (unsigned char)s[i];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  return vf_utf8_decode(s, n, i, cp);
}

/* Start of the code point that ends at s[i] (i > 0). */
static inline size_t uc_prev(const char *s, size_t i) {
  return (unsigned char)s[i - 1] < 0x80 ? i - 1 : vf_utf8_prev(s, i);
}

static inline bool uc_isspace(int32_t c) {
  if (c < 0x80)
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return vf_py_isspace(c);
}

/* True when s[i] (i < n) starts a whitespace character; *w = its length. */
static inline bool uc_space_at(const char *s, size_t n, size_t i, size_t *w) {
  unsigned char c = (unsigned char)s[i];
  if (c < 0x80) {
    *w = 1;
    return c <= 0x20 && ((c >= 0x09 && c <= 0x0D) || c >= 0x1C);
  }
  int32_t cp;
  *w = vf_utf8_decode(s, n, i, &cp);
  return vf_py_isspace(cp);
}

/* SWAR: the bytes of x that equal c have their high bit set (a byte above
 * a true match may be flagged too; callers use this as a superset test). */
static inline uint64_t uc_bytes_eq(uint64_t x, unsigned char c) {
  uint64_t y = x ^ (0x0101010101010101ULL * c);
  return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}

/* Python's \d for str: Unicode decimal digits (category Nd). */
static inline bool uc_isdecimal(int32_t c) {
  if (c < 0x80)
    return c >= '0' && c <= '9';
  return utf8proc_category(c) == UTF8PROC_CATEGORY_ND;
}

/* Python's \w for str: alphanumeric or underscore. */
static inline bool uc_isword(int32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           c == '_';
  return vf_py_isalnum_cp(c);
}

#endif /* VF_PUNKT_INT_H */
