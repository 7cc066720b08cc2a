/*
 * sentsplit.c: split_into_sentences() of IFBench's and IFEval's
 * instructions_util.py, one step per line of the reference:
 *
 *   text = " " + text + "  "; "\n" -> " "
 *   (Mr|St|Mrs|Ms|Dr)[.]            -> \1<prd>
 *   [.](com|net|org|io|gov|edu|me)  -> <prd>\1
 *   ([0-9])[.]([0-9])               -> \1<prd>\2
 *   \.{2,}                          -> "<prd>" per dot, then <stop>
 *   "Ph.D." -> "Ph<prd>D<prd>"
 *   \s([A-Za-z])[.]                 -> " \1<prd> "  (with the space after)
 *   ACRONYM STARTER                 -> \1<stop> \2
 *   A.B.C.  then  A.B.              -> <prd> for each dot
 *   " (Inc|Ltd|Jr|Sr|Co)[.] STARTER" -> " \1<stop> \2"
 *   " (Inc|Ltd|Jr|Sr|Co)[.]"        -> " \1<prd>"
 *   " ([A-Za-z])[.]"                -> " \1<prd>"
 *   .” -> ”.   ." -> ".   !" -> "!   ?" -> "?
 *   . ? ! -> themselves + <stop>;  <prd> -> .
 *   split on <stop>, strip each, drop an empty last one.
 *
 * Each substitution writes a new string (two buffers, used in turn).
 */
#include "text/sentsplit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/regex.h"

#define STARTERS                                                             \
  "(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\\s|She\\s|It\\s|They\\s|Their\\s|"      \
  "Our\\s|We\\s|But\\s|However\\s|That\\s|This\\s|Wherever)"

enum {
  P_PREFIX,
  P_WEBSITE,
  P_DIGITS,
  P_DOTS,
  P_SINGLE,
  P_ACRONYM,
  P_ABC,
  P_AB,
  P_SUFFIX_STARTER,
  P_SUFFIX,
  P_LETTER,
  P_COUNT
};

/* Every pattern holds a '.' a few bytes after the start of any match:
 * dots lists those byte offsets (0-terminated after the first), so only
 * the places that far before a dot are tried (see sub). */
static const struct {
  const char *pat, *repl; /* repl: "\1".."\3" name groups; NULL: dots */
  unsigned char dots[4];
} passes[P_COUNT] = {
    [P_PREFIX] = {"(Mr|St|Mrs|Ms|Dr)[.]", "\\1<prd>", {3, 2}},
    [P_WEBSITE] = {"[.](com|net|org|io|gov|edu|me)", "<prd>\\1", {0}},
    [P_DIGITS] = {"([0-9])[.]([0-9])", "\\1<prd>\\2", {1}},
    [P_DOTS] = {"\\.{2,}", NULL, {0}},
    [P_SINGLE] = {"\\s([A-Za-z])[.] ", " \\1<prd> ", {4, 3, 2}},
    [P_ACRONYM] = {"([A-Z][.][A-Z][.](?:[A-Z][.])?) " STARTERS,
                   "\\1<stop> \\2", {1}},
    [P_ABC] = {"([A-Za-z])[.]([A-Za-z])[.]([A-Za-z])[.]",
               "\\1<prd>\\2<prd>\\3<prd>", {1}},
    [P_AB] = {"([A-Za-z])[.]([A-Za-z])[.]", "\\1<prd>\\2<prd>", {1}},
    [P_SUFFIX_STARTER] = {" (Inc|Ltd|Jr|Sr|Co)[.] " STARTERS,
                          " \\1<stop> \\2", {4, 3}},
    [P_SUFFIX] = {" (Inc|Ltd|Jr|Sr|Co)[.]", " \\1<prd>", {4, 3}},
    [P_LETTER] = {" ([A-Za-z])[.]", " \\1<prd>", {2}},
};

struct vf_sentsplit {
  vf_re *re[P_COUNT];
};

vf_status vf_sentsplit_new(vf_sentsplit **out, vf_error *err) {
  vf_sentsplit *s = calloc(1, sizeof *s);
  *out = NULL;
  if (!s)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (int i = 0; i < P_COUNT; i++) {
    vf_status st = vf_re_compile(passes[i].pat, strlen(passes[i].pat),
                                 VF_RE_JIT | VF_RE_ANCHORED, &s->re[i], err);
    if (st) {
      vf_sentsplit_free(s);
      return st;
    }
  }
  *out = s;
  return VF_OK;
}

