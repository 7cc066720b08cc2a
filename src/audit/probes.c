/*
 * probes.c: the probe set of one item.  Phase one holds the fixed probes
 * (empty, whitespace, the long text, the prompt echoed, the task restated
 * inside <think> with no answer), the text of each audited constraint
 * echoed, and a sample of the corpus (seeded by the line number, so a run
 * is reproducible); gen.c adds the LLM-written probes and findings.c the
 * joint ones.  Every probe runs on every audited function of the item.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define AU_MAX_ECHOES 8

static const char blank_text[] = " \n\t  \n";

bool au_probe_gaming(au_pclass c) {
  return c == AU_P_EMPTY || c == AU_P_BLANK || c == AU_P_PROMPT ||
         c == AU_P_CONSTRAINT || c == AU_P_THINK;
}

bool au_probe_honest(au_pclass c) {
  return c == AU_P_LONG || c == AU_P_PLAIN || c == AU_P_TERSE ||
         c == AU_P_SIZED || c == AU_P_QUOTED || c == AU_P_CORPUS ||
         c == AU_P_USER || c == AU_P_SATISFY;
}

/* ---- plain text ---------------------------------------------------------- */

/* Sentences end at a full stop, '!', '?' or a line break; at a comma,
 * colon, quote or bracket once they hold half the limit; and at the limit
 * in any case (so a sentence never exceeds it, and a quoted phrase is
 * rarely cut). */
typedef struct plain {
  vf_buf out;
  size_t words, in_sentence, hard;
  int rc;
} plain;

static void plain_stop(plain *p) {
  if (p->in_sentence)
    p->rc |= vf_buf_putc(&p->out, '.');
  p->in_sentence = 0;
}

static void plain_word(plain *p, const char *w, size_t n) {
  if (p->in_sentence == p->hard)
    plain_stop(p);
  if (p->in_sentence)
    p->rc |= vf_buf_putc(&p->out, ' ');
  else if (p->out.len)
    p->rc |= vf_buf_append(&p->out, "\n\n", 2);
  p->rc |= vf_buf_append(&p->out, w, n);
  p->in_sentence++;
  p->words++;
}

static bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '\'' || c >= 0x80;
}

char *au_plainify(const char *text, size_t len, size_t hard, size_t *out_len,
                  size_t *words) {
  plain p = {{0}, 0, 0, hard > 1 ? hard : 2, 0};
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)text[i];
    if (word_byte(c)) {
      size_t b = i, alnum = 0;
      for (; i < len && word_byte((unsigned char)text[i]); i++)
        alnum += text[i] != '-' && text[i] != '\'';
      if (alnum)
        plain_word(&p, text + b, i - b);
      continue;
    }
    if (c == '.' || c == '!' || c == '?' || c == '\n' ||
        (strchr(",;:\"()[]", c) && 2 * p.in_sentence >= p.hard))
      plain_stop(&p);
    i++;
  }
  plain_stop(&p);
  p.rc |= vf_buf_putc(&p.out, '\0');
  if (p.rc) {
    vf_buf_free(&p.out);
    return NULL;
  }
  *out_len = p.out.len - 1;
  *words = p.words;
  return p.out.data;
}

void au_probe_name(const au_probe *p, char *out, size_t n) {
  static const char *const names[] = {[AU_P_EMPTY] = "empty",
                                      [AU_P_BLANK] = "whitespace",
                                      [AU_P_LONG] = "long",
                                      [AU_P_PLAIN] = "plain_long",
                                      [AU_P_TERSE] = "terse",
                                      [AU_P_SIZED] = "sized",
                                      [AU_P_WIDE] = "wide",
                                      [AU_P_PROMPT] = "prompt_echo",
                                      [AU_P_CONSTRAINT] = "constraint_echo",
                                      [AU_P_QUOTED] = "quoted",
                                      [AU_P_THINK] = "think_only",
                                      [AU_P_CORPUS] = "corpus",
                                      [AU_P_USER] = "probes",
                                      [AU_P_SATISFY] = "satisfy",
                                      [AU_P_VIOLATE] = "violate",
                                      [AU_P_JOINT] = "joint"};
  const char *base = names[p->cls];
  if (p->cls == AU_P_JOINT)
    snprintf(out, n, "%s[%d+%d]", base, p->owner, p->owner2);
  else if (p->owner >= 0)
    snprintf(out, n, "%s[%d]", base, p->owner);
  else
    snprintf(out, n, "%s", base);
}

