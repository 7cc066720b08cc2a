/*
 * regex.h: Python-`re`-compatible regular expressions on top of PCRE2.
 *
 * Patterns compile with UTF, UCP (so \w, \d, \b follow Unicode as Python's
 * str patterns do), LF newlines, ALT_CIRCUMFLEX (so ^ under re.M matches
 * after a final newline, as Python's does) and JIT when available.  \s is
 * widened to Python's whitespace (which also holds U+001C..U+001F).
 * Compiled patterns are immutable and may be shared between threads; each
 * search allocates its own match data.
 */
#ifndef VF_REGEX_H
#define VF_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "verif.h"

typedef struct vf_re vf_re;

enum {
  VF_RE_I = 1, /* re.IGNORECASE */
  VF_RE_M = 2, /* re.MULTILINE */
  VF_RE_S = 4, /* re.DOTALL */
  VF_RE_JIT = 8, /* JIT-compile: for patterns compiled once and used often */
  VF_RE_ANCHORED = 16 /* matches start where the search does (PCRE2's
                         compile-time ANCHORED): for vf_re_iter_match_at,
                         whose attempts then run JIT code */
};

/* Compiles a Python-syntax pattern.  On failure err names the offset. */
vf_status vf_re_compile(const char *pat, size_t len, unsigned flags,
                        vf_re **out, vf_error *err);
/* A pattern is reference-counted: vf_re_ref adds a holder (and returns
 * re), vf_re_free drops one and frees the pattern with the last. */
vf_re *vf_re_ref(vf_re *re);
void vf_re_free(vf_re *re);

/* Number of capturing groups in the pattern. */
unsigned vf_re_groups(const vf_re *re);

/* Iterates over matches as Python's re.finditer does (an empty match is
 * never followed by another empty match at the same place). */
typedef struct vf_re_iter {
  const vf_re *re;
  const char *s;
  size_t len;
  size_t pos;
  bool must_advance;
  bool done;
  void *md; /* pcre2_match_data */
} vf_re_iter;

/* Returns 0, or -1 when out of memory. */
int vf_re_iter_init(vf_re_iter *it, const vf_re *re, const char *s,
                    size_t len);
/* Next match in [*mb, *me): 1 found, 0 no more, -1 matching error (e.g.
 * the match limit was hit; treat as "no match" only knowingly). */
int vf_re_iter_next(vf_re_iter *it, size_t *mb, size_t *me);
/* pattern.match(s, at): a match starting exactly at byte offset at (an
 * anchored attempt; the iterator's own position is neither used nor
 * moved).  1 with it in [*mb, *me) (and its groups, for vf_re_iter_group),
 * 0 when there is none, -1 on a matching error. */
int vf_re_iter_match_at(vf_re_iter *it, size_t at, size_t *mb, size_t *me);
/* Span of capture group g (1-based) of the last match; false if unset. */
bool vf_re_iter_group(const vf_re_iter *it, unsigned g, size_t *gb,
                      size_t *ge);
void vf_re_iter_done(vf_re_iter *it);

/* re.search(...) is not None: 1, 0, or -1 on error. */
int vf_re_search(const vf_re *re, const char *s, size_t len);

/* len(re.findall(...)); -1 on error. */
long vf_re_count(const vf_re *re, const char *s, size_t len);

/* len(re.split(...)): pieces plus one entry per group per match; -1 on
 * error. */
long vf_re_split_count(const vf_re *re, const char *s, size_t len);

/* Appends re.escape(s) to a NUL-terminated pattern buffer: every char that
 * is not alphanumeric or '_' is backslash-escaped (ASCII) as Python 3.7+
 * does for its special characters. */
struct vf_buf;
int vf_re_escape(const char *s, size_t len, struct vf_buf *out);

#endif /* VF_REGEX_H */