void vf_sentsplit_free(vf_sentsplit *s) {
  if (!s)
    return;
  for (int i = 0; i < P_COUNT; i++)
    vf_re_free(s->re[i]);
  free(s);
}

void vf_sentences_free(vf_sentences *s) {
  vf_buf_free(&s->text);
  vf_buf_free(&s->tmp);
  free(s->b);
  free(s->e);
  free(s->cand);
  memset(s, 0, sizeof *s);
}

/* Appends repl for the current match: literal text with \1..\9. */
static int expand(vf_buf *out, const char *repl, const vf_re_iter *it,
                  const char *s) {
  for (const char *p = repl; *p;) {
    if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9') {
      size_t gb, ge;
      if (vf_re_iter_group(it, (unsigned)(p[1] - '0'), &gb, &ge) &&
          vf_buf_append(out, s + gb, ge - gb))
        return -1;
      p += 2;
      continue;
    }
    size_t k = strcspn(p, "\\");
    k += k == 0; /* a lone backslash is literal */
    if (vf_buf_append(out, p, k))
      return -1;
    p += k;
  }
  return 0;
}

/* "<prd>" for each of the n dots, then "<stop>". */
static int dots(vf_buf *out, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (vf_buf_append(out, "<prd>", 5))
      return -1;
  return vf_buf_append(out, "<stop>", 6);
}

/* s[i], or 0 past the end. */
static char at_or_nul(const char *s, size_t n, size_t i) {
  return i < n ? s[i] : 0;
}

