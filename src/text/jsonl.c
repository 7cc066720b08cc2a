/*
 * jsonl.c: the flat-object fast path for JSONL lines (see jsonl.h).  It
 * accepts exactly what RFC 8259 accepts for such lines and bails out (to
 * jansson) on anything else, including every error.
 */
#include "text/jsonl.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct cur {
  const char *s;
  size_t n, i;
} cur;

static void ws(cur *c) {
  while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
                         c->s[c->i] == '\n' || c->s[c->i] == '\r'))
    c->i++;
}

static int hexval(char h) {
  if (h >= '0' && h <= '9')
    return h - '0';
  h = (char)(h | 0x20);
  return h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
}

static bool hex4(cur *c, int32_t *v) {
  if (c->n - c->i < 4)
    return false;
  *v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(c->s[c->i + k]);
    if (h < 0)
      return false;
    *v = *v * 16 + h;
  }
  c->i += 4;
  return true;
}

/* One escape after the backslash; appends its UTF-8 to out (if any). */
static bool escape(cur *c, vf_buf *out) {
  if (c->i >= c->n)
    return false;
  char e = c->s[c->i++], ch;
  switch (e) {
  case '"': case '\\': case '/': ch = e; break;
  case 'b': ch = '\b'; break;
  case 'f': ch = '\f'; break;
  case 'n': ch = '\n'; break;
  case 'r': ch = '\r'; break;
  case 't': ch = '\t'; break;
  case 'u': {
    int32_t cp, lo;
    if (!hex4(c, &cp) || (cp >= 0xDC00 && cp <= 0xDFFF))
      return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (c->n - c->i < 2 || c->s[c->i] != '\\' || c->s[c->i + 1] != 'u')
        return false;
      c->i += 2;
      if (!hex4(c, &lo) || lo < 0xDC00 || lo > 0xDFFF)
        return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    char u[4];
    size_t k = vf_utf8_encode(cp, u);
    return !out || vf_buf_append(out, u, k) == 0;
  }
  default: return false;
  }
  return !out || vf_buf_putc(out, ch) == 0;
}

/* Whether any byte of w is '"', '\\' or below 0x20 (Anderson's "bit
 * twiddling hacks": exact as to whether one is, not as to which). */
static bool special8(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;
  uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) &
         highs;
}

/* Moves c->i to the next '"', '\\' or control byte (or the end). */
static void skip_plain(cur *c) {
  while (c->n - c->i >= 8) {
    uint64_t w;
    memcpy(&w, c->s + c->i, 8);
    if (special8(w))
      break;
    c->i += 8;
  }
  while (c->i < c->n) {
    unsigned char ch = (unsigned char)c->s[c->i];
    if (ch == '"' || ch == '\\' || ch < 0x20)
      break;
    c->i++;
  }
}

/* A string at c->i (on its opening quote); decoded into out when not NULL. */
static bool string(cur *c, vf_buf *out) {
  c->i++;
  for (;;) {
    size_t start = c->i;
    skip_plain(c);
    if (c->i >= c->n || (unsigned char)c->s[c->i] < 0x20)
      return false;
    if (!vf_utf8_valid(c->s + start, c->i - start, NULL))
      return false;
    if (out && vf_buf_append(out, c->s + start, c->i - start))
      return false;
    if (c->s[c->i++] == '"')
      return true;
    if (!escape(c, out))
      return false;
  }
}

static bool literal(cur *c) {
  static const char *const lits[] = {"true", "false", "null"};
  for (int k = 0; k < 3; k++) {
    size_t l = strlen(lits[k]);
    if (c->n - c->i >= l && !memcmp(c->s + c->i, lits[k], l)) {
      c->i += l;
      return true;
    }
  }
  return false;
}

static bool digits(cur *c) {
  size_t s = c->i;
  while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
    c->i++;
  return c->i > s;
}

static bool number(cur *c) {
  if (c->i < c->n && c->s[c->i] == '-')
    c->i++;
  if (c->i < c->n && c->s[c->i] == '0')
    c->i++;
  else if (!digits(c))
    return false;
  if (c->i < c->n && c->s[c->i] == '.') {
    c->i++;
    if (!digits(c))
      return false;
  }
  if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
    c->i++;
    if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
      c->i++;
    if (!digits(c))
      return false;
  }
  return true;
}

static int wanted(const char *k, size_t kl, const char *const *keys,
                  size_t nkeys) {
  for (size_t i = 0; i < nkeys; i++)
    if (strlen(keys[i]) == kl && !memcmp(keys[i], k, kl))
      return (int)i;
  return -1;
}

