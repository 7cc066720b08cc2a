/*
 * jsonspan.c: a fast path for the commonest request body, {"items": [...]}:
 * one strict pass that validates the whole text and returns where each
 * element of the "items" array lies, so that the items go to the scorer
 * as the client wrote them, without a jansson tree and a re-encoding of
 * every response.  Anything it does not take on (escaped keys, \u0000,
 * huge numbers, deep nesting, invalid input) answers "not handled" and the
 * caller parses with jansson, which also writes the error message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

enum { MAX_DEPTH = 1000 };

typedef struct scan {
  const char *s;
  size_t len, i;
  int depth;
} scan;

static void ws(scan *p) {
  while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r' || p->s[p->i] == '\t'))
    p->i++;
}

static int hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    char c = s[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      return -1;
    v = v * 16 + (unsigned)d;
  }
  *out = v;
  return 0;
}

/* A \uXXXX escape at p->i (after the backslash and 'u'): surrogates must
 * pair, and \u0000 is left to jansson. */
static int unicode_escape(scan *p) {
  unsigned u, lo;
  if (p->i + 4 > p->len || hex4(p->s + p->i, &u) || u == 0)
    return -1;
  p->i += 4;
  if (u >= 0xDC00 && u <= 0xDFFF)
    return -1;
  if (u < 0xD800 || u > 0xDBFF)
    return 0;
  if (p->i + 6 > p->len || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u' ||
      hex4(p->s + p->i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
    return -1;
  p->i += 6;
  return 0;
}

/* A string at p->i (the opening quote); *escaped: it has a backslash. */
static int string(scan *p, int *escaped) {
  p->i++;
  *escaped = 0;
  while (p->i < p->len) {
    unsigned char c = (unsigned char)p->s[p->i++];
    if (c == '"')
      return 0;
    if (c < 0x20)
      return -1;
    if (c != '\\')
      continue;
    *escaped = 1;
    if (p->i >= p->len)
      return -1;
    c = (unsigned char)p->s[p->i++];
    if (c == 'u') {
      if (unicode_escape(p))
        return -1;
    } else if (!strchr("\"\\/bfnrt", c) || !c) {
      return -1;
    }
  }
  return -1;
}

static size_t digits(scan *p) {
  size_t n = 0;
  while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
    p->i++, n++;
  return n;
}

/* A number; integers over 18 digits and reals out of range go to jansson
 * (it refuses some of them). */
static int number(scan *p) {
  size_t start = p->i;
  int real = 0;
  if (p->s[p->i] == '-')
    p->i++;
  size_t intd = digits(p);
  if (!intd || (intd > 1 && p->s[p->i - intd] == '0'))
    return -1;
  if (p->i < p->len && p->s[p->i] == '.') {
    p->i++;
    real = 1;
    if (!digits(p))
      return -1;
  }
  if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
    p->i++;
    real = 1;
    if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
      p->i++;
    if (!digits(p))
      return -1;
  }
  if (!real)
    return intd > 18 ? -1 : 0;
  char buf[64];
  size_t n = p->i - start;
  if (n >= sizeof buf)
    return -1;
  memcpy(buf, p->s + start, n);
  buf[n] = '\0';
  errno = 0;
  double d = strtod(buf, NULL);
  return errno == ERANGE && (d > 1 || d < -1) ? -1 : 0;
}

static int value(scan *p);

static int literal(scan *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->i < n || memcmp(p->s + p->i, word, n))
    return -1;
  p->i += n;
  return 0;
}

/* The members of an object or the elements of an array, after the opening
 * bracket; close is '}' or ']'. */
static int members(scan *p, char close) {
  ws(p);
  if (p->i < p->len && p->s[p->i] == close) {
    p->i++;
    return 0;
  }
  for (;;) {
    int esc;
    ws(p);
    if (close == '}') {
      if (p->i >= p->len || p->s[p->i] != '"' || string(p, &esc))
        return -1;
      ws(p);
      if (p->i >= p->len || p->s[p->i++] != ':')
        return -1;
    }
    if (value(p))
      return -1;
    ws(p);
    if (p->i >= p->len)
      return -1;
    char c = p->s[p->i++];
    if (c == close)
      return 0;
    if (c != ',')
      return -1;
  }
}

static int value(scan *p) {
  int esc, rc;
  ws(p);
  if (p->i >= p->len)
    return -1;
  switch (p->s[p->i]) {
  case '{':
  case '[':
    if (++p->depth > MAX_DEPTH)
      return -1;
    p->i++;
    rc = members(p, p->s[p->i - 1] == '{' ? '}' : ']');
    p->depth--;
    return rc;
  case '"': return string(p, &esc);
  case 't': return literal(p, "true");
  case 'f': return literal(p, "false");
  case 'n': return literal(p, "null");
  default: return number(p);
  }
}

/* The elements of the array at p->i, each required to be an object. */
static int item_spans(scan *p, vf_span_list *out) {
  out->n = 0;
  p->i++;
  ws(p);
  if (p->i < p->len && p->s[p->i] == ']') {
    p->i++;
    return 0;
  }
  for (;;) {
    ws(p);
    size_t start = p->i;
    if (p->i >= p->len || p->s[p->i] != '{' || value(p))
      return -1;
    if (vf_span_push(out, start, p->i - start))
      return -1;
    ws(p);
    if (p->i >= p->len)
      return -1;
    char c = p->s[p->i++];
    if (c == ']')
      return 0;
    if (c != ',')
      return -1;
  }
}

int vf_span_push(vf_span_list *l, size_t off, size_t len) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    vf_span_item *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n].off = off;
  l->v[l->n].len = len;
  l->n++;
  return 0;
}

/* One member of the top-level object: "items" gets its spans. */
static int top_member(scan *p, const char *key, vf_span_list *out,
                      int *found) {
  int esc;
  size_t k0 = p->i + 1;
  if (p->i >= p->len || p->s[p->i] != '"' || string(p, &esc) || esc)
    return -1;
  size_t klen = p->i - 1 - k0;
  ws(p);
  if (p->i >= p->len || p->s[p->i++] != ':')
    return -1;
  ws(p);
  int wanted = klen == strlen(key) && !memcmp(p->s + k0, key, klen);
  if (!wanted)
    return value(p);
  if (p->i >= p->len || p->s[p->i] != '[')
    return -1; /* jansson says what is wrong with it */
  *found = 1;
  return item_spans(p, out);
}

int vf_json_item_spans(const char *s, size_t len, const char *key,
                       vf_span_list *out) {
  scan p = {s, len, 0, 0};
  int found = 0;
  if (!vf_utf8_valid(s, len, NULL))
    return -1;
  ws(&p);
  if (p.i >= len || s[p.i++] != '{')
    return -1;
  ws(&p);
  if (p.i < len && s[p.i] == '}')
    return -1; /* no "items": jansson's path answers */
  for (;;) {
    ws(&p);
    if (top_member(&p, key, out, &found))
      return -1;
    ws(&p);
    if (p.i >= len)
      return -1;
    char c = s[p.i++];
    if (c == '}')
      break;
    if (c != ',')
      return -1;
  }
  ws(&p);
  return p.i == len && found ? 0 : -1;
}