static bool letter(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool digit(char c) { return c >= '0' && c <= '9'; }

/* The fixed bytes of a match of pass k starting at s[at] are there: a
 * cheap test before the pattern itself is tried (it decides). */
static bool may_match(int k, const char *s, size_t n, size_t at) {
  char c0 = at_or_nul(s, n, at), c1 = at_or_nul(s, n, at + 1);
  char c2 = at_or_nul(s, n, at + 2), c3 = at_or_nul(s, n, at + 3);
  switch (k) {
  case P_PREFIX: return c0 == 'M' || c0 == 'S' || c0 == 'D';
  case P_WEBSITE: return c1 && strchr("cnoigem", c1);
  case P_DIGITS: return digit(c0) && digit(c2);
  case P_DOTS: return c1 == '.';
  case P_SINGLE: {
    size_t w = ((unsigned char)c0 & 0x80) ? 0 : 1; /* \s: ASCII or not */
    if (!w) {
      int32_t cp;
      w = vf_utf8_decode(s, n, at, &cp);
      if (!vf_py_isspace(cp))
        return false;
    }
    return letter(at_or_nul(s, n, at + w)) &&
           at_or_nul(s, n, at + w + 1) == '.' &&
           at_or_nul(s, n, at + w + 2) == ' ';
  }
  case P_ACRONYM: return upper(c0) && c1 == '.' && upper(c2) && c3 == '.';
  case P_ABC:
  case P_AB: return letter(c0) && c1 == '.' && letter(c2) && c3 == '.';
  case P_SUFFIX_STARTER:
  case P_SUFFIX: return c0 == ' ' && c1 && strchr("ILJSC", c1);
  default: return c0 == ' ' && letter(c1) && c2 == '.'; /* P_LETTER */
  }
}

/* Sorts a[0..n) that is nearly sorted already (out of order only where
 * dots are closer than the offsets). */
static void insertion_sort(size_t *a, size_t n) {
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && a[j - 1] > a[j]; j--) {
      size_t t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
}

/* The places a match of pass k can start: a dot's offset minus one of
 * the pass's offsets, ascending (repeats possible), into o->cand. */
static int candidates(vf_sentences *o, int k, const vf_buf *in) {
  o->ncand = 0;
  for (const char *p = memchr(in->data, '.', in->len); p;
       p = memchr(p + 1, '.', in->len - (size_t)(p + 1 - in->data))) {
    size_t at = (size_t)(p - in->data);
    for (int d = 0; d < 4 && (d == 0 || passes[k].dots[d]); d++) {
      if (passes[k].dots[d] > at)
        continue;
      if (o->ncand == o->capcand) {
        size_t cap = o->capcand ? o->capcand * 2 : 64;
        size_t *c = realloc(o->cand, cap * sizeof *c);
        if (!c)
          return -1;
        o->cand = c, o->capcand = cap;
      }
      o->cand[o->ncand++] = at - passes[k].dots[d];
    }
  }
  insertion_sort(o->cand, o->ncand);
  return 0;
}

/* out = re.sub(pattern of pass k, repl, in): 1, or 0 when nothing
 * matched (out is then untouched), -1 on failure.  re.sub takes the
 * leftmost match, then the next from its end; trying the candidate starts
 * in order, each anchored, finds the same matches. */
static int sub(const vf_sentsplit *ss, int k, vf_sentences *o,
               const vf_buf *in, vf_buf *out) {
  if (candidates(o, k, in))
    return -1;
  vf_re_iter it;
  if (!o->ncand || vf_re_iter_init(&it, ss->re[k], in->data, in->len))
    return o->ncand ? -1 : 0;
  size_t last = 0, mb, me, prev = (size_t)-1;
  int rc = 0, found = 0;
  for (size_t i = 0; i < o->ncand && rc >= 0; i++) {
    size_t at = o->cand[i];
    /* not before the last match's end, once, on a character, and only
     * where the pattern's fixed bytes are */
    if (at < last || at == prev ||
        ((unsigned char)in->data[at] & 0xC0) == 0x80 ||
        !may_match(k, in->data, in->len, at))
      continue;
    prev = at;
    rc = vf_re_iter_match_at(&it, at, &mb, &me);
    if (rc == 1 && !found++)
      vf_buf_reset(out);
    if (rc == 1 &&
        (vf_buf_append(out, in->data + last, mb - last) ||
         (passes[k].repl ? expand(out, passes[k].repl, &it, in->data)
                         : dots(out, me - mb))))
      rc = -1;
    if (rc == 1)
      last = me;
  }
  vf_re_iter_done(&it);
  if (rc < 0 || (found && vf_buf_append(out, in->data + last, in->len - last)))
    return -1;
  return found ? 1 : 0;
}

/* The first lit (ln >= 1 bytes) in s[0, n), or NULL: memchr for its first
 * byte, then the rest compared (the literals here start with bytes that
 * are rare in text, and are short: faster than memmem). */
static const char *find_lit(const char *s, size_t n, const char *lit,
                            size_t ln) {
  const char *end = s + n;
  for (const char *p = s; (size_t)(end - p) >= ln; p++) {
    p = memchr(p, lit[0], (size_t)(end - p) - ln + 1);
    if (!p)
      return NULL;
    if (!memcmp(p + 1, lit + 1, ln - 1))
      return p;
  }
  return NULL;
}

/* out = in.replace(from, to) (from non-empty): 1, or 0 when from does not
 * occur (out untouched), -1 when out of memory. */
static int replace(const vf_buf *in, const char *from, const char *to,
                   vf_buf *out) {
  size_t fl = strlen(from), tl = strlen(to), pos = 0;
  const char *hit = find_lit(in->data, in->len, from, fl);
  if (!hit)
    return 0;
  vf_buf_reset(out);
  for (;;) {
    size_t end = hit ? (size_t)(hit - in->data) : in->len;
    if (vf_buf_append(out, in->data + pos, end - pos))
      return -1;
    if (!hit)
      return 1;
    if (vf_buf_append(out, to, tl))
      return -1;
    pos = end + fl;
    hit = find_lit(in->data + pos, in->len - pos, from, fl);
  }
}

static void swap(vf_buf *a, vf_buf *b) {
  vf_buf t = *a;
  *a = *b;
  *b = t;
}

static bool contains(const vf_buf *b, const char *s) {
  size_t n = strlen(s);
  return n == 1 ? memchr(b->data, s[0], b->len) != NULL
                : find_lit(b->data, b->len, s, n) != NULL;
}

/* The regex passes, on out->text (the result stays there). */
static int run_passes(const vf_sentsplit *ss, vf_sentences *o) {
  for (int k = 0; k < P_COUNT; k++) {
    int rc = 0;
    if (k == P_SINGLE && contains(&o->text, "Ph.D"))
      rc = replace(&o->text, "Ph.D.", "Ph<prd>D<prd>", &o->tmp);
    if (rc > 0)
      swap(&o->text, &o->tmp);
    if (rc >= 0)
      rc = sub(ss, k, o, &o->text, &o->tmp);
    if (rc < 0)
      return -1;
    if (rc > 0)
      swap(&o->text, &o->tmp);
  }
  return 0;
}

/* Whether a byte of w is zero (exact as to whether, not which). */
static bool zero_byte(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ULL;
  return ((w - ones) & ~w & (ones * 0x80)) != 0;
}

/* The first of '.', '?', '!', '<' in t[j, n), or n: eight bytes at a time
 * while none of them is there. */
static size_t next_special(const char *t, size_t j, size_t n) {
  static const bool special[256] = {['.'] = 1, ['?'] = 1, ['!'] = 1,
                                    ['<'] = 1};
  const uint64_t ones = 0x0101010101010101ULL;
  while (n - j >= 8) {
    uint64_t w;
    memcpy(&w, t + j, 8);
    if (zero_byte(w ^ (ones * '.')) || zero_byte(w ^ (ones * '?')) ||
        zero_byte(w ^ (ones * '!')) || zero_byte(w ^ (ones * '<')))
      break;
    j += 8;
  }
  while (j < n && !special[(unsigned char)t[j]])
    j++;
  return j;
}

/* The last four replacements in one pass: ". ? !" gain a "<stop>" and
 * "<prd>" becomes "." (the stops inserted cannot form or split a "<prd>",
 * and the dots it becomes get none, as in the reference's order). */
static int mark_stops(vf_sentences *o) {
  const char *t = o->text.data;
  size_t n = o->text.len;
  vf_buf_reset(&o->tmp);
  if (vf_buf_reserve(&o->tmp, n + n / 4))
    return -1;
  for (size_t i = 0; i < n;) {
    size_t j = next_special(t, i, n);
    if (vf_buf_append(&o->tmp, t + i, j - i))
      return -1;
    if (j == n)
      break;
    int rc = t[j] != '<' ? vf_buf_putc(&o->tmp, t[j]) ||
                               vf_buf_append(&o->tmp, "<stop>", 6)
             : j + 5 <= n && !memcmp(t + j, "<prd>", 5)
                 ? vf_buf_putc(&o->tmp, '.')
                 : vf_buf_putc(&o->tmp, '<');
    if (rc)
      return -1;
    i = j + (t[j] == '<' && j + 5 <= n && !memcmp(t + j, "<prd>", 5) ? 5 : 1);
  }
  swap(&o->text, &o->tmp);
  return 0;
}

/* The literal replacements that follow the regex passes: each needs a
 * '"' (or the closing quote U+201D, whose UTF-8 ends in 0x9D) to act. */
static int run_replaces(vf_sentences *o) {
  static const char *const steps[][3] = {
      /* guard, from, to */
      {"\xe2\x80\x9d", ".\xe2\x80\x9d", "\xe2\x80\x9d."},
      {"\"", ".\"", "\"."},
      {"!", "!\"", "\"!"},
      {"?", "?\"", "\"?"},
  };
  bool quote = memchr(o->text.data, '"', o->text.len) != NULL;
  bool curly = memchr(o->text.data, 0x9D, o->text.len) != NULL;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    if (!(i == 0 ? curly : quote) || !contains(&o->text, steps[i][0]))
      continue;
    int rc = replace(&o->text, steps[i][1], steps[i][2], &o->tmp);
    if (rc < 0)
      return -1;
    if (rc > 0)
      swap(&o->text, &o->tmp);
  }
  return mark_stops(o);
}

