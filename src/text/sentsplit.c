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

static const struct {
  const char *pat, *repl; /* repl: "\1".."\3" name groups; NULL: dots */
} passes[P_COUNT] = {
    [P_PREFIX] = {"(Mr|St|Mrs|Ms|Dr)[.]", "\\1<prd>"},
    [P_WEBSITE] = {"[.](com|net|org|io|gov|edu|me)", "<prd>\\1"},
    [P_DIGITS] = {"([0-9])[.]([0-9])", "\\1<prd>\\2"},
    [P_DOTS] = {"\\.{2,}", NULL},
    [P_SINGLE] = {"\\s([A-Za-z])[.] ", " \\1<prd> "},
    [P_ACRONYM] = {"([A-Z][.][A-Z][.](?:[A-Z][.])?) " STARTERS,
                   "\\1<stop> \\2"},
    [P_ABC] = {"([A-Za-z])[.]([A-Za-z])[.]([A-Za-z])[.]",
               "\\1<prd>\\2<prd>\\3<prd>"},
    [P_AB] = {"([A-Za-z])[.]([A-Za-z])[.]", "\\1<prd>\\2<prd>"},
    [P_SUFFIX_STARTER] = {" (Inc|Ltd|Jr|Sr|Co)[.] " STARTERS,
                          " \\1<stop> \\2"},
    [P_SUFFIX] = {" (Inc|Ltd|Jr|Sr|Co)[.]", " \\1<prd>"},
    [P_LETTER] = {" ([A-Za-z])[.]", " \\1<prd>"},
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
                                 VF_RE_JIT, &s->re[i], err);
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

/* out = re.sub(pattern of pass k, repl, in). */
static int sub(const vf_sentsplit *ss, int k, const vf_buf *in, vf_buf *out) {
  vf_re_iter it;
  vf_buf_reset(out);
  if (vf_re_iter_init(&it, ss->re[k], in->data, in->len))
    return -1;
  size_t last = 0, mb, me;
  int rc;
  while ((rc = vf_re_iter_next(&it, &mb, &me)) == 1) {
    if (vf_buf_append(out, in->data + last, mb - last) ||
        (passes[k].repl ? expand(out, passes[k].repl, &it, in->data)
                        : dots(out, me - mb))) {
      rc = -1;
      break;
    }
    last = me;
  }
  vf_re_iter_done(&it);
  if (rc < 0 || vf_buf_append(out, in->data + last, in->len - last))
    return -1;
  return 0;
}

/* out = in.replace(from, to) (from non-empty). */
static int replace(const vf_buf *in, const char *from, const char *to,
                   vf_buf *out) {
  size_t fl = strlen(from), tl = strlen(to), pos = 0;
  vf_buf_reset(out);
  for (;;) {
    const char *hit = memmem(in->data + pos, in->len - pos, from, fl);
    size_t end = hit ? (size_t)(hit - in->data) : in->len;
    if (vf_buf_append(out, in->data + pos, end - pos))
      return -1;
    if (!hit)
      return 0;
    if (vf_buf_append(out, to, tl))
      return -1;
    pos = end + fl;
  }
}

static void swap(vf_buf *a, vf_buf *b) {
  vf_buf t = *a;
  *a = *b;
  *b = t;
}

static bool contains(const vf_buf *b, const char *s) {
  return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* The regex passes, on out->text (the result stays there). */
static int run_passes(const vf_sentsplit *ss, vf_sentences *o) {
  for (int k = 0; k < P_COUNT; k++) {
    if (k == P_SINGLE && contains(&o->text, "Ph.D")) {
      if (replace(&o->text, "Ph.D.", "Ph<prd>D<prd>", &o->tmp))
        return -1;
      swap(&o->text, &o->tmp);
    }
    if (sub(ss, k, &o->text, &o->tmp))
      return -1;
    swap(&o->text, &o->tmp);
  }
  return 0;
}

/* The literal replacements that follow the regex passes. */
static int run_replaces(vf_sentences *o) {
  static const char *const steps[][3] = {
      /* guard, from, to (a NULL guard: always) */
      {"\xe2\x80\x9d", ".\xe2\x80\x9d", "\xe2\x80\x9d."},
      {"\"", ".\"", "\"."},
      {"!", "!\"", "\"!"},
      {"?", "?\"", "\"?"},
      {NULL, ".", ".<stop>"},
      {NULL, "?", "?<stop>"},
      {NULL, "!", "!<stop>"},
      {NULL, "<prd>", "."},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    if (steps[i][0] && !contains(&o->text, steps[i][0]))
      continue;
    if (replace(&o->text, steps[i][1], steps[i][2], &o->tmp))
      return -1;
    swap(&o->text, &o->tmp);
  }
  return 0;
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
    const char *hit = memmem(t + pos, o->text.len - pos, "<stop>", 6);
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
  for (size_t i = 0; i < o->text.len; i++)
    if (o->text.data[i] == '\n')
      o->text.data[i] = ' ';
  if (run_passes(ss, o) || run_replaces(o))
    return -1;
  return split_stops(o);
}
