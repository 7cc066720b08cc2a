/*
 * punkt.c: NLTK's PunktSentenceTokenizer with fixed (pre-trained) parameters,
 * as NLTK >= 3.8.2 runs it: candidate ends found right to left with the word
 * before each (str.rsplit), every candidate decided by annotating the few
 * Punkt word tokens of its context, then closing quotes and brackets
 * realigned.  Python's regexes are hand-coded scanners over UTF-8 with
 * Python's Unicode classes.  vf_punkt_load reads the four punkt_tab files;
 * the loaded model is immutable, and each call keeps its own scratch memory.
 */
#include "text/punkt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/punkt_int.h"
#include "text/text.h"

/* ---- string tables ------------------------------------------------------ */

/* Open-addressing hash table over byte strings that live in the loaded
 * parameter files; val is the ortho-context flag word (0 for sets). */
typedef struct slot {
  const char *key;
  uint32_t len;
  int32_t val;
} slot;

typedef struct table {
  slot *slots;
  size_t mask;
} table;

/* Word types never contain 0xFF (not UTF-8), so it joins collocation pairs. */
#define PAIR_SEP '\xff'

struct vf_punkt {
  char *files[4];
  table abbrev, colloc, starters, ortho;
};

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h ^ (h >> 29);
}

static int table_init(table *t, size_t entries) {
  size_t cap = 16;
  while (cap < entries * 2 + 1)
    cap *= 2;
  t->slots = calloc(cap, sizeof *t->slots);
  t->mask = cap - 1;
  return t->slots ? 0 : -1;
}

/* Inserts or overwrites (the last line wins, as a Python dict does). */
static void table_put(table *t, const char *key, size_t len, int32_t val) {
  size_t i = (size_t)hash_bytes(key, len) & t->mask;
  while (t->slots[i].key &&
         !(t->slots[i].len == len && memcmp(t->slots[i].key, key, len) == 0))
    i = (i + 1) & t->mask;
  t->slots[i] = (slot){key, (uint32_t)len, val};
}

static const slot *table_get(const table *t, const char *key, size_t len) {
  if (!t->slots)
    return NULL;
  size_t i = (size_t)hash_bytes(key, len) & t->mask;
  while (t->slots[i].key) {
    if (t->slots[i].len == len && memcmp(t->slots[i].key, key, len) == 0)
      return &t->slots[i];
    i = (i + 1) & t->mask;
  }
  return NULL;
}

/* ---- loading ------------------------------------------------------------- */

enum { F_ABBREV, F_COLLOC, F_STARTERS, F_ORTHO };
static const char *const file_names[4] = {
    "abbrev_types.txt", "collocations.tab", "sent_starters.txt",
    "ortho_context.tab"};

static vf_status read_file(const char *path, char **out, size_t *len,
                           vf_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EIO, "%s: %s", path, strerror(errno));
  vf_buf b = {0};
  char chunk[65536];
  vf_status st = VF_OK;
  for (;;) {
    size_t got = fread(chunk, 1, sizeof chunk, f);
    if (got == 0)
      break;
    if (vf_buf_append(&b, chunk, got)) {
      st = vf_set_error(err, VF_ENOMEM, "%s: out of memory", path);
      goto done;
    }
  }
  if (ferror(f))
    st = vf_set_error(err, VF_EIO, "%s: read error: %s", path,
                      strerror(errno));
  else if (vf_buf_reserve(&b, 0))
    st = vf_set_error(err, VF_ENOMEM, "%s: out of memory", path);
done:
  fclose(f);
  if (st != VF_OK) {
    vf_buf_free(&b);
    return st;
  }
  *out = b.data;
  *len = b.len;
  return VF_OK;
}

/* An upper bound on the number of lines (LF, CRLF or CR end one). */
static size_t count_lines(const char *buf, size_t len) {
  size_t n = 1;
  for (size_t i = 0; i < len; i++)
    n += buf[i] == '\n' || buf[i] == '\r';
  return n;
}