static int push(vf_sentences *o, size_t b, size_t e) {
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 16;
    size_t *nb = realloc(o->b, cap * sizeof *nb);
    if (!nb)
      return -1;
    o->b = nb;
    size_t *ne = realloc(o->e, cap * sizeof *ne);
    if (!ne)
      return -1;
    o->e = ne, o->cap = cap;
  }
  o->b[o->n] = b, o->e[o->n] = e;
  o->n++;
  return 0;
}

/* text.split("<stop>"), each piece stripped, an empty last one dropped. */
static int split_stops(vf_sentences *o) {
  const char *t = o->text.data;
  size_t pos = 0;
  for (;;) {
    const char *hit = find_lit(t + pos, o->text.len - pos, "<stop>", 6);
    size_t b = pos, e = hit ? (size_t)(hit - t) : o->text.len;
    vf_py_strip(t, &b, &e);
    if (push(o, b, e))
      return -1;
    if (!hit)
      break;
    pos = (size_t)(hit - t) + 6;
  }
  if (o->n && o->b[o->n - 1] == o->e[o->n - 1])
    o->n--;
  return 0;
}

int vf_split_sentences(const vf_sentsplit *ss, const char *s, size_t len,
                       vf_sentences *o) {
  o->n = 0;
  vf_buf_reset(&o->text);
  if (vf_buf_reserve(&o->text, len + 3) || vf_buf_putc(&o->text, ' ') ||
      vf_buf_append(&o->text, s, len) || vf_buf_append(&o->text, "  ", 2))
    return -1;
  char *t = o->text.data, *end = t + o->text.len;
  for (char *p = memchr(t, '\n', o->text.len); p;
       p = memchr(p + 1, '\n', (size_t)(end - p - 1)))
    *p = ' ';
  if (run_passes(ss, o) || run_replaces(o))
    return -1;
  return split_stops(o);
}
