/*
 * lexicon.c: the file and line readers, word sets and code point sets of
 * lexicon.h.  Every loader names the file (and line) it rejects.
 */
#include "text/lexicon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vf_status vf_file_read(const char *path, vf_buf *out, vf_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
  vf_status st = VF_OK;
  char chunk[65536];
  for (;;) {
    size_t n = fread(chunk, 1, sizeof chunk, f);
    if (n == 0)
      break;
    if (vf_buf_append(out, chunk, n)) {
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
      break;
    }
  }
  if (!st && ferror(f))
    st = vf_set_error(err, VF_EIO, "%s: read error: %s", path, strerror(errno));
  if (!st && vf_buf_reserve(out, 0))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st)
    out->data[out->len] = '\0';
  fclose(f);
  return st;
}

bool vf_line_next(const char *s, size_t len, size_t *pos, size_t *lb,
                  size_t *le) {
  if (*pos >= len)
    return false;
  const char *nl = memchr(s + *pos, '\n', len - *pos);
  *lb = *pos;
  *le = nl ? (size_t)(nl - s) : len;
  *pos = nl ? *le + 1 : len;
  return true;
}

vf_status vf_wordset_load(const char *path, vf_strtab **out, vf_error *err) {
  vf_buf text = {0};
  *out = NULL;
  vf_status st = vf_file_read(path, &text, err);
  vf_strtab *t = st ? NULL : vf_strtab_new();
  if (!st && !t)
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  size_t pos = 0, lb, le, line = 0;
  while (!st && vf_line_next(text.data, text.len, &pos, &lb, &le)) {
    line++;
    if (le == lb)
      continue;
    if (!vf_utf8_valid(text.data + lb, le - lb, NULL))
      st = vf_set_error(err, VF_EDATA, "%s:%zu: invalid UTF-8", path, line);
    else if (vf_strtab_put(t, text.data + lb, le - lb, (uint32_t)line) < 0)
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  vf_buf_free(&text);
  if (st) {
    vf_strtab_free(t);
    return st;
  }
  *out = t;
  return VF_OK;
}

/* Parses "XXXX" or "XXXX..YYYY" into r; false when malformed. */
static bool parse_range(const char *s, size_t n, int32_t r[2]) {
  char buf[32];
  if (n == 0 || n >= sizeof buf)
    return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  unsigned long a = strtoul(buf, &end, 16), b = a;
  if (end == buf)
    return false;
  if (end[0] == '.' && end[1] == '.') {
    char *p = end + 2;
    b = strtoul(p, &end, 16);
    if (end == p)
      return false;
  }
  if (*end || a > b || b > 0x10FFFF)
    return false;
  r[0] = (int32_t)a, r[1] = (int32_t)b;
  return true;
}

static vf_status add_range(vf_cpset *s, size_t *cap, const int32_t r[2]) {
  if (s->n == *cap) {
    size_t c = *cap ? *cap * 2 : 64;
    int32_t(*p)[2] = realloc(s->r, c * sizeof *p);
    if (!p)
      return VF_ENOMEM;
    s->r = p, *cap = c;
  }
  s->r[s->n][0] = r[0], s->r[s->n][1] = r[1];
  s->n++;
  return VF_OK;
}

vf_status vf_cpset_load(const char *path, vf_cpset *out, vf_error *err) {
  vf_buf text = {0};
  memset(out, 0, sizeof *out);
  vf_status st = vf_file_read(path, &text, err);
  size_t pos = 0, lb, le, line = 0, cap = 0;
  while (!st && vf_line_next(text.data, text.len, &pos, &lb, &le)) {
    line++;
    if (le == lb || text.data[lb] == '#')
      continue;
    int32_t r[2];
    if (!parse_range(text.data + lb, le - lb, r) ||
        (out->n && r[0] <= out->r[out->n - 1][1]))
      st = vf_set_error(err, VF_EDATA,
                        "%s:%zu: expected a hex code point or range XXXX..YYYY "
                        "above the previous one",
                        path, line);
    else if (add_range(out, &cap, r))
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  vf_buf_free(&text);
  if (st)
    vf_cpset_free(out);
  return st;
}

bool vf_cpset_has(const vf_cpset *s, int32_t cp) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < s->r[mid][0])
      hi = mid;
    else if (cp > s->r[mid][1])
      lo = mid + 1;
    else
      return true;
  }
  return false;
}

void vf_cpset_free(vf_cpset *s) {
  free(s->r);
  s->r = NULL;
  s->n = 0;
}