/* Parses a non-negative or negative decimal int filling the whole field. */
static bool parse_int(const char *s, size_t n, int32_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '-' || s[i] == '+'))
    neg = s[i++] == '-';
  if (i == n)
    return false;
  long v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || v > 100000000L)
      return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = (int32_t)(neg ? -v : v);
  return true;
}

/* Adds one line of file `which` to its table. */
static bool add_line(vf_punkt *p, int which, char *line, size_t len) {
  if (which == F_ABBREV || which == F_STARTERS) {
    table_put(which == F_ABBREV ? &p->abbrev : &p->starters, line, len, 0);
    return true;
  }
  char *tab = memchr(line, '\t', len);
  if (!tab || memchr(tab + 1, '\t', len - (size_t)(tab + 1 - line)))
    return false;
  size_t klen = (size_t)(tab - line);
  if (which == F_COLLOC) {
    *tab = PAIR_SEP;
    table_put(&p->colloc, line, len, 0);
    return true;
  }
  int32_t v;
  if (!parse_int(tab + 1, len - klen - 1, &v))
    return false;
  table_put(&p->ortho, line, klen, v);
  return true;
}

static table *table_for(vf_punkt *p, int which) {
  return which == F_ABBREV     ? &p->abbrev
         : which == F_COLLOC   ? &p->colloc
         : which == F_STARTERS ? &p->starters
                               : &p->ortho;
}

/* Fills the table of file `which` from its text, one entry a line (lines
 * end as Python's text mode reads them; empty lines are skipped). */
static vf_status parse_file(vf_punkt *p, int which, char *buf, size_t len,
                            const char *path, vf_error *err) {
  if (table_init(table_for(p, which), count_lines(buf, len)))
    return vf_set_error(err, VF_ENOMEM, "%s: out of memory", path);
  size_t line_no = 0;
  for (size_t i = 0; i < len; i++) {
    size_t b = i;
    while (i < len && buf[i] != '\n' && buf[i] != '\r')
      i++;
    line_no++;
    if (i > b && !add_line(p, which, buf + b, i - b))
      return vf_set_error(err, VF_EDATA, "%s:%zu: expected \"type<TAB>%s\"",
                          path, line_no,
                          which == F_COLLOC ? "type" : "integer");
    if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
      i++;
  }
  return VF_OK;
}

static vf_status load_one(vf_punkt *p, const char *dir, int which,
                          vf_error *err) {
  vf_buf path = {0};
  if (vf_buf_printf(&path, "%s/%s", dir, file_names[which]))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  size_t len;
  vf_status st = read_file(path.data, &p->files[which], &len, err);
  if (st == VF_OK)
    st = parse_file(p, which, p->files[which], len, path.data, err);
  vf_buf_free(&path);
  return st;
}

vf_status vf_punkt_load(const char *dir, vf_punkt **out, vf_error *err) {
  *out = NULL;
  vf_punkt *p = calloc(1, sizeof *p);
  if (!p)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (int i = 0; i < 4; i++) {
    vf_status st = load_one(p, dir, i, err);
    if (st != VF_OK) {
      vf_punkt_free(p);
      return st;
    }
  }
  *out = p;
  return VF_OK;
}

void vf_punkt_free(vf_punkt *p) {
  if (!p)
    return;
  for (int i = 0; i < 4; i++)
    free(p->files[i]);
  free(p->abbrev.slots);
  free(p->colloc.slots);
  free(p->starters.slots);
  free(p->ortho.slots);
  free(p);
}

/* ---- Punkt word tokens (PunktLanguageVars.word_tokenize) ----------------- */

/* PunktToken flags. */
enum {
  T_PFINAL = 1,   /* ends with '.' */
  T_BREAK = 2,    /* sentbreak */
  T_ABBR = 4,     /* abbr */
  T_ELLIPSIS = 8, /* ellipsis */
  T_UPPER = 16,   /* first character isupper() */
  T_LOWER = 32,   /* first character islower() */
  T_INITIAL = 64, /* is_initial: one letter and a period */
  T_NUMBER = 128  /* type is ##number## */
};