int au_row_add_probe(au_row *r, au_pclass cls, int owner, int owner2,
                     const char *text, size_t len, char *own) {
  if (r->np == r->capp) {
    size_t cap = r->capp ? 2 * r->capp : 48;
    au_probe *p = realloc(r->p, cap * sizeof *p);
    if (!p) {
      free(own);
      return -1;
    }
    r->p = p;
    r->capp = cap;
  }
  r->p[r->np++] = (au_probe){cls, owner, owner2, text, len, own};
  return 0;
}

/* ---- constraint texts ---------------------------------------------------- */

/* Appends a kwarg value as plain text: strings as they are, lists joined. */
static int put_value(vf_buf *b, const json_t *v) {
  if (json_is_string(v))
    return vf_buf_append(b, json_string_value(v), json_string_length(v));
  if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++)
      if ((i && vf_buf_append(b, ", ", 2)) ||
          put_value(b, json_array_get(v, i)))
        return -1;
    return 0;
  }
  char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
  int rc = s ? vf_buf_append(b, s, strlen(s)) : -1;
  free(s);
  return rc;
}

/* "keywords:existence: keywords: banana, apple". */
static char *native_text(const vf_item *it, size_t k) {
  const json_t *kw = json_array_get(json_object_get(it->json, "kwargs"), k);
  vf_buf b = {0};
  const char *key;
  const json_t *v;
  int rc = vf_buf_append(&b, it->c[k].checker, strlen(it->c[k].checker));
  json_object_foreach((json_t *)kw, key, v) {
    if (json_is_null(v))
      continue;
    rc = rc || vf_buf_printf(&b, "%s %s: ", b.len ? ";" : "", key) ||
         put_value(&b, v);
  }
  if (rc || vf_buf_putc(&b, '\0')) {
    vf_buf_free(&b);
    return NULL;
  }
  return b.data;
}

char *au_constraint_text(const vf_item *it, size_t k) {
  const vf_constraint *c = &it->c[k];
  if (c->kind == VF_CK_NATIVE)
    return native_text(it, k);
  const char *s = c->checker;
  if (*s == '[' && strchr(s, ']'))
    s = strchr(s, ']') + 1;
  const char *colon = strstr(s, ": ");
  if (colon && (size_t)(colon - s) <= 64)
    s = colon + 2;
  while (*s == ' ')
    s++;
  return strdup(s);
}

/* ---- phase one ----------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* k distinct indices below n (all of them when k >= n), in drawn order. */
static size_t sample(uint64_t seed, size_t n, size_t k, size_t *out) {
  if (k >= n) {
    for (size_t i = 0; i < n; i++)
      out[i] = i;
    return n;
  }
  size_t got = 0;
  while (got < k) {
    size_t c = (size_t)(splitmix(&seed) % n), j = 0;
    while (j < got && out[j] != c)
      j++;
    if (j == got)
      out[got++] = c;
  }
  return got;
}

static int add_think(au_row *r) {
  vf_buf b = {0};
  int rc = vf_buf_append(&b, "<think>\n", 8) ||
           vf_buf_append(&b, r->it.prompt, r->it.prompt_len);
  for (size_t k = 0; k < r->it.nc && !rc; k++)
    if (r->fn[k].audited)
      rc = vf_buf_putc(&b, '\n') ||
           vf_buf_append(&b, r->ktext[k], strlen(r->ktext[k]));
  rc = rc || vf_buf_append(&b, "\n</think>\n", 10);
  if (rc) {
    vf_buf_free(&b);
    return -1;
  }
  return au_row_add_probe(r, AU_P_THINK, -1, -1, b.data, b.len, b.data);
}

static int add_echoes(au_row *r, size_t room) {
  for (size_t k = 0, n = 0; k < r->it.nc && n < room && n < AU_MAX_ECHOES;
       k++) {
    if (!r->fn[k].audited)
      continue;
    if (au_row_add_probe(r, AU_P_CONSTRAINT, (int)k, -1, r->ktext[k],
                         strlen(r->ktext[k]), NULL))
      return -1;
    n++;
  }
  return 0;
}

/* ---- the quoted phrases of a constraint ---------------------------------- */

#define AU_MAX_PHRASES 8
#define AU_MAX_PHRASE_BYTES 200

static bool alnum_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}

/* The end of a phrase opened at s + i by the quote q (of qlen bytes, closed
 * by close/clen), or 0 when it has none or is empty or too long.  A single
 * quote opens and closes only at a word's edge (so "don't" is no quote). */