bool vf_jsonl_flat(const char *line, size_t len, const char *const *keys,
                   size_t nkeys, vf_buf *out, bool *found) {
  cur c = {line, len, 0};
  vf_buf key = {0};
  bool ok = false;
  for (size_t i = 0; i < nkeys; i++) {
    found[i] = false;
    vf_buf_reset(&out[i]);
  }
  ws(&c);
  if (c.i >= c.n || c.s[c.i++] != '{')
    goto done;
  ws(&c);
  if (c.i < c.n && c.s[c.i] == '}') {
    c.i++;
    goto end;
  }
  for (;;) {
    vf_buf_reset(&key);
    if (c.i >= c.n || c.s[c.i] != '"' || !string(&c, &key))
      goto done;
    ws(&c);
    if (c.i >= c.n || c.s[c.i++] != ':')
      goto done;
    ws(&c);
    int w = wanted(key.data ? key.data : "", key.len, keys, nkeys);
    if (c.i < c.n && c.s[c.i] == '"') {
      if (w >= 0)
        vf_buf_reset(&out[w]);
      if (!string(&c, w >= 0 ? &out[w] : NULL))
        goto done;
      if (w >= 0) {
        found[w] = true;
        if (vf_buf_reserve(&out[w], 0))
          goto done;
        out[w].data[out[w].len] = '\0';
      }
    } else if (w >= 0 || !(literal(&c) || number(&c))) {
      goto done; /* a wanted field that is not a string, or nesting */
    }
    ws(&c);
    if (c.i < c.n && c.s[c.i] == ',') {
      c.i++;
      ws(&c);
      continue;
    }
    if (c.i < c.n && c.s[c.i] == '}') {
      c.i++;
      break;
    }
    goto done;
  }
end:
  ws(&c);
  ok = c.i == c.n;
done:
  vf_buf_free(&key);
  return ok;
}

/* ---- whole trees ---------------------------------------------------------- */

enum { TREE_MAX_DEPTH = 32 };

typedef struct tree {
  cur c;
  vf_buf str;  /* the string being decoded */
  bool sparse; /* objects leave out their null members */
} tree;

static json_t *tree_value(tree *t, int depth);

/* A string at t->c.i as a jansson string, or NULL (NUL escapes included:
 * jansson refuses them in keys and they are rare anywhere). */
static json_t *tree_string(tree *t) {
  vf_buf_reset(&t->str);
  if (!string(&t->c, &t->str))
    return NULL;
  if (!t->str.len)
    return json_stringn_nocheck("", 0);
  if (memchr(t->str.data, 0, t->str.len))
    return NULL;
  return json_stringn_nocheck(t->str.data, t->str.len);
}

/* The fraction of a real "-?int.digits" (no exponent) of at most 40
 * characters begun at num, the integer part read: the json_real jansson
 * makes (its strtod of the text, here in a locale whose decimal point is
 * '.', else NULL: jansson's own conversion).  Anything else NULL. */
static json_t *tree_fraction(tree *t, size_t num) {
  cur *c = &t->c;
  c->i++; /* '.' */
  if (!digits(c) || c->i - num > 40 ||
      (c->i < c->n && (c->s[c->i] | 0x20) == 'e'))
    return NULL;
  const struct lconv *lc = localeconv();
  if (!lc || strcmp(lc->decimal_point, ".") != 0)
    return NULL;
  char buf[48];
  memcpy(buf, c->s + num, c->i - num);
  buf[c->i - num] = '\0';
  double v = strtod(buf, NULL);
  return isfinite(v) ? json_real(v) : NULL;
}

/* -?(0|[1-9][0-9]*) of at most 18 digits, not followed by 'e' or 'E':
 * the json_integer jansson makes, or with a fraction the json_real. */
static json_t *tree_integer(tree *t) {
  cur *c = &t->c;
  bool neg = c->i < c->n && c->s[c->i] == '-';
  size_t num = c->i, start = c->i + neg;
  c->i = start;
  if (!digits(c) || c->i - start > 18 || (c->s[start] == '0' && c->i - start > 1))
    return NULL;
  if (c->i < c->n && c->s[c->i] == '.')
    return tree_fraction(t, num);
  if (c->i < c->n && (c->s[c->i] | 0x20) == 'e')
    return NULL;
  json_int_t v = 0;
  for (size_t k = start; k < c->i; k++)
    v = v * 10 + (c->s[k] - '0');
  return json_integer(neg ? -v : v);
}