typedef struct ptok {
  size_t b, e;   /* the token in the context buffer */
  size_t tb, te; /* its type in the type buffer */
  unsigned flags;
} ptok;

/* Per-call scratch memory, reused for every candidate of one text. */
typedef struct scratch {
  vf_buf ctx, types, key;
  ptok *toks;
  size_t ntok, cap;
} scratch;

static bool is_nonword(int32_t c) { /* _re_non_word_chars */
  switch (c) {
  case ')': case '"': case ';': case '}': case ']': case '*': case ':':
  case '@': case '\'': case '(': case '{': case '[': case '?': case '!':
    return true;
  default:
    return false;
  }
}

static bool starts_no_word(int32_t c) { /* not _re_word_start */
  switch (c) {
  case '(': case '"': case '`': case '{': case '[': case ':': case ';':
  case '&': case '#': case '*': case '@': case ')': case '}': case ']':
  case '-': case ',':
    return true;
  default:
    return false;
  }
}

/* Length of the MultiChar match at s[i] ("--"+, ".."+, ". . ." spaced with
 * single whitespace characters), or 0. */
static size_t multichar(const char *s, size_t n, size_t i) {
  if (i + 1 < n && (s[i] == '-' || s[i] == '.') && s[i + 1] == s[i]) {
    size_t j = i + 2;
    while (j < n && s[j] == s[i])
      j++;
    return j - i;
  }
  size_t q = i, prev = i, k = 0, w;
  while (q + 1 < n && s[q] == '.' && uc_space_at(s, n, q + 1, &w)) {
    prev = q;
    q += 1 + w;
    k++;
  }
  if (k >= 2 && q < n && s[q] == '.')
    return q + 1 - i;
  if (k >= 3)
    return prev + 1 - i;
  return 0;
}

/* The lookahead that ends a word token at s[j]. */
static bool word_ends_at(const char *s, size_t n, size_t j) {
  int32_t c;
  size_t w;
  if (j >= n || uc_space_at(s, n, j, &w))
    return true;
  uc_decode(s, n, j, &c);
  if (is_nonword(c) || multichar(s, n, j))
    return true;
  if (c != ',')
    return false;
  if (j + 1 >= n || uc_space_at(s, n, j + 1, &w))
    return true;
  uc_decode(s, n, j + 1, &c);
  return is_nonword(c) || multichar(s, n, j + 1) > 0;
}

/* End of the token that starts at non-space s[i]. */
static size_t token_end(const char *s, size_t n, size_t i) {
  size_t m = multichar(s, n, i);
  if (m)
    return i + m;
  int32_t c;
  size_t j = i + uc_decode(s, n, i, &c);
  if (starts_no_word(c))
    return j;
  while (!word_ends_at(s, n, j))
    j += uc_decode(s, n, j, &c);
  return j;
}

static int push_tok(scratch *sc, size_t b, size_t e) {
  if (sc->ntok == sc->cap) {
    size_t cap = sc->cap ? sc->cap * 2 : 16;
    ptok *t = realloc(sc->toks, cap * sizeof *t);
    if (!t)
      return -1;
    sc->toks = t;
    sc->cap = cap;
  }
  sc->toks[sc->ntok++] = (ptok){b, e, 0, 0, 0};
  return 0;
}

/* Tokenizes the line s[lb, le) of the context buffer s. */
static int tokenize_line(scratch *sc, const char *s, size_t lb, size_t le) {
  const char *l = s + lb;
  size_t n = le - lb, i = 0, w;
  while (i < n) {
    if (uc_space_at(l, n, i, &w)) {
      i += w;
      continue;
    }
    size_t e = token_end(l, n, i);
    if (push_tok(sc, lb + i, lb + e))
      return -1;
    i = e;
  }
  return 0;
}

