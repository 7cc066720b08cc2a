/*
 * pylit.c: a recursive-descent reader of Python literals (see pylit.h).
 * Each production is one small function over a cursor; an error records
 * the first offset at fault and unwinds.  Nesting is limited (as a JSON
 * parser limits it) so hostile input cannot exhaust the stack.
 */
#include "text/pylit.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

#define MAX_DEPTH 256

typedef struct cur {
  const char *s;
  size_t n, i;
  int depth;    /* values being read, nested */
  int brackets; /* open brackets: inside them newlines are whitespace */
  char *err;
  size_t errcap;
  bool failed;
} cur;

static json_t *fail(cur *c, const char *what) {
  if (!c->failed)
    snprintf(c->err, c->errcap, "%s at byte %zu", what, c->i);
  c->failed = true;
  return NULL;
}

/* A backslash before a newline joins lines, anywhere outside strings. */
static bool continuation(const cur *c) {
  return c->s[c->i] == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '\n';
}

static void skip_ws(cur *c) {
  while (c->i < c->n &&
         ((strchr(" \t\r\n\f\v", c->s[c->i]) && c->s[c->i]) ||
          continuation(c)))
    c->i += continuation(c) ? 2 : 1;
}

static bool eat(cur *c, char ch) {
  skip_ws(c);
  if (c->i < c->n && c->s[c->i] == ch) {
    c->i++;
    return true;
  }
  return false;
}

static json_t *value(cur *c);

/* ---- strings ------------------------------------------------------------- */

static int hexval(char h) {
  if (h >= '0' && h <= '9')
    return h - '0';
  h = (char)(h | 0x20);
  return h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
}

/* \xhh, \uXXXX, \UXXXXXXXX: k hex digits into *cp; false when bad. */
static bool hex_escape(cur *c, int k, int32_t *cp) {
  int32_t v = 0;
  for (int d = 0; d < k; d++) {
    int h = c->i < c->n ? hexval(c->s[c->i]) : -1;
    if (h < 0)
      return false;
    v = v * 16 + h;
    c->i++;
  }
  *cp = v;
  return true;
}

static bool put_cp(vf_buf *b, int32_t cp) {
  char tmp[4];
  if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return false;
  return vf_buf_append(b, tmp, vf_utf8_encode(cp, tmp)) == 0;
}

/* One escape after the backslash (not raw); false on a bad one. */
static bool escape(cur *c, vf_buf *b) {
  static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
  char e = c->s[c->i++];
  const char *p = strchr(from, e);
  int32_t cp;
  if (e == '\n')
    return true; /* a line continuation */
  if (p && e)
    return vf_buf_putc(b, to[p - from]) == 0;
  if (e >= '0' && e <= '7') {
    cp = e - '0';
    for (int d = 0; d < 2 && c->i < c->n && c->s[c->i] >= '0' &&
                    c->s[c->i] <= '7';
         d++)
      cp = cp * 8 + (c->s[c->i++] - '0');
    return put_cp(b, cp);
  }
  if (e == 'x' || e == 'u' || e == 'U')
    return hex_escape(c, e == 'x' ? 2 : e == 'u' ? 4 : 8, &cp) &&
           put_cp(b, cp);
  /* any other escape (\N{...} aside) keeps its backslash */
  return e != 'N' && vf_buf_putc(b, '\\') == 0 && vf_buf_putc(b, e) == 0;
}

/* One quoted string (after its prefix) appended to b. */
static bool quoted(cur *c, bool raw, vf_buf *b) {
  char q = c->s[c->i];
  bool triple = c->n - c->i >= 3 && c->s[c->i + 1] == q && c->s[c->i + 2] == q;
  c->i += triple ? 3 : 1;
  while (c->i < c->n) {
    char ch = c->s[c->i];
    if (ch == q && (!triple || (c->n - c->i >= 3 && c->s[c->i + 1] == q &&
                                c->s[c->i + 2] == q))) {
      c->i += triple ? 3 : 1;
      return true;
    }
    if (ch == '\n' && !triple)
      return false;
    c->i++;
    if (ch == '\\' && c->i < c->n) {
      if (raw) {
        if (vf_buf_putc(b, '\\') || vf_buf_putc(b, c->s[c->i++]))
          return false;
      } else if (!escape(c, b)) {
        return false;
      }
      continue;
    }
    if (vf_buf_putc(b, ch))
      return false;
  }
  return false;
}

