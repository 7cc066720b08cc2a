/*
 * test_tagger.c: nltk.word_tokenize and nltk.pos_tag (NLTK 3.8's averaged
 * perceptron tagger) against NLTK.  tests/data/tagger/cases.jsonl, written
 * by scripts/gen-tagger-cases.py, holds NLTK's tokens and tags for every
 * IFBench sample response, every IFEval GPT-4 response, hand-written texts,
 * edge-case token lists and 500 random token lists; every token and every
 * tag must agree.  The loader's error paths are checked too.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "text/lexicon.h"
#include "text/punkt.h"
#include "text/tagger.h"

#define CASES "tests/data/tagger/cases.jsonl"
#define MODEL "data/averaged_perceptron_tagger_eng"
#define PUNKT "data/punkt_tab/english"

static const char *const sources[2][2] = {
    {"ifbench", "tests/data/ifbench/sample_output.jsonl"},
    {"ifeval", "data/ifeval/input_response_data_gpt4_20231107_145030.jsonl"},
};

typedef struct texts {
  json_t *resp[2]; /* per source: the "response" strings */
} texts;

static json_t *read_responses(const char *path) {
  FILE *f = fopen(path, "r");
  json_t *out = json_array();
  char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    json_t *j = json_loads(line, JSON_ALLOW_NUL, NULL);
    json_array_append(out, json_object_get(j, "response"));
    json_decref(j);
  }
  free(line);
  if (f)
    fclose(f);
  CHECKF(json_array_size(out) > 0, "%s: no responses", path);
  return out;
}

static unsigned long long tokens_hash(const vf_toklist *l) {
  unsigned long long h = 1469598103934665603ULL;
  for (size_t i = 0; i < l->n; i++) {
    for (size_t k = 0; k < l->tok[i].len; k++)
      h = (h ^ (unsigned char)l->tok[i].s[k]) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
  }
  return h;
}

/* The case's tokens: tokenized from its text or given; false on mismatch. */
static bool case_tokens(const vf_punkt *p, const texts *tx, const json_t *c,
                        const char *id, vf_toklist *l) {
  const json_t *src = json_object_get(c, "source");
  const json_t *text = json_object_get(c, "text");
  const json_t *toks = json_object_get(c, "tokens");
  if (src) {
    int k = !strcmp(json_string_value(src), "ifeval");
    const json_t *r = json_array_get(
        tx->resp[k], (size_t)json_integer_value(json_object_get(c, "index")));
    CHECK(vf_toklist_words(l, p, json_string_value(r),
                           json_string_length(r)) == 0);
    char want[32];
    snprintf(want, sizeof want, "%016llx", tokens_hash(l));
    bool ok = l->n == (size_t)json_integer_value(json_object_get(c, "ntok")) &&
              !strcmp(want, json_string_value(json_object_get(c, "tokhash")));
    CHECKF(ok, "%s: word tokens differ (%zu tokens)", id, l->n);
    return ok;
  }
  if (text) {
    CHECK(vf_toklist_words(l, p, json_string_value(text),
                           json_string_length(text)) == 0);
  } else {
    vf_toklist_free(l);
    l->tok = calloc(json_array_size(toks) + 1, sizeof *l->tok);
    l->n = json_array_size(toks);
    for (size_t i = 0; i < l->n; i++) {
      const json_t *t = json_array_get(toks, i);
      l->tok[i] = (vf_token){json_string_value(t), json_string_length(t)};
    }
    return true;
  }
  bool ok = l->n == json_array_size(toks);
  for (size_t i = 0; ok && i < l->n; i++) {
    const json_t *t = json_array_get(toks, i);
    ok = l->tok[i].len == json_string_length(t) &&
         !memcmp(l->tok[i].s, json_string_value(t), l->tok[i].len);
  }
  CHECKF(ok, "%s: word tokens differ", id);
  return ok;
}

/* The i-th expected tag: from a list or a space-joined string. */
static bool tag_is(const json_t *tags, size_t i, const char **pos,
                   const char *got) {
  if (json_is_array(tags))
    return !strcmp(json_string_value(json_array_get(tags, i)), got);
  size_t n = strcspn(*pos, " ");
  bool ok = n == strlen(got) && !memcmp(*pos, got, n);
  *pos += n + ((*pos)[n] == ' ');
  return ok;
}

