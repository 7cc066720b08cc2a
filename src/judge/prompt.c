/*
 * prompt.c: the judge's prompt, byte for byte what the released VerIF code
 * sends: its template is an f-string, so {instruction}, {response} and
 * {checkers} are filled with the values as they are (never rescanned), and
 * {checkers} is Python's str() of the list of [llm] checker strings, which
 * needs an exact repr() of str.  Called by judge.c for every request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"

/* ---- repr() -------------------------------------------------------------- */

/* repr() quotes with ' unless the text holds ' and no ". */
static char pick_quote(const char *s, size_t len) {
  bool sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
  return sq && !dq ? '"' : '\'';
}

static int put_escape(vf_buf *out, int32_t cp) {
  if (cp < 0x100)
    return vf_buf_printf(out, "\\x%02x", (unsigned)cp);
  if (cp < 0x10000)
    return vf_buf_printf(out, "\\u%04x", (unsigned)cp);
  return vf_buf_printf(out, "\\U%08x", (unsigned)cp);
}

static int put_ascii(vf_buf *out, char c, char quote) {
  switch (c) {
  case '\t': return vf_buf_append(out, "\\t", 2);
  case '\n': return vf_buf_append(out, "\\n", 2);
  case '\r': return vf_buf_append(out, "\\r", 2);
  default: break;
  }
  if (c == quote || c == '\\')
    return vf_buf_putc(out, '\\') || vf_buf_putc(out, c);
  if ((unsigned char)c < 0x20 || c == 0x7F)
    return put_escape(out, (unsigned char)c);
  return vf_buf_putc(out, c);
}

int vf_judge_pyrepr(vf_buf *out, const char *s, size_t len) {
  char quote = pick_quote(s, len);
  if (vf_buf_reserve(out, len + 2) || vf_buf_putc(out, quote))
    return -1;
  for (size_t i = 0; i < len;) {
    if ((unsigned char)s[i] < 0x80) {
      if (put_ascii(out, s[i], quote))
        return -1;
      i++;
      continue;
    }
    int32_t cp;
    size_t n = vf_utf8_decode(s, len, i, &cp);
    int rc = vf_judge_py_printable(cp) ? vf_buf_append(out, s + i, n)
                                       : put_escape(out, cp);
    if (rc)
      return -1;
    i += n;
  }
  return vf_buf_putc(out, quote);
}

int vf_judge_pylist(vf_buf *out, const char *const *items, size_t n) {
  if (vf_buf_putc(out, '['))
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && vf_buf_append(out, ", ", 2))
      return -1;
    if (vf_judge_pyrepr(out, items[i], strlen(items[i])))
      return -1;
  }
  return vf_buf_putc(out, ']');
}

/* ---- templates ----------------------------------------------------------- */

enum { SLOT_INSTRUCTION, SLOT_RESPONSE, SLOT_CHECKERS, NSLOTS };
static const char *const slot_names[NSLOTS] = {"{instruction}", "{response}",
                                               "{checkers}"};

/* The slot that starts at s[0] ('{'), or -1. */
static int slot_at(const char *s, size_t left) {
  for (int k = 0; k < NSLOTS; k++) {
    size_t n = strlen(slot_names[k]);
    if (n <= left && memcmp(s, slot_names[k], n) == 0)
      return k;
  }
  return -1;
}

static int put_slot(vf_buf *out, int slot, const vf_judge_req *r) {
  if (slot == SLOT_INSTRUCTION)
    return vf_buf_append(out, r->instruction, r->instruction_len);
  if (slot == SLOT_RESPONSE)
    return vf_buf_append(out, r->response, r->response_len);
  if (r->checkers_text)
    return vf_buf_append(out, r->checkers_text, r->checkers_text_len);
  return vf_judge_pylist(out, r->checkers, r->ncheckers);
}