static json_t *tree_literal(tree *t) {
  static const char *const lits[] = {"true", "false", "null"};
  cur *c = &t->c;
  for (int k = 0; k < 3; k++) {
    size_t l = strlen(lits[k]);
    if (c->n - c->i >= l && !memcmp(c->s + c->i, lits[k], l)) {
      c->i += l;
      return k == 0 ? json_true() : k == 1 ? json_false() : json_null();
    }
  }
  return NULL;
}

/* After a member or element: true at ',' (skipped), false at close
 * (skipped, *done set) and false with *done clear on anything else. */
static bool tree_next(cur *c, char close, bool *done) {
  ws(c);
  *done = false;
  if (c->i < c->n && c->s[c->i] == ',') {
    c->i++;
    ws(c);
    return true;
  }
  if (c->i < c->n && c->s[c->i] == close) {
    c->i++;
    *done = true;
  }
  return false;
}

static json_t *tree_array(tree *t, int depth) {
  cur *c = &t->c;
  json_t *a = json_array();
  c->i++;
  ws(c);
  if (!a || (c->i < c->n && c->s[c->i] == ']')) {
    c->i++;
    return a;
  }
  for (;;) {
    bool done;
    json_t *v = tree_value(t, depth + 1);
    if (!v || json_array_append_new(a, v)) /* which frees v on failure */
      break;
    if (tree_next(c, ']', &done))
      continue;
    if (done)
      return a;
    break;
  }
  json_decref(a);
  return NULL;
}

enum { TREE_KEY_MAX = 128 }; /* longer keys go to jansson */

/* One "key": value member into o (the last of equal keys wins, as in
 * jansson's parser, which makes the same call). */
static bool tree_member(tree *t, json_t *o, int depth) {
  cur *c = &t->c;
  if (c->i >= c->n || c->s[c->i] != '"')
    return false;
  vf_buf_reset(&t->str);
  if (!string(c, &t->str) || t->str.len >= TREE_KEY_MAX ||
      (t->str.len && memchr(t->str.data, 0, t->str.len)))
    return false;
  char key[TREE_KEY_MAX]; /* the value's strings reuse t->str */
  size_t klen = t->str.len;
  memcpy(key, t->str.data ? t->str.data : "", klen);
  key[klen] = '\0';
  ws(c);
  if (c->i >= c->n || c->s[c->i++] != ':')
    return false;
  ws(c);
  json_t *v = tree_value(t, depth + 1);
  if (v && t->sparse && json_is_null(v)) {
    json_object_deln(o, key, klen); /* an earlier equal key is overridden */
    return true;
  }
  return v && !json_object_setn_new_nocheck(o, key, klen, v);
}

static json_t *tree_object(tree *t, int depth) {
  cur *c = &t->c;
  json_t *o = json_object();
  c->i++;
  ws(c);
  if (!o || (c->i < c->n && c->s[c->i] == '}')) {
    c->i++;
    return o;
  }
  for (;;) {
    bool done;
    if (!tree_member(t, o, depth))
      break;
    if (tree_next(c, '}', &done))
      continue;
    if (done)
      return o;
    break;
  }
  json_decref(o);
  return NULL;
}

static json_t *tree_value(tree *t, int depth) {
  cur *c = &t->c;
  if (depth > TREE_MAX_DEPTH || c->i >= c->n)
    return NULL;
  switch (c->s[c->i]) {
  case '{': return tree_object(t, depth);
  case '[': return tree_array(t, depth);
  case '"': return tree_string(t);
  case '-': return tree_integer(t);
  default:
    if (c->s[c->i] >= '0' && c->s[c->i] <= '9')
      return tree_integer(t);
    return tree_literal(t);
  }
}

static json_t *tree_line(const char *line, size_t len, bool sparse) {
  tree t = {{line, len, 0}, {0}, sparse};
  ws(&t.c);
  json_t *v = t.c.i < t.c.n && line[t.c.i] == '{' ? tree_value(&t, 0) : NULL;
  ws(&t.c);
  if (v && t.c.i != t.c.n) {
    json_decref(v);
    v = NULL;
  }
  vf_buf_free(&t.str);
  return v;
}

json_t *vf_jsonl_tree(const char *line, size_t len) {
  return tree_line(line, len, false);
}

json_t *vf_jsonl_tree_sparse(const char *line, size_t len) {
  return tree_line(line, len, true);
}
