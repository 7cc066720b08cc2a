/*
 * pyjson.c: Python-compatible JSON acceptance, string escaping and float
 * repr (see pyjson.h).  The validator mirrors CPython's C scanner
 * (Modules/_json.c) rule by rule, with an explicit stack instead of
 * recursion so that nesting depth cannot exhaust the C stack.
 */
#include "text/pyjson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *s;
  size_t n, i;
} scan;

static void skip_ws(scan *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                         p->s[p->i] == '\n' || p->s[p->i] == '\r'))
    p->i++;
}

static bool eat(scan *p, const char *lit) {
  size_t k = strlen(lit);
  if (p->n - p->i < k || memcmp(p->s + p->i, lit, k))
    return false;
  p->i += k;
  return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_hex(char c) {
  return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* A string, the opening quote at p->i. */
static bool scan_string(scan *p) {
  p->i++;
  while (p->i < p->n) {
    unsigned char c = (unsigned char)p->s[p->i++];
    if (c == '"')
      return true;
    if (c < 0x20)
      return false;
    if (c != '\\')
      continue;
    if (p->i >= p->n)
      return false;
    c = (unsigned char)p->s[p->i++];
    if (c == 'u') {
      for (int k = 0; k < 4; k++)
        if (p->i >= p->n || !is_hex(p->s[p->i++]))
          return false;
    } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
      return false;
    }
  }
  return false;
}

/* Python 3.11 refuses to convert an int of more than 4300 digits
 * (sys.int_info.default_max_str_digits): json.loads raises ValueError. */
#define PY_INT_MAX_STR_DIGITS 4300

/* -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)? ; the optional parts only count
 * when complete, as in the reference regex. */
static bool scan_number(scan *p) {
  size_t i = p->i;
  if (i < p->n && p->s[i] == '-')
    i++;
  if (i >= p->n || !is_digit(p->s[i]))
    return false;
  size_t int_start = i;
  if (p->s[i] == '0')
    i++;
  else
    while (i < p->n && is_digit(p->s[i]))
      i++;
  size_t int_digits = i - int_start, int_end = i;
  if (i + 1 < p->n && p->s[i] == '.' && is_digit(p->s[i + 1])) {
    i += 2;
    while (i < p->n && is_digit(p->s[i]))
      i++;
  }
  if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
    size_t j = i + 1;
    if (j < p->n && (p->s[j] == '+' || p->s[j] == '-'))
      j++;
    if (j < p->n && is_digit(p->s[j])) {
      while (j < p->n && is_digit(p->s[j]))
        j++;
      i = j;
    }
  }
  if (i == int_end && int_digits > PY_INT_MAX_STR_DIGITS)
    return false; /* an int (no fraction, no exponent) too long to convert */
  p->i = i;
  return true;
}

/* A scalar at p->i; containers are handled by the caller's loop. */
static bool scan_scalar(scan *p) {
  if (p->i >= p->n)
    return false;
  switch (p->s[p->i]) {
  case '"': return scan_string(p);
  case 'n': return eat(p, "null");
  case 't': return eat(p, "true");
  case 'f': return eat(p, "false");
  case 'N': return eat(p, "NaN");
  case 'I': return eat(p, "Infinity");
  case '-':
    if (scan_number(p))
      return true;
    return eat(p, "-Infinity");
  default: return scan_number(p);
  }
}

/* After '{' or ',' in an object: ws, a key, ws, ':', ws. */
static bool scan_key(scan *p) {
  skip_ws(p);
  if (p->i >= p->n || p->s[p->i] != '"' || !scan_string(p))
    return false;
  skip_ws(p);
  if (p->i >= p->n || p->s[p->i] != ':')
    return false;
  p->i++;
  skip_ws(p);
  return true;
}

bool vf_pyjson_valid(const char *s, size_t len) {
  scan p = {s, len, 0};
  vf_buf stack = {0}; /* '{' or '[' per open container */
  bool ok = false;
  if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
    return false;
  skip_ws(&p);
  for (;;) {
    /* expecting a value */
    if (p.i < p.n && (s[p.i] == '{' || s[p.i] == '[')) {
      char open = s[p.i++];
      skip_ws(&p);
      char close = open == '{' ? '}' : ']';
      if (p.i < p.n && s[p.i] == close) {
        p.i++;
      } else {
        if (vf_buf_putc(&stack, open))
          goto done;
        if (open == '{' && !scan_key(&p))
          goto done;
        continue;
      }
    } else if (!scan_scalar(&p)) {
      goto done;
    }
    /* a value ended: close containers or move to the next element */
    for (;;) {
      skip_ws(&p);
      if (stack.len == 0) {
        ok = p.i == p.n;
        goto done;
      }
      char top = stack.data[stack.len - 1];
      if (p.i >= p.n)
        goto done;
      if (s[p.i] == ',') {
        p.i++;
        if (top == '{' && !scan_key(&p))
          goto done;
        skip_ws(&p);
        break;
      }
      if (s[p.i] != (top == '{' ? '}' : ']'))
        goto done;
      p.i++;
      stack.len--;
    }
  }
done:
  vf_buf_free(&stack);
  return ok;
}

/* Length of the run at s that json.dumps copies as is: printable ASCII
 * other than '"' and '\\'.  Eight bytes at a time while it can. */
