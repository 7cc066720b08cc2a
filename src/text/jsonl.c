/*
 * jsonl.c: the flat-object fast path for JSONL lines (see jsonl.h).  It
 * accepts exactly what RFC 8259 accepts for such lines and bails out (to
 * jansson) on anything else, including every error.
 */
#include "text/jsonl.h"

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

/* A string at c->i (on its opening quote); decoded into out when not NULL. */
static bool string(cur *c, vf_buf *out) {
  c->i++;
  for (;;) {
    size_t start = c->i;
    while (c->i < c->n) {
      unsigned char ch = (unsigned char)c->s[c->i];
      if (ch == '"' || ch == '\\' || ch < 0x20)
        break;
      c->i++;
    }
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