/* A string prefix (r, u, R, U) then a quote: true with *raw set. */
static bool string_start(cur *c, bool *raw) {
  size_t i = c->i;
  *raw = false;
  if (i < c->n && strchr("rRuU", c->s[i]) && c->s[i]) {
    *raw = (c->s[i] | 0x20) == 'r';
    i++;
  }
  return i < c->n && (c->s[i] == '\'' || c->s[i] == '"');
}

/* Spaces and tabs, and (inside brackets) newlines: what may separate
 * adjacent strings. */
static void skip_blanks(cur *c) {
  if (c->brackets) {
    skip_ws(c);
    return;
  }
  while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
                         c->s[c->i] == '\f' || continuation(c)))
    c->i += continuation(c) ? 2 : 1;
}

/* Adjacent strings, joined as Python joins them. */
static json_t *string(cur *c) {
  vf_buf b = {0};
  bool raw;
  skip_ws(c);
  while (string_start(c, &raw)) {
    c->i += c->s[c->i] != '\'' && c->s[c->i] != '"';
    if (!quoted(c, raw, &b)) {
      vf_buf_free(&b);
      return fail(c, "bad string");
    }
    skip_blanks(c);
  }
  json_t *j = json_stringn(b.data ? b.data : "", b.len);
  vf_buf_free(&b);
  return j ? j : fail(c, "bad string");
}

/* ---- numbers and names ---------------------------------------------------- */

static bool is_alnum(char ch) {
  return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

/* The characters of a number (underscores dropped) into a C string;
 * *real when it has a '.' or (not in hex) an exponent.  An underscore must
 * stand between two digits (or after a base prefix), as in Python. */
static bool number_text(cur *c, char *out, size_t cap, bool *real) {
  size_t k = 0;
  bool hex = c->n - c->i >= 2 && c->s[c->i] == '0' &&
             (c->s[c->i + 1] | 0x20) == 'x';
  *real = false;
  while (c->i < c->n && k + 1 < cap) {
    char ch = c->s[c->i];
    bool exp_sign = (ch == '+' || ch == '-') && !hex && k > 0 &&
                    (out[k - 1] | 0x20) == 'e';
    if (ch == '_' && !(k > 0 && is_alnum(out[k - 1]) && c->i + 1 < c->n &&
                       is_alnum(c->s[c->i + 1]) && c->s[c->i + 1] != '_'))
      return false;
    if (!(ch == '_' || ch == '.' || exp_sign || is_alnum(ch)))
      break;
    *real |= ch == '.' || (!hex && (ch | 0x20) == 'e');
    if (ch != '_')
      out[k++] = ch;
    c->i++;
  }
  out[k] = '\0';
  return k > 0 && k + 1 < cap;
}

/* An integer's magnitude in base 10, 16, 8 or 2 ("0x.." etc.), or a
 * decimal of zeros only ("00"); false when malformed or past 2^64. */
static bool int_magnitude(const char *t, unsigned long long *v) {
  int base = 10;
  if (t[0] == '0' && t[1]) {
    char b = (char)(t[1] | 0x20);
    base = b == 'x' ? 16 : b == 'o' ? 8 : b == 'b' ? 2 : 0;
    if (!base)
      return strspn(t, "0") == strlen(t) && (*v = 0, true);
    t += 2;
  }
  if (!*t || *t == '-' || *t == '+')
    return false;
  char *end;
  errno = 0;
  *v = strtoull(t, &end, base);
  return !*end && !errno;
}

static json_t *number(cur *c, bool neg) {
  char t[128];
  bool real;
  if (!number_text(c, t, sizeof t, &real))
    return fail(c, "bad number");
  char *end;
  errno = 0;
  if (real) {
    double d = strtod(t, &end);
    if (*end || !isfinite(d))
      return fail(c, "bad number");
    return json_real(neg ? -d : d);
  }
  unsigned long long v;
  if (!int_magnitude(t, &v))
    return fail(c, "bad number");
  if (v > (unsigned long long)LLONG_MAX + neg)
    return fail(c, "integer too large (JSON holds 64 bits)");
  return json_integer(neg ? (long long)(0 - v) : (long long)v);
}

static json_t *name(cur *c) {
  static const struct {
    const char *w;
    int kind; /* 0 null, 1 true, 2 false */
  } names[] = {{"None", 0}, {"null", 0},  {"True", 1},
               {"true", 1}, {"False", 2}, {"false", 2}};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t l = strlen(names[k].w);
    if (c->n - c->i >= l && !memcmp(c->s + c->i, names[k].w, l)) {
      c->i += l;
      return names[k].kind == 0   ? json_null()
             : names[k].kind == 1 ? json_true()
                                  : json_false();
    }
  }
  return fail(c, "unexpected character");
}