static size_t plain_run(const char *s, size_t len) {
  /* Bit tricks (Anderson's "bit twiddling hacks"): a byte < n, a zero byte,
   * a byte > 0x7E, each tested on all eight bytes of a word at once. */
  const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;
  size_t j = 0;
  for (; len - j >= 8; j += 8) {
    uint64_t w, q, b;
    memcpy(&w, s + j, 8);
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    uint64_t special = ((w - ones * 0x20) & ~w & highs) |
                       ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs) |
                       (((w + ones) | w) & highs);
    if (special)
      break;
  }
  while (j < len && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x7F &&
         s[j] != '"' && s[j] != '\\')
    j++;
  return j;
}

/* "\\u" and four lower-case hex digits of v into o (6 bytes). */
static void put_u4(char *o, unsigned v) {
  static const char hex[] = "0123456789abcdef";
  o[0] = '\\';
  o[1] = 'u';
  o[2] = hex[(v >> 12) & 15];
  o[3] = hex[(v >> 8) & 15];
  o[4] = hex[(v >> 4) & 15];
  o[5] = hex[v & 15];
}

/* The escape json.dumps writes for the character at s[*i] (not a plain
 * one) into esc (at most 12 bytes); advances *i and returns its length. */
static size_t escape_one(const char *s, size_t len, size_t *i, char *esc) {
  unsigned char c = (unsigned char)s[*i];
  const char *e = NULL;
  switch (c) {
  case '"': e = "\\\""; break;
  case '\\': e = "\\\\"; break;
  case '\b': e = "\\b"; break;
  case '\f': e = "\\f"; break;
  case '\n': e = "\\n"; break;
  case '\r': e = "\\r"; break;
  case '\t': e = "\\t"; break;
  default: break;
  }
  if (e) {
    ++*i;
    memcpy(esc, e, 2);
    return 2;
  }
  int32_t cp;
  *i += vf_utf8_decode(s, len, *i, &cp);
  if (cp < 0x10000) {
    put_u4(esc, (unsigned)cp);
    return 6;
  }
  int32_t v = cp - 0x10000;
  put_u4(esc, 0xD800 + (unsigned)(v >> 10));
  put_u4(esc + 6, 0xDC00 + (unsigned)(v & 0x3FF));
  return 12;
}

/* Makes room for n more bytes (and the closing quote and NUL) at *o, the
 * write position in out; *o moves with the data. */
static int room(vf_buf *out, char **o, size_t n) {
  if ((size_t)(out->data + out->cap - *o) >= n + 2)
    return 0;
  out->len = (size_t)(*o - out->data);
  if (vf_buf_reserve(out, n + 1))
    return -1;
  *o = out->data + out->len;
  return 0;
}

int vf_pyjson_dump_str(vf_buf *out, const char *s, size_t len) {
  if (vf_buf_reserve(out, len + 2))
    return -1;
  char *o = out->data + out->len;
  *o++ = '"';
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      size_t j = i + plain_run(s + i, len - i);
      if (room(out, &o, j - i))
        return -1;
      memcpy(o, s + i, j - i);
      o += j - i;
      i = j;
      continue;
    }
    if (room(out, &o, 12))
      return -1;
    o += escape_one(s, len, &i, o);
  }
  *o++ = '"';
  *o = '\0';
  out->len = (size_t)(o - out->data);
  return 0;
}

void vf_py_float_repr(double x, char *buf, size_t size) {
  if (isnan(x)) {
    snprintf(buf, size, "nan");
    return;
  }
  if (isinf(x)) {
    snprintf(buf, size, x < 0 ? "-inf" : "inf");
    return;
  }
  /* Shortest round-tripping digits, as Python's repr (dtoa mode 0). */
  char sci[40];
  for (int prec = 0; prec <= 17; prec++) {
    snprintf(sci, sizeof sci, "%.*e", prec, x);
    if (strtod(sci, NULL) == x)
      break;
  }
  const char *p = sci;
  bool neg = *p == '-';
  p += neg;
  char digits[24];
  size_t nd = 0;
  for (; *p && *p != 'e'; p++)
    if (is_digit(*p) && nd < sizeof digits - 1)
      digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  int exp10 = (int)strtol(p + 1, NULL, 10);
  int decpt = x == 0 ? 1 : exp10 + 1;
  vf_buf b = {0};
  if (neg)
    vf_buf_putc(&b, '-');
  if (decpt <= -4 || decpt > 16) {
    vf_buf_putc(&b, digits[0]);
    if (nd > 1) {
      vf_buf_putc(&b, '.');
      vf_buf_append(&b, digits + 1, nd - 1);
    }
    vf_buf_printf(&b, "e%c%02d", decpt - 1 < 0 ? '-' : '+', abs(decpt - 1));
  } else if (decpt <= 0) {
    vf_buf_append(&b, "0.", 2);
    for (int k = 0; k < -decpt; k++)
      vf_buf_putc(&b, '0');
    vf_buf_append(&b, digits, nd);
  } else if ((size_t)decpt >= nd) {
    vf_buf_append(&b, digits, nd);
    for (size_t k = nd; k < (size_t)decpt; k++)
      vf_buf_putc(&b, '0');
    vf_buf_append(&b, ".0", 2);
  } else {
    vf_buf_append(&b, digits, (size_t)decpt);
    vf_buf_putc(&b, '.');
    vf_buf_append(&b, digits + decpt, nd - (size_t)decpt);
  }
  snprintf(buf, size, "%s", b.data ? b.data : "0.0");
  vf_buf_free(&b);
}