/* ---- token annotation ---------------------------------------------------- */

/* PunktToken._RE_NUMERIC: -?[.,]?\d[\d,.-]*\.?  over the whole token. */
static bool is_numeric(const char *s, size_t n) {
  size_t i = 0;
  int32_t c;
  if (i < n && s[i] == '-')
    i++;
  if (i < n && (s[i] == '.' || s[i] == ','))
    i++;
  if (i >= n)
    return false;
  i += uc_decode(s, n, i, &c);
  if (!uc_isdecimal(c))
    return false;
  while (i < n) {
    size_t l = uc_decode(s, n, i, &c);
    if (!uc_isdecimal(c) && c != ',' && c != '.' && c != '-')
      return false;
    i += l;
  }
  return true;
}

/* Computes the type (lower-cased or ##number##) and the shape flags. */
static int describe(scratch *sc, ptok *t) {
  const char *s = sc->ctx.data + t->b;
  size_t n = t->e - t->b;
  int32_t c;
  size_t l = uc_decode(s, n, 0, &c);
  t->flags = (vf_py_isupper_cp(c) ? T_UPPER : 0) |
             (vf_py_islower_cp(c) ? T_LOWER : 0) |
             (s[n - 1] == '.' ? T_PFINAL : 0);
  if (n == l + 1 && s[l] == '.' && uc_isword(c) && !uc_isdecimal(c))
    t->flags |= T_INITIAL;
  t->tb = sc->types.len;
  int rc;
  if (is_numeric(s, n)) {
    t->flags |= T_NUMBER;
    rc = vf_buf_append(&sc->types, "##number##", 10);
  } else {
    rc = vf_py_lower(s, n, &sc->types);
  }
  t->te = sc->types.len;
  return rc;
}

static bool in_table(const table *t, const char *s, size_t n) {
  return table_get(t, s, n) != NULL;
}

static bool all_periods(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != '.')
      return false;
  return true;
}

/* PunktBaseClass._first_pass_annotation. */
static void first_pass(const vf_punkt *p, scratch *sc, ptok *t) {
  const char *s = sc->ctx.data + t->b;
  size_t n = t->e - t->b;
  if (n == 1 && (s[0] == '.' || s[0] == '?' || s[0] == '!')) {
    t->flags |= T_BREAK;
    return;
  }
  if (n >= 2 && all_periods(s, n)) {
    t->flags |= T_ELLIPSIS;
    return;
  }
  if (!(t->flags & T_PFINAL) || (n >= 2 && s[n - 2] == '.'))
    return;
  /* tok[:-1].lower(): the type less its period (numbers lower to themselves) */
  const char *low = t->flags & T_NUMBER ? s : sc->types.data + t->tb;
  size_t ln = (t->flags & T_NUMBER ? n : t->te - t->tb) - 1;
  const char *dash = memrchr(low, '-', ln);
  size_t tail = dash ? (size_t)(dash + 1 - low) : 0;
  if (in_table(&p->abbrev, low, ln) ||
      in_table(&p->abbrev, low + tail, ln - tail))
    t->flags |= T_ABBR;
  else
    t->flags |= T_BREAK;
}

/* type_no_period / type_no_sentperiod as [*b, *e) in the type buffer. */
static void type_no_period(const ptok *t, const char *types, size_t *b,
                           size_t *e) {
  *b = t->tb;
  *e = t->te;
  if (*e - *b > 1 && types[*e - 1] == '.')
    (*e)--;
}

static void type_no_sentperiod(const ptok *t, const char *types, size_t *b,
                               size_t *e) {
  if (t->flags & T_BREAK) {
    type_no_period(t, types, b, e);
  } else {
    *b = t->tb;
    *e = t->te;
  }
}

enum { ORTHO_BEG_UC = 2, ORTHO_MID_UC = 4, ORTHO_UNK_UC = 8,
       ORTHO_BEG_LC = 16, ORTHO_MID_LC = 32, ORTHO_UNK_LC = 64,
       ORTHO_UC = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC,
       ORTHO_LC = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC };

static int32_t ortho_of(const vf_punkt *p, const char *s, size_t n) {
  const slot *sl = table_get(&p->ortho, s, n);
  return sl ? sl->val : 0;
}

/* _ortho_heuristic: 1 sentence starter, 0 not, -1 unknown. */
static int ortho_heuristic(const vf_punkt *p, const scratch *sc,
                           const ptok *t) {
  const char *s = sc->ctx.data + t->b;
  if (t->e - t->b == 1 && s[0] && strchr(";:,.!?", s[0]))
    return 0;
  size_t b, e;
  type_no_sentperiod(t, sc->types.data, &b, &e);
  int32_t oc = ortho_of(p, sc->types.data + b, e - b);
  if ((t->flags & T_UPPER) && (oc & ORTHO_LC) && !(oc & ORTHO_MID_UC))
    return 1;
  if ((t->flags & T_LOWER) && ((oc & ORTHO_UC) || !(oc & ORTHO_BEG_LC)))
    return 0;
  return -1;
}

static int is_collocation(const vf_punkt *p, scratch *sc, size_t ab, size_t ae,
                          size_t bb, size_t be) {
  vf_buf_reset(&sc->key);
  if (vf_buf_append(&sc->key, sc->types.data + ab, ae - ab) ||
      vf_buf_putc(&sc->key, PAIR_SEP) ||
      vf_buf_append(&sc->key, sc->types.data + bb, be - bb))
    return -1;
  return in_table(&p->colloc, sc->key.data, sc->key.len);
}

static void mark_abbr(ptok *t) { t->flags = (t->flags & ~T_BREAK) | T_ABBR; }

/* _second_pass_annotation of t1 followed by t2; -1 on ENOMEM. */
static int second_pass(const vf_punkt *p, scratch *sc, ptok *t1,
                       const ptok *t2) {
  if (!(t1->flags & T_PFINAL))
    return 0;
  const char *types = sc->types.data;
  size_t ab, ae, bb, be;
  type_no_period(t1, types, &ab, &ae);
  type_no_sentperiod(t2, types, &bb, &be);
  bool initial = t1->flags & T_INITIAL;
  int col = is_collocation(p, sc, ab, ae, bb, be);
  if (col < 0)
    return -1;
  if (col) {
    mark_abbr(t1);
    return 0;
  }
  types = sc->types.data;
  if ((t1->flags & (T_ABBR | T_ELLIPSIS)) && !initial) {
    if (ortho_heuristic(p, sc, t2) == 1 ||
        ((t2->flags & T_UPPER) &&
         in_table(&p->starters, types + bb, be - bb))) {
      t1->flags |= T_BREAK;
      return 0;
    }
  }
  if (initial || (ae - ab == 10 && memcmp(types + ab, "##number##", 10) == 0)) {
    int h = ortho_heuristic(p, sc, t2);
    if (h == 0 ||
        (h < 0 && initial && (t2->flags & T_UPPER) &&
         !(ortho_of(p, types + bb, be - bb) & ORTHO_LC)))
      mark_abbr(t1);
  }
  return 0;
}

/* text_contains_sentbreak(ctx): 1, 0, or -1 on ENOMEM. */
static int contains_sentbreak(const vf_punkt *p, scratch *sc) {
  const char *s = sc->ctx.data;
  size_t n = sc->ctx.len;
  sc->ntok = 0;
  vf_buf_reset(&sc->types);
  for (size_t lb = 0; lb <= n;) {
    const char *nl = memchr(s + lb, '\n', n - lb);
    size_t le = nl ? (size_t)(nl - s) : n;
    if (tokenize_line(sc, s, lb, le))
      return -1;
    lb = le + 1;
  }
  for (size_t i = 0; i < sc->ntok; i++) {
    if (describe(sc, &sc->toks[i]))
      return -1;
    first_pass(p, sc, &sc->toks[i]);
  }
  for (size_t i = 0; i + 1 < sc->ntok; i++) {
    if (second_pass(p, sc, &sc->toks[i], &sc->toks[i + 1]))
      return -1;
    if (sc->toks[i].flags & T_BREAK)
      return 1;
  }
  return 0;
}