/* ---- containers ------------------------------------------------------------- */

/* Items up to close, comma-separated (a trailing comma allowed); *commas
 * counts the commas (a tuple of one needs its). */
static json_t *items(cur *c, char close, size_t *commas) {
  json_t *a = json_array();
  *commas = 0;
  c->brackets++;
  while (a && !eat(c, close)) {
    json_t *v = value(c);
    if (!v || json_array_append_new(a, v)) {
      json_decref(a);
      return NULL;
    }
    if (eat(c, ','))
      (*commas)++;
    else if (!eat(c, close)) {
      json_decref(a);
      return fail(c, "expected ',' or a closing bracket");
    } else
      break;
  }
  c->brackets--;
  return a;
}

static json_t *dict(cur *c) {
  json_t *o = json_object();
  c->brackets++;
  while (o && !eat(c, '}')) {
    json_t *k = string_start(c, &(bool){0}) ? string(c) : NULL;
    if (!k || !eat(c, ':')) {
      json_decref(k);
      json_decref(o);
      return fail(c, "expected a string key and ':'");
    }
    json_t *v = value(c);
    int bad = !v || json_object_setn_new(o, json_string_value(k),
                                         json_string_length(k), v);
    json_decref(k);
    if (bad) {
      json_decref(o);
      return NULL;
    }
    if (!eat(c, ',') && !eat(c, '}')) {
      json_decref(o);
      return fail(c, "expected ',' or '}'");
    } else if (c->s[c->i - 1] == '}')
      break;
  }
  c->brackets--;
  return o;
}

/* "(x)" is x; "()" and "(x,)" are tuples, read as lists. */
static json_t *paren(cur *c) {
  size_t commas;
  json_t *a = items(c, ')', &commas);
  if (a && json_array_size(a) == 1 && commas == 0) {
    json_t *v = json_incref(json_array_get(a, 0));
    json_decref(a);
    return v;
  }
  return a;
}

static json_t *value(cur *c) {
  bool raw;
  size_t commas;
  skip_ws(c);
  if (c->i >= c->n)
    return fail(c, "unexpected end");
  if (++c->depth > MAX_DEPTH)
    return fail(c, "nested too deeply");
  char ch = c->s[c->i];
  bool opens = strchr("[({+-", ch) && ch;
  json_t *v;
  c->i += opens; /* past a bracket or a sign */
  if (!opens && string_start(c, &raw))
    v = string(c);
  else if (ch == '[')
    v = items(c, ']', &commas);
  else if (ch == '(')
    v = paren(c);
  else if (ch == '{')
    v = dict(c);
  else if (ch == '-' || ch == '+') {
    skip_ws(c);
    v = number(c, ch == '-');
  } else if ((ch >= '0' && ch <= '9') || ch == '.')
    v = number(c, false);
  else
    v = name(c);
  c->depth--;
  return v;
}

json_t *vf_pylit_parse(const char *s, size_t len, char *err, size_t errcap) {
  cur c = {.s = s, .n = len, .err = err, .errcap = errcap};
  if (errcap)
    err[0] = '\0';
  json_t *v = value(&c);
  skip_ws(&c);
  if (v && c.i < c.n) {
    json_decref(v);
    return fail(&c, "text after the literal");
  }
  return v;
}
