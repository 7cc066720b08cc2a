/*
 * dup.c: the dataset-wide table of [rule] function texts, for duplicates:
 * the same function text (byte for byte) under a checker whose constraint
 * text differs from the first one that used it.  When the two constraint
 * texts name different numbers ("at most 50 words" and "at most 20 words")
 * one code cannot check both, and the finding says so.  An open-addressing
 * table keyed by a 64-bit hash, texts compared in full.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

typedef struct entry {
  uint64_t h;
  char *code, *text, *where;
  size_t len;
} entry;

struct au_dup {
  entry *e;
  size_t n, cap; /* cap: a power of two */
};

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return h ^ n;
}

au_dup *au_dup_new(void) {
  au_dup *d = calloc(1, sizeof *d);
  entry *e = calloc(1024, sizeof *e);
  if (!d || !e) {
    free(d);
    free(e);
    return NULL;
  }
  d->e = e;
  d->cap = 1024;
  return d;
}

void au_dup_free(au_dup *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->cap; i++) {
    free(d->e[i].code);
    free(d->e[i].text);
    free(d->e[i].where);
  }
  free(d->e);
  free(d);
}

static entry *slot(entry *e, size_t cap, uint64_t h, const char *code,
                   size_t len) {
  for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1))
    if (!e[i].code ||
        (e[i].h == h && e[i].len == len && !memcmp(e[i].code, code, len)))
      return &e[i];
}

static int grow(au_dup *d) {
  size_t cap = 2 * d->cap;
  entry *e = calloc(cap, sizeof *e);
  if (!e)
    return -1;
  for (size_t i = 0; i < d->cap; i++)
    if (d->e[i].code)
      *slot(e, cap, d->e[i].h, d->e[i].code, d->e[i].len) = d->e[i];
  free(d->e);
  d->e = e;
  d->cap = cap;
  return 0;
}

/* The numbers a text names, as "50,20" (digit runs, in order). */
static void numbers(const char *s, char *out, size_t n) {
  size_t o = 0;
  out[0] = '\0';
  for (const char *p = s; *p && o + 2 < n; p++) {
    if (*p < '0' || *p > '9')
      continue;
    if (o)
      out[o++] = ',';
    while (*p >= '0' && *p <= '9' && o + 1 < n)
      out[o++] = *p++;
    out[o] = '\0';
    if (!*p)
      break;
  }
}

static int insert(au_dup *d, entry *at, uint64_t h, const au_row *r, size_t k) {
  const vf_constraint *c = r->fn[k].c;
  char where[400];
  char *id = r->it.id ? json_dumps(r->it.id, JSON_ENCODE_ANY) : NULL;
  snprintf(where, sizeof where, "line %zu (id %s) \"%.200s\"", r->line,
           id ? id : "none", c->checker);
  free(id);
  at->h = h;
  at->len = c->code_len;
  at->code = malloc(c->code_len + 1);
  at->text = strdup(r->ktext[k]);
  at->where = strdup(where);
  if (!at->code || !at->text || !at->where)
    return -1;
  memcpy(at->code, c->code, c->code_len);
  at->code[c->code_len] = '\0';
  d->n++;
  return 0;
}

static int check(const entry *e, au_fn *f, const char *text) {
  if (!strcmp(e->text, text))
    return 0;
  char a[120], b[120];
  numbers(text, a, sizeof a);
  numbers(e->text, b, sizeof b);
  if (strcmp(a, b))
    return au_add_finding(f, VF_AUDIT_DUPLICATE, -1,
                          "the same function text as %s; the constraints "
                          "name different numbers (%s vs %s), so one code "
                          "cannot check both",
                          e->where, a[0] ? a : "none", b[0] ? b : "none");
  return au_add_finding(f, VF_AUDIT_DUPLICATE, -1,
                        "the same function text as %s, whose constraint "
                        "text differs",
                        e->where);
}

int au_dup_row(au_dup *d, au_row *r) {
  for (size_t k = 0; !r->it.err.code && k < r->it.nc; k++) {
    const vf_constraint *c = r->fn[k].c;
    if (c->kind != VF_CK_PYTHON)
      continue;
    if (2 * (d->n + 1) > d->cap && grow(d))
      return -1;
    uint64_t h = hash(c->code, c->code_len);
    entry *e = slot(d->e, d->cap, h, c->code, c->code_len);
    if (!e->code ? insert(d, e, h, r, k) : check(e, &r->fn[k], r->ktext[k]))
      return -1;
  }
  return 0;
}