/* ---- candidate sentence ends --------------------------------------------- */

/* A match of period_context_re ([.?!] followed by other punctuation, or by
 * whitespace and a token) with the word before it, as NLTK >= 3.8.2 takes
 * it from text[:p].rsplit(maxsplit=1). */
typedef struct cand {
  size_t p;      /* the sentence-ending character */
  size_t after;  /* end of group after_tok */
  size_t next;   /* start of group next_tok, or NO_NEXT */
  size_t wb, we; /* the word before */
} cand;

#define NO_NEXT SIZE_MAX

/* Tests the period-context lookahead after s[p] ('.', '?' or '!'). */
static bool period_context(const char *s, size_t n, cand *c) {
  size_t q = c->p + 1, w;
  int32_t cp;
  if (q >= n)
    return false;
  uc_decode(s, n, q, &cp);
  if (is_nonword(cp)) {
    c->after = q + 1;
    c->next = NO_NEXT;
    return true;
  }
  if (!uc_space_at(s, n, q, &w))
    return false;
  while (q < n && uc_space_at(s, n, q, &w))
    q += w;
  if (q >= n)
    return false;
  c->next = q;
  while (q < n && !uc_space_at(s, n, q, &w))
    q += w;
  c->after = q;
  return true;
}

static bool space_before(const char *s, size_t i) {
  int32_t cp;
  size_t j = uc_prev(s, i);
  uc_decode(s, i, j, &cp);
  return uc_isspace(cp);
}

/* Fills the word before c->p; returns len(parts[0]) of the rsplit, the
 * bound below which earlier candidates are still considered. */
static size_t word_before(const char *s, cand *c) {
  size_t e = c->p;
  while (e > 0 && space_before(s, e))
    e = uc_prev(s, e);
  size_t b = e;
  while (b > 0 && !space_before(s, b))
    b = uc_prev(s, b);
  c->wb = b;
  c->we = e;
  while (b > 0 && space_before(s, b))
    b = uc_prev(s, b);
  return b;
}

typedef struct cand_list {
  cand *v;
  size_t n, cap;
} cand_list;

static int cand_push(cand_list *l, const cand *c) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    cand *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = *c;
  return 0;
}

/* Position of the last '.', '?' or '!' in s[0, end), or NO_NEXT; skips
 * eight bytes at a time, as these characters are rare. */
static size_t last_end_char(const char *s, size_t end) {
  while (end >= 8) {
    uint64_t x;
    memcpy(&x, s + end - 8, 8);
    if (uc_bytes_eq(x, '.') | uc_bytes_eq(x, '?') | uc_bytes_eq(x, '!'))
      break;
    end -= 8;
  }
  while (end > 0) {
    char c = s[--end];
    if (c == '.' || c == '?' || c == '!')
      return end;
  }
  return NO_NEXT;
}

/* _match_potential_end_contexts: candidates right to left, skipping those
 * inside the word before the last kept one.  The list ends up reversed. */
static int find_candidates(const char *s, size_t n, cand_list *out) {
  size_t limit = n;
  while (limit > 0) {
    size_t p = last_end_char(s, limit);
    if (p == NO_NEXT)
      break;
    limit = p;
    cand c = {.p = p};
    if (!period_context(s, n, &c))
      continue;
    limit = word_before(s, &c);
    if (cand_push(out, &c))
      return -1;
  }
  return 0;
}

