/*
 * syllapy.c: syllapy 0.7.2's count() (syllapy/__init__.py at v0.7.2).
 *
 * count(word): word.strip().lower().strip(string.punctuation); empty -> 0;
 * any \d (a Unicode decimal digit) -> 0; a known word -> its table entry;
 * re.match("([^-]+)-(.+)") -> count(part 1) + count(part 2), or 0 when
 * either is 0 (part 2 stops at a newline: '.' does not match one); else
 * _syllables(): a leading vowel (aeiouy) counts one, so does every vowel
 * after a non-vowel; a final 'e' takes one away, a final "le" after a
 * non-vowel (three characters or more) adds one back; never below one.
 * All of it counts code points, as Python does.
 */
#include "text/syllapy.h"

#include <stdlib.h>
#include <string.h>

#include "text/lexicon.h"
#include "text/text.h"

struct vf_syllapy {
  vf_strtab *words;
};

void vf_syllapy_free(vf_syllapy *s) {
  if (!s)
    return;
  vf_strtab_free(s->words);
  free(s);
}

/* One "word,count" line; csv.reader would read a quoted field, but the
 * table has none, so a quote is refused rather than misread. */
static bool parse_row(const char *s, size_t n, size_t *wlen, uint32_t *v) {
  const char *comma = memchr(s, ',', n);
  if (!comma || memchr(s, '"', n))
    return false;
  *wlen = (size_t)(comma - s);
  unsigned long k = 0;
  const char *p = comma + 1;
  if (p == s + n)
    return false;
  for (; p < s + n; p++) {
    if (*p < '0' || *p > '9' || k > 1000)
      return false;
    k = k * 10 + (unsigned long)(*p - '0');
  }
  *v = (uint32_t)k;
  return true;
}

vf_status vf_syllapy_load(const char *path, vf_syllapy **out, vf_error *err) {
  vf_buf text = {0};
  *out = NULL;
  vf_syllapy *s = calloc(1, sizeof *s);
  vf_status st = s && (s->words = vf_strtab_new())
                     ? vf_file_read(path, &text, err)
                     : vf_set_error(err, VF_ENOMEM, "out of memory");
  size_t pos = 0, b, e, line = 0;
  while (!st && vf_line_next(text.data, text.len, &pos, &b, &e)) {
    size_t wlen;
    uint32_t v;
    line++;
    if (e > b && text.data[e - 1] == '\r')
      e--;
    if (!parse_row(text.data + b, e - b, &wlen, &v) ||
        !vf_utf8_valid(text.data + b, wlen, NULL))
      st = vf_set_error(err, VF_EDATA, "%s:%zu: expected \"word,count\"",
                        path, line);
    else if (vf_strtab_put(s->words, text.data + b, wlen, v) < 0)
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  vf_buf_free(&text);
  if (st) {
    vf_syllapy_free(s);
    return st;
  }
  *out = s;
  return VF_OK;
}

static bool is_punct(char c) {
  return c && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c);
}

static bool is_vowel(int32_t cp) { return cp < 0x80 && strchr("aeiouy", (int)cp) && cp; }

static bool has_decimal(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    int32_t cp;
    i += vf_utf8_decode(s, n, i, &cp);
    if (vf_py_decimal(cp) >= 0)
      return true;
  }
  return false;
}

/* _syllables(word) on a non-empty word. */
static long heuristic(const char *w, size_t n) {
  long count = 0;
  int32_t cp, prev = 0, prev2 = 0;
  size_t ncp = 0;
  for (size_t i = 0; i < n; ncp++) {
    prev2 = prev;
    prev = ncp ? cp : 0;
    i += vf_utf8_decode(w, n, i, &cp);
    if (is_vowel(cp) && (ncp == 0 || !is_vowel(prev)))
      count++;
  }
  /* here cp is word[-1], prev word[-2], prev2 word[-3] */
  if (cp == 'e')
    count--;
  if (ncp > 2 && prev == 'l' && cp == 'e' && !is_vowel(prev2))
    count++;
  return count == 0 ? 1 : count;
}

/* count() on an already lowered and stripped word w[0..n). */
static long count_clean(const vf_syllapy *s, const char *w, size_t n);

long vf_syllapy_count(const vf_syllapy *s, const char *word, size_t len) {
  size_t b = 0, e = len;
  vf_py_strip(word, &b, &e);
  vf_buf low = {0};
  if (vf_py_lower(word + b, e - b, &low))
    return -1;
  long k = count_clean(s, low.data ? low.data : "", low.len);
  vf_buf_free(&low);
  return k;
}

static long count_clean(const vf_syllapy *s, const char *w, size_t n) {
  size_t b = 0, e = n;
  while (b < e && is_punct(w[b]))
    b++;
  while (e > b && is_punct(w[e - 1]))
    e--;
  w += b, n = e - b;
  uint32_t v;
  if (n == 0 || has_decimal(w, n))
    return 0;
  if (vf_strtab_get(s->words, w, n, &v))
    return (long)v;
  const char *dash = memchr(w, '-', n);
  if (dash && dash > w && dash + 1 < w + n && dash[1] != '\n') {
    const char *nl = memchr(dash + 1, '\n', (size_t)(w + n - dash - 1));
    const char *end = nl ? nl : w + n;
    long s1 = vf_syllapy_count(s, w, (size_t)(dash - w));
    long s2 = vf_syllapy_count(s, dash + 1, (size_t)(end - dash - 1));
    if (s1 < 0 || s2 < 0)
      return -1;
    return s1 == 0 || s2 == 0 ? 0 : s1 + s2;
  }
  return heuristic(w, n);
}
