/*
 * corpus.c: the unrelated real responses the audit samples its probes from
 * (the bundled IFEval GPT-4 responses, or the lines of --probes), and the
 * long probe built from them: whole responses joined by blank lines until
 * it holds AU_LONG_WORDS words.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define AU_LONG_WORDS 1500

static size_t count_words(const char *s, size_t n) {
  size_t pos = 0, wb, we, words = 0;
  while (vf_py_split_next(s, n, &pos, &wb, &we))
    words++;
  return words;
}

static int add_text(au_corpus *c, size_t *cap, const char *s, size_t n) {
  if (c->n == *cap) {
    size_t nc = *cap ? 2 * *cap : 256;
    char **t = realloc(c->text, nc * sizeof *t);
    if (t)
      c->text = t;
    size_t *l = t ? realloc(c->len, nc * sizeof *l) : NULL;
    if (!l)
      return -1;
    c->len = l;
    *cap = nc;
  }
  c->text[c->n] = malloc(n + 1);
  if (!c->text[c->n])
    return -1;
  memcpy(c->text[c->n], s, n);
  c->text[c->n][n] = '\0';
  c->len[c->n++] = n;
  return 0;
}

/* Takes the "response" of one line; where names it for errors. */
static vf_status read_line(au_corpus *c, size_t *cap, const char *line,
                           size_t len, const char *where, vf_error *err) {
  json_error_t je;
  json_t *o = json_loadb(line, len, 0, &je);
  json_t *r = json_object_get(o, "response");
  vf_status st = VF_OK;
  if (!o)
    st = vf_set_error(err, VF_EJSON, "%s: malformed JSON: %s", where, je.text);
  else if (!json_is_string(r))
    st = vf_set_error(err, VF_EJSON, "%s: field 'response' %s", where,
                      r ? "must be a string" : "is missing");
  else if (add_text(c, cap, json_string_value(r), json_string_length(r)))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  json_decref(o);
  return st;
}

static vf_status build_long(au_corpus *c, vf_error *err) {
  vf_buf b = {0};
  size_t words = 0;
  for (size_t i = 0; words < AU_LONG_WORDS && i < 64 * c->n; i++) {
    const char *t = c->text[i % c->n];
    size_t n = c->len[i % c->n], w = count_words(t, n);
    if (!w)
      continue;
    if ((b.len && vf_buf_append(&b, "\n\n", 2)) || vf_buf_append(&b, t, n)) {
      vf_buf_free(&b);
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    }
    words += w;
  }
  if (!words) {
    vf_buf_free(&b);
    return vf_set_error(err, VF_EDATA, "the probe corpus has no words");
  }
  c->longtext = b.data;
  c->longlen = b.len;
  return VF_OK;
}

/* The plain version of the long probe and where each of its words ends. */
static vf_status build_plain(au_corpus *c, vf_error *err) {
  c->plain = au_plainify(c->longtext, c->longlen, AU_PLAIN_WORDS, &c->plainlen,
                         &c->plainwords);
  c->word_end = c->plain ? malloc((c->plainwords + 1) * sizeof(size_t)) : NULL;
  if (!c->word_end)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  size_t pos = 0, wb, we, i = 0;
  while (i < c->plainwords &&
         vf_py_split_next(c->plain, c->plainlen, &pos, &wb, &we))
    c->word_end[i++] = we;
  c->plainwords = i;
  size_t cut = i > AU_TERSE_TEXT_WORDS ? c->word_end[AU_TERSE_TEXT_WORDS - 1]
                                       : c->plainlen;
  size_t words;
  c->terse = au_plainify(c->plain, cut, AU_TERSE_WORDS, &c->terselen, &words);
  return c->terse ? VF_OK : vf_set_error(err, VF_ENOMEM, "out of memory");
}

vf_status au_corpus_load(au_corpus *c, const char *path, bool user,
                         vf_error *err) {
  memset(c, 0, sizeof *c);
  c->user = user;
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EIO, "cannot open the probe corpus %s", path);
  char *line = NULL, where[600];
  size_t lcap = 0, cap = 0, lineno = 0;
  vf_status st = VF_OK;
  while (!st) {
    ssize_t len = getline(&line, &lcap, f);
    if (len < 0)
      break;
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      len--;
    if (vf_py_isblank(line, (size_t)len))
      continue;
    snprintf(where, sizeof where, "%s:%zu", path, lineno);
    st = read_line(c, &cap, line, (size_t)len, where, err);
  }
  free(line);
  if (!st && ferror(f))
    st = vf_set_error(err, VF_EIO, "read error on %s", path);
  fclose(f);
  if (!st && !c->n)
    st = vf_set_error(err, VF_EDATA, "%s: no responses", path);
  if (!st)
    st = build_long(c, err);
  if (!st)
    st = build_plain(c, err);
  if (st)
    au_corpus_free(c);
  return st;
}

void au_corpus_free(au_corpus *c) {
  for (size_t i = 0; i < c->n; i++)
    free(c->text[i]);
  free(c->text);
  free(c->len);
  free(c->longtext);
  free(c->plain);
  free(c->terse);
  free(c->word_end);
  memset(c, 0, sizeof *c);
}