static void one_case(const vf_tagger *t, const vf_punkt *p, const texts *tx,
                     const json_t *c, long *ntags) {
  const char *id = json_string_value(json_object_get(c, "id"));
  const json_t *tags = json_object_get(c, "tags");
  vf_toklist l = {0};
  bool given = !json_object_get(c, "source") && !json_object_get(c, "text");
  if (case_tokens(p, tx, c, id, &l)) {
    const char **got = calloc(l.n + 1, sizeof *got);
    CHECK(vf_tagger_tag(t, l.tok, l.n, l.n, got) == 0);
    const char *pos = json_is_string(tags) ? json_string_value(tags) : "";
    size_t bad = l.n;
    for (size_t i = 0; i < l.n; i++)
      if (!tag_is(tags, i, &pos, got[i]) && bad == l.n)
        bad = i;
    CHECKF(bad == l.n, "%s: token %zu (%.*s) tagged %s", id, bad,
           bad < l.n ? (int)l.tok[bad].len : 0, bad < l.n ? l.tok[bad].s : "",
           bad < l.n ? got[bad] : "");
    if (l.n) { /* a prefix is tagged as in the whole list */
      const char *first;
      CHECK(vf_tagger_tag(t, l.tok, l.n, 1, &first) == 0 && first == got[0]);
    }
    *ntags += (long)l.n;
    free(got);
  }
  if (given) {
    free(l.tok);
    return;
  }
  vf_toklist_free(&l);
}

static void check_cases(const vf_tagger *t, const vf_punkt *p) {
  texts tx;
  for (int k = 0; k < 2; k++)
    tx.resp[k] = read_responses(sources[k][1]);
  FILE *f = fopen(CASES, "r");
  CHECKF(f != NULL, "%s: cannot open", CASES);
  char *line = NULL;
  size_t cap = 0, ncases = 0;
  long ntags = 0;
  while (f && getline(&line, &cap, f) > 0) {
    json_t *c = json_loads(line, 0, NULL);
    CHECKF(c != NULL, "%s: bad line", CASES);
    if (c)
      one_case(t, p, &tx, c, &ntags);
    ncases++;
    json_decref(c);
  }
  free(line);
  if (f)
    fclose(f);
  CHECKF(ncases > 1000, "only %zu cases", ncases);
  printf("tagger: %zu cases, %ld tags compared\n", ncases, ntags);
  for (int k = 0; k < 2; k++)
    json_decref(tx.resp[k]);
}

/* ---- the loader's errors ---------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *body) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(body, f);
  fclose(f);
}

static void expect_load(const char *dir, vf_status want, const char *needle) {
  vf_tagger *t = NULL;
  vf_error err = {0};
  vf_status st = vf_tagger_load(dir, &t, &err);
  CHECKF(st == want && strstr(err.msg, needle), "load %s: %d %s", dir, st,
         err.msg);
  CHECK(t == NULL);
}

static void check_loader(void) {
  char dir[] = "/tmp/vf_tagger_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  expect_load(dir, VF_EIO, "classes.txt: cannot open");
  write_file(dir, "classes.txt", "NN\nDT\n");
  expect_load(dir, VF_EDATA, "classes.txt:2: expected one tag a line, sorted");
  write_file(dir, "classes.txt", "DT\nNN\nVB\n");
  write_file(dir, "tagdict.tsv", "the\tDT\ncat NN\n");
  expect_load(dir, VF_EDATA, "tagdict.tsv:2: expected \"word<TAB>tag\"");
  write_file(dir, "tagdict.tsv", "the\tDT\n");
  write_file(dir, "weights.tsv", "bias\tNN 5 VB x\n");
  expect_load(dir, VF_EDATA, "weights.tsv:1: expected \"TAG weight\" pairs");
  write_file(dir, "weights.tsv", "bias\tNN 5\nbias\tVB 1\n");
  expect_load(dir, VF_EDATA, "weights.tsv:2: feature listed twice");
  /* a tiny model: the tie between NN and VB (both 0.5) goes to "VB" */
  write_file(dir, "weights.tsv", "bias\tNN 500 VB 500\ni word dog\tNN 1\n");
  vf_tagger *t = NULL;
  vf_error err;
  CHECK(vf_tagger_load(dir, &t, &err) == VF_OK);
  vf_token toks[3] = {{"the", 3}, {"cat", 3}, {"dog", 3}};
  const char *tags[3];
  CHECK(t && vf_tagger_tag(t, toks, 3, 3, tags) == 0);
  CHECK(t && !strcmp(tags[0], "DT") && !strcmp(tags[1], "VB") &&
        !strcmp(tags[2], "NN"));
  vf_tagger_free(t);
  const char *names[3] = {"classes.txt", "tagdict.tsv", "weights.tsv"};
  for (int i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
}

int main(void) {
  vf_tagger *t = NULL;
  vf_punkt *p = NULL;
  vf_error err;
  CHECKF(vf_tagger_load(MODEL, &t, &err) == VF_OK, "%s", err.msg);
  CHECKF(vf_punkt_load(PUNKT, &p, &err) == VF_OK, "%s", err.msg);
  if (t && p)
    check_cases(t, p);
  vf_tagger_free(t);
  vf_punkt_free(p);
  check_loader();
  return vf_test_summary("tagger");
}