static size_t phrase_end(const char *s, size_t i, const char *close,
                         size_t clen, bool single) {
  if (single && i > 0 && alnum_byte((unsigned char)s[i - 1]))
    return 0;
  for (size_t j = i + 1; s[j] && j - i <= AU_MAX_PHRASE_BYTES; j++) {
    if (strncmp(s + j, close, clen) || j == i + 1)
      continue;
    if (single && alnum_byte((unsigned char)s[j + clen]))
      continue;
    return j;
  }
  return 0;
}

/* Appends the phrases text quotes ("...", '...', “...”), joined by
 * ", ", to b; returns how many (-1 on ENOMEM). */
static int quoted_phrases(const char *text, vf_buf *b) {
  static const struct {
    const char *open, *close;
    bool single;
  } q[] = {{"\"", "\"", false},
           {"\xe2\x80\x9c", "\xe2\x80\x9d", false},
           {"'", "'", true}};
  int n = 0;
  for (size_t i = 0; text[i] && n < AU_MAX_PHRASES; i++)
    for (size_t k = 0; k < sizeof q / sizeof *q; k++) {
      size_t ol = strlen(q[k].open);
      if (strncmp(text + i, q[k].open, ol))
        continue;
      size_t e = phrase_end(text, i + ol - 1, q[k].close, strlen(q[k].close),
                            q[k].single);
      if (!e)
        continue;
      if ((n && vf_buf_append(b, ", ", 2)) ||
          vf_buf_append(b, text + i + ol, e - i - ol))
        return -1;
      n++;
      i = e + strlen(q[k].close) - 1;
      break;
    }
  return n;
}

/* Appends the string values of a native checker's kwargs (its keywords,
 * phrases...), joined by ", "; returns how many (-1 on ENOMEM). */
static int kwarg_phrases(const vf_item *it, size_t k, vf_buf *b) {
  const json_t *kw = json_array_get(json_object_get(it->json, "kwargs"), k);
  const char *key;
  const json_t *v;
  int n = 0;
  json_object_foreach((json_t *)kw, key, v) {
    for (size_t i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
      const json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
      if (!json_is_string(s) || !json_string_length(s))
        continue;
      if ((n && vf_buf_append(b, ", ", 2)) ||
          vf_buf_append(b, json_string_value(s), json_string_length(s)))
        return -1;
      n++;
    }
  }
  return n;
}

/* For each audited constraint that quotes phrases (or, native, has string
 * kwargs): the long text, then a paragraph of the phrases (what an honest
 * answer that uses the asked-for words or sentence could look like). */
static int add_quoted(au_row *r, const au_corpus *c, size_t room) {
  for (size_t k = 0, n = 0; k < r->it.nc && n < room && n < AU_MAX_ECHOES;
       k++) {
    if (!r->fn[k].audited)
      continue;
    vf_buf b = {0};
    int got = vf_buf_append(&b, c->longtext, c->longlen) ||
                      vf_buf_append(&b, "\n\n", 2)
                  ? -1
              : r->it.c[k].kind == VF_CK_NATIVE ? kwarg_phrases(&r->it, k, &b)
                                                 : quoted_phrases(r->ktext[k], &b);
    if (got <= 0 || vf_buf_putc(&b, '\0')) {
      vf_buf_free(&b);
      if (got < 0)
        return -1;
      continue;
    }
    if (au_row_add_probe(r, AU_P_QUOTED, (int)k, -1, b.data, b.len - 1,
                         b.data))
      return -1;
    n++;
  }
  return 0;
}

/* Adds n distinct to nums (at most cap); returns the new count. */
static size_t add_number(size_t *nums, size_t n, size_t cap, size_t v) {
  for (size_t i = 0; i < n; i++)
    if (nums[i] == v)
      return n;
  if (n < cap)
    nums[n++] = v;
  return n;
}

/* The word counts the sized probes take: each number 1..5000 an audited
 * constraint names, or the middle of the first two it names (a range). */
static size_t sized_counts(const au_row *r, size_t *nums, size_t cap) {
  size_t n = 0;
  for (size_t k = 0; k < r->it.nc; k++) {
    if (!r->fn[k].audited)
      continue;
    size_t v[2] = {0, 0}, m = 0;
    for (const char *p = r->ktext[k]; *p && m < 2; p++) {
      if (*p < '0' || *p > '9' ||
          (p > r->ktext[k] && p[-1] >= '0' && p[-1] <= '9'))
        continue;
      size_t x = (size_t)strtoul(p, NULL, 10);
      if (x >= 1 && x <= 5000)
        v[m++] = x;
    }
    if (m == 2 && v[0] != v[1])
      n = add_number(nums, n, cap, (v[0] + v[1]) / 2);
    else if (m)
      n = add_number(nums, n, cap, v[0]);
  }
  return n;
}

