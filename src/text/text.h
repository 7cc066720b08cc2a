/*
 * text.h: UTF-8 and Python-compatible string operations, shared by every
 * module of the library (checkers, tokenizers, language detection).
 *
 * The references are Python programs, so "whitespace", "upper case" and
 * "lower()" here mean what Python's str methods mean, code point by code
 * point, over valid UTF-8.  Regular expressions live in regex.h.
 */
#ifndef VF_TEXT_H
#define VF_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verif.h"

/* ---- errors ------------------------------------------------------------ */

/* Fills err (if not NULL) and returns code. printf-style message. */
vf_status vf_set_error(vf_error *err, vf_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- growable byte buffer -------------------------------------------- */

typedef struct vf_buf {
  char *data; /* always NUL-terminated once anything was appended */
  size_t len;
  size_t cap;
} vf_buf;

/* Each returns 0, or -1 when out of memory (the buffer is then unchanged). */
int vf_buf_reserve(vf_buf *b, size_t extra);
int vf_buf_append(vf_buf *b, const char *s, size_t n);
int vf_buf_putc(vf_buf *b, char c);
int vf_buf_printf(vf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vf_buf_reset(vf_buf *b); /* len = 0, keeps the memory */
void vf_buf_free(vf_buf *b);

/* ---- UTF-8 ------------------------------------------------------------- */

/* True when s[0..len) is valid UTF-8 (no surrogates, no overlongs); else
 * *bad (if not NULL) receives the offset of the first bad byte. */
bool vf_utf8_valid(const char *s, size_t len, size_t *bad);

/* Decodes the code point at s[i] (valid UTF-8 assumed); returns its length
 * in bytes (1..4) and stores it in *cp. */
size_t vf_utf8_decode(const char *s, size_t len, size_t i, int32_t *cp);

/* Offset of the code point that ends at s[i] (i > 0): steps back one char. */
size_t vf_utf8_prev(const char *s, size_t i);

/* Encodes cp into out (4 bytes max); returns the length. */
size_t vf_utf8_encode(int32_t cp, char *out);

/* Number of code points in valid UTF-8. */
size_t vf_utf8_count(const char *s, size_t len);

/* Removes a leading byte order mark (EF BB BF) from line[0..len) in place
 * (the NUL after it moves too) and returns the new length: on the first
 * line of an input file a BOM is UTF-8's signature, not text. */
size_t vf_utf8_strip_bom(char *line, size_t len);

/* ---- Python str semantics, per code point ----------------------------- */

bool vf_py_isspace(int32_t cp); /* str.isspace() */
bool vf_py_isupper_cp(int32_t cp); /* Python's Py_UNICODE_ISUPPER */
bool vf_py_islower_cp(int32_t cp); /* Py_UNICODE_ISLOWER */
bool vf_py_istitle_cp(int32_t cp); /* Py_UNICODE_ISTITLE */
bool vf_py_isalnum_cp(int32_t cp); /* str.isalnum() on one char */
bool vf_py_isdigit_cp(int32_t cp); /* str.isdigit() on one char */
/* The value int() gives the decimal digit cp (str.isdecimal()), else -1. */
int vf_py_decimal(int32_t cp);

/* ---- Python str semantics, over UTF-8 strings ------------------------- */

/* str.strip() / lstrip() / rstrip() with no argument: narrows [*b, *e). */
void vf_py_strip(const char *s, size_t *b, size_t *e);
void vf_py_lstrip(const char *s, size_t *b, size_t e);
void vf_py_rstrip(const char *s, size_t b, size_t *e);

/* True when strip() of s[0..len) would be empty. */
bool vf_py_isblank(const char *s, size_t len);

/* str.isupper() / str.islower(): at least one cased character and no
 * character of the other case (title case counts as not upper/lower). */
bool vf_py_str_isupper(const char *s, size_t len);
bool vf_py_str_islower(const char *s, size_t len);

/* Appends str.lower() of s to out (full case mapping and final sigma, as
 * Python does, e.g. U+0130 lowers to "i\u0307").  Returns 0 or -1 (ENOMEM). */
int vf_py_lower(const char *s, size_t len, vf_buf *out);

/* str.split() with no argument: finds the next whitespace-separated word at
 * or after *pos; returns false when there is none. */
bool vf_py_split_next(const char *s, size_t len, size_t *pos, size_t *wb,
                      size_t *we);

/* Counts non-overlapping occurrences of needle (str.count semantics; an
 * empty needle counts len(code points)+1). */
size_t vf_py_count(const char *s, size_t len, const char *needle, size_t nlen);

#endif /* VF_TEXT_H */