/* The context string: word before + end character + after_tok. */
static int build_context(scratch *sc, const char *s, const cand *c) {
  vf_buf_reset(&sc->ctx);
  if (c->we == c->p)
    return vf_buf_append(&sc->ctx, s + c->wb, c->after - c->wb);
  return vf_buf_append(&sc->ctx, s + c->wb, c->we - c->wb) ||
         vf_buf_append(&sc->ctx, s + c->p, c->after - c->p);
}

/* ---- slices and realignment ---------------------------------------------- */

typedef struct span_list {
  vf_span *v;
  size_t n, cap;
} span_list;

static int span_push(span_list *l, size_t b, size_t e) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    vf_span *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = (vf_span){b, e};
  return 0;
}

/* _slices_from_text over the candidates (given right to left). */
static int slices(const vf_punkt *p, scratch *sc, const char *s, size_t n,
                  const cand_list *cl, span_list *out) {
  size_t last = 0;
  for (size_t k = cl->n; k-- > 0;) {
    const cand *c = &cl->v[k];
    if (build_context(sc, s, c))
      return -1;
    int br = contains_sentbreak(p, sc);
    if (br < 0)
      return -1;
    if (!br)
      continue;
    if (span_push(out, last, c->p + 1))
      return -1;
    last = c->next != NO_NEXT ? c->next : c->p + 1;
  }
  size_t end = n;
  vf_py_rstrip(s, 0, &end);
  return span_push(out, last, end);
}

/* re_boundary_realignment ["')\]}]+?(?:\s+|(?=--)|$) matched at the start
 * of s[a, z): returns the number of closing characters (0: no match) and
 * the end of the match in *mend. */
static size_t realign_match(const char *s, size_t a, size_t z, size_t *mend) {
  size_t k = a, w;
  while (k < z && s[k] && strchr("\"')]}", s[k])) {
    k++;
    if (k < z && uc_space_at(s, z, k, &w)) {
      size_t e = k;
      while (e < z && uc_space_at(s, z, e, &w))
        e += w;
      *mend = e;
      return k - a;
    }
    if ((k + 1 < z && s[k] == '-' && s[k + 1] == '-') || k == z) {
      *mend = k;
      return k - a;
    }
  }
  return 0;
}

/* _realign_boundaries, in place over the slices. */
static size_t realign(const char *s, vf_span *v, size_t n) {
  size_t out = 0, shift = 0;
  for (size_t i = 0; i < n; i++) {
    vf_span s1 = {v[i].b + shift, v[i].e};
    if (i + 1 == n) {
      if (s1.b < s1.e)
        v[out++] = s1;
      break;
    }
    size_t mend, k = realign_match(s, v[i + 1].b, v[i + 1].e, &mend);
    if (k) {
      v[out++] = (vf_span){s1.b, v[i + 1].b + k};
      shift = mend - v[i + 1].b;
    } else {
      shift = 0;
      if (s1.b < s1.e)
        v[out++] = s1;
    }
  }
  return out;
}

static void scratch_free(scratch *sc) {
  vf_buf_free(&sc->ctx);
  vf_buf_free(&sc->types);
  vf_buf_free(&sc->key);
  free(sc->toks);
}

int vf_punkt_sentences(const vf_punkt *p, const char *text, size_t len,
                       vf_span **spans, size_t *n) {
  scratch sc = {0};
  cand_list cl = {0};
  span_list sl = {0};
  int rc = -1;
  *spans = NULL;
  *n = 0;
  if (find_candidates(text, len, &cl) || slices(p, &sc, text, len, &cl, &sl))
    goto done;
  *n = realign(text, sl.v, sl.n);
  if (*n) {
    *spans = sl.v;
    sl.v = NULL;
  }
  rc = 0;
done:
  free(sl.v);
  free(cl.v);
  scratch_free(&sc);
  return rc;
}

size_t vf_punkt_count_sentences(const vf_punkt *p, const char *text,
                                size_t len) {
  vf_span *spans;
  size_t n;
  if (vf_punkt_sentences(p, text, len, &spans, &n))
    return (size_t)-1;
  free(spans);
  return n;
}