static int add_sized(au_row *r, const au_corpus *c, size_t words) {
  if (!words || words > c->plainwords)
    return 0;
  size_t end = c->word_end[words - 1];
  bool stop = c->plain[end - 1] == '.';
  char *t = malloc(end + 2);
  if (!t)
    return -1;
  memcpy(t, c->plain, end);
  if (!stop)
    t[end++] = '.';
  t[end] = '\0';
  return au_row_add_probe(r, AU_P_SIZED, (int)words, -1, t, end, t);
}

/* The plain text's words of at least n characters (letters and digits
 * only), made plain again: at most 400 of them. */
static int add_wide(au_row *r, const au_corpus *c, size_t n) {
  vf_buf b = {0};
  size_t pos = 0, wb, we, kept = 0;
  int rc = 0;
  while (!rc && kept < 400 &&
         vf_py_split_next(c->plain, c->plainlen, &pos, &wb, &we)) {
    if (we > wb && c->plain[we - 1] == '.')
      we--;
    size_t chars = 0;
    bool ok = true;
    for (size_t i = wb; i < we && ok; i++) {
      unsigned char ch = (unsigned char)c->plain[i];
      ok = ch != '-' && ch != '\'';
      chars += (ch & 0xC0) != 0x80;
    }
    if (!ok || chars < n)
      continue;
    rc = (kept && vf_buf_putc(&b, ' ')) ||
         vf_buf_append(&b, c->plain + wb, we - wb);
    kept++;
  }
  size_t len, words;
  char *t = !rc && kept
                ? au_plainify(b.data, b.len, AU_PLAIN_WORDS, &len, &words)
                : NULL;
  vf_buf_free(&b);
  if (!t)
    return rc || kept ? -1 : 0;
  return au_row_add_probe(r, AU_P_WIDE, (int)n, -1, t, len, t);
}

int au_row_probes(au_row *r, const au_corpus *c, int max, int reserve) {
  size_t limit = max > reserve + 8 ? (size_t)(max - reserve) : 8;
  if (au_row_add_probe(r, AU_P_EMPTY, -1, -1, "", 0, NULL) ||
      au_row_add_probe(r, AU_P_BLANK, -1, -1, blank_text, sizeof blank_text - 1,
                       NULL) ||
      au_row_add_probe(r, AU_P_LONG, -1, -1, c->longtext, c->longlen, NULL) ||
      au_row_add_probe(r, AU_P_PLAIN, -1, -1, c->plain, c->plainlen, NULL) ||
      au_row_add_probe(r, AU_P_TERSE, -1, -1, c->terse, c->terselen, NULL) ||
      au_row_add_probe(r, AU_P_PROMPT, -1, -1, r->it.prompt, r->it.prompt_len,
                       NULL) ||
      add_think(r))
    return -1;
  /* the echoes and the quoted probes share limit - 15 places (the fixed
   * seven above, up to eight sized ones) */
  size_t room = limit > 15 ? limit - 15 : 0, before = r->np;
  if (add_echoes(r, room) || add_quoted(r, c, room - (r->np - before)))
    return -1;
  size_t nums[4], nn = sized_counts(r, nums, limit > 14 ? 4 : 2);
  for (size_t i = 0; i < nn; i++)
    if (add_sized(r, c, nums[i]) ||
        (nums[i] >= 2 && nums[i] <= 40 && add_wide(r, c, nums[i])))
      return -1;
  size_t want = limit > r->np ? limit - r->np : 0, idx[64];
  if (want > 64)
    want = 64;
  size_t got = sample(0x5eed0000ull + r->line, c->n, want, idx);
  for (size_t i = 0; i < got; i++)
    if (au_row_add_probe(r, c->user ? AU_P_USER : AU_P_CORPUS, (int)idx[i], -1,
                         c->text[idx[i]], c->len[idx[i]], NULL))
      return -1;
  r->nphase1 = r->np;
  return 0;
}

void au_row_free(au_row *r) {
  for (size_t i = 0; i < r->np; i++)
    free(r->p[i].own);
  free(r->p);
  for (size_t k = 0; r->fn && k < r->it.nc; k++) {
    au_fn *f = &r->fn[k];
    free(f->v1);
    free(f->v2);
    free(f->vi);
    free(f->err);
    free(f->imp);
    for (size_t i = 0; i < f->nf; i++)
      free(f->f[i].detail);
    free(f->f);
    if (r->ktext)
      free(r->ktext[k]);
  }
  free(r->fn);
  free(r->ktext);
  vf_item_free(&r->it);
  memset(r, 0, sizeof *r);
}