int vf_judge_tpl_render(const vf_judge_tpl *t, const vf_judge_req *r,
                        vf_buf *out) {
  size_t i = 0;
  while (i < t->len) {
    const char *brace = memchr(t->text + i, '{', t->len - i);
    size_t at = brace ? (size_t)(brace - t->text) : t->len;
    if (vf_buf_append(out, t->text + i, at - i))
      return -1;
    if (at == t->len)
      break;
    int slot = slot_at(t->text + at, t->len - at);
    if (slot < 0) {
      if (vf_buf_putc(out, '{'))
        return -1;
      i = at + 1;
      continue;
    }
    if (put_slot(out, slot, r))
      return -1;
    i = at + strlen(slot_names[slot]);
  }
  return vf_buf_reserve(out, 1); /* NUL-terminated even when empty */
}

static vf_status read_file(const char *path, vf_judge_tpl *t, vf_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EIO, "judge template %s: %s", path,
                        strerror(errno));
  vf_buf b = {0};
  char chunk[4096];
  vf_status st = VF_OK;
  for (;;) {
    size_t n = fread(chunk, 1, sizeof chunk, f);
    if (n == 0)
      break;
    if (vf_buf_append(&b, chunk, n)) {
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
      break;
    }
  }
  if (!st && ferror(f))
    st = vf_set_error(err, VF_EIO, "judge template %s: read error: %s", path,
                      strerror(errno));
  fclose(f);
  if (!st && vf_buf_reserve(&b, 1))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (st) {
    vf_buf_free(&b);
    return st;
  }
  t->text = b.data;
  t->len = b.len;
  return VF_OK;
}

static vf_status check_text(const vf_judge_tpl *t, const char *path,
                            vf_status code, vf_error *err) {
  if (!vf_utf8_valid(t->text, t->len, NULL))
    return vf_set_error(err, code, "judge template %s: not valid UTF-8",
                        path);
  for (int k = 0; k < NSLOTS; k++) {
    const char *name = slot_names[k];
    if (!memmem(t->text, t->len, name, strlen(name)))
      return vf_set_error(err, code, "judge template %s: no %s placeholder",
                          path, name);
  }
  return VF_OK;
}

static const char *bundled_file(const char *name) {
  if (!name || !strcmp(name, "default"))
    return "llm_score.txt";
  if (!strcmp(name, "en"))
    return "llm_score_en.txt";
  return NULL;
}

static char *bundled_path(const vf_judge_opts *o, const char *file) {
  const char *dir = o->data_dir ? o->data_dir : vf_data_dir();
  size_t n = strlen(dir) + strlen(file) + sizeof "/verif_prompt/";
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/verif_prompt/%s", dir, file);
  return p;
}

static char *tpl_name(const vf_judge_opts *o) {
  if (!o->template_file)
    return strdup(o->template_name ? o->template_name : "default");
  size_t n = strlen(o->template_file) + sizeof "file:";
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "file:%s", o->template_file);
  return s;
}

vf_status vf_judge_tpl_load(const vf_judge_opts *o, vf_judge_tpl *t,
                            vf_error *err) {
  memset(t, 0, sizeof *t);
  const char *file = o->template_file ? NULL : bundled_file(o->template_name);
  if (!o->template_file && !file)
    return vf_set_error(err, VF_EINVAL,
                        "unknown judge template '%s' (known: default, en)",
                        o->template_name);
  char *path = o->template_file ? strdup(o->template_file)
                                : bundled_path(o, file);
  t->name = tpl_name(o);
  vf_status st = VF_OK;
  if (!path || !t->name) {
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
    goto done;
  }
  st = read_file(path, t, err);
  if (!st)
    st = check_text(t, path, o->template_file ? VF_EINVAL : VF_EDATA, err);
done:
  free(path);
  if (st)
    vf_judge_tpl_free(t);
  return st;
}

void vf_judge_tpl_free(vf_judge_tpl *t) {
  free(t->text);
  free(t->name);
  memset(t, 0, sizeof *t);
}
