/*
 * test_punkt.c: Punkt sentence spans and nltk.word_tokenize against NLTK.
 * tests/data/punkt/cases.jsonl (written by scripts/gen-punkt-cases.py) holds
 * NLTK's spans (byte offsets) and space-joined tokens for hand-written edge
 * cases, random strings, and every IFEval GPT-4 response with its loose
 * variants (the text is rebuilt here from data/ifeval).  Every case must
 * agree exactly; the loader's error paths are checked too.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "text/punkt.h"
#include "text/text.h"

#define CASES "tests/data/punkt/cases.jsonl"
#define PARAMS "data/punkt_tab/english"
#define RESPONSES VF_IFEVAL_RESPONSES

/* ---- the IFEval responses and their loose variants ---------------------- */

typedef struct responses {
  char **text;
  size_t *len;
  size_t n;
} responses;

static bool load_responses(responses *r) {
  FILE *f = fopen(RESPONSES, "r");
  CHECKF(f != NULL, "cannot open %s: %s", RESPONSES, strerror(errno));
  if (!f)
    return false;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    json_t *j = json_loads(line, JSON_ALLOW_NUL, NULL);
    const json_t *s = json_object_get(j, "response");
    r->text = realloc(r->text, (r->n + 1) * sizeof *r->text);
    r->len = realloc(r->len, (r->n + 1) * sizeof *r->len);
    r->len[r->n] = json_string_length(s);
    r->text[r->n] = malloc(r->len[r->n] + 1);
    memcpy(r->text[r->n], json_string_value(s), r->len[r->n] + 1);
    r->n++;
    json_decref(j);
  }
  free(line);
  fclose(f);
  return r->n > 0;
}

static void free_responses(responses *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->text[i]);
  free(r->text);
  free(r->len);
}

/* IFEval's loose variants: 0 response, 1 no '*', 2 without the first line,
 * 3 without the last, 4 without both, 5-7 those three without '*'. */
static void make_variant(const char *s, size_t n, int v, vf_buf *out) {
  size_t b = 0, e = n;
  int lines = v == 1 || v == 0 ? 0 : (v - 2) % 3; /* 0 first, 1 last, 2 both */
  if (v >= 2) {
    const char *first = memchr(s, '\n', n), *last = memrchr(s, '\n', n);
    bool drop_first = lines != 1, drop_last = lines != 0;
    b = drop_first ? (first ? (size_t)(first - s) + 1 : n) : 0;
    e = drop_last ? (last ? (size_t)(last - s) : 0) : n;
    if (drop_first && drop_last && first == last)
      e = b; /* one newline or none: lines[1:-1] is empty */
    if (e < b)
      e = b;
    vf_py_strip(s, &b, &e);
  }
  vf_buf_reset(out);
  bool no_star = v == 1 || v >= 5;
  for (size_t i = b; i < e; i++)
    if (!(no_star && s[i] == '*'))
      vf_buf_putc(out, s[i]);
  vf_buf_append(out, "", 0);
}

/* ---- comparing one case --------------------------------------------------- */

static void collect(void *ud, const char *tok, size_t n) {
  vf_buf *b = ud;
  if (b->len)
    vf_buf_putc(b, ' ');
  vf_buf_append(b, tok, n);
}

static bool spans_agree(const vf_punkt *p, const char *t, size_t n,
                        const json_t *want, const char *id) {
  vf_span *sp;
  size_t k;
  if (vf_punkt_sentences(p, t, n, &sp, &k))
    return false;
  bool ok = json_array_size(want) == 2 * k;
  for (size_t i = 0; ok && i < k; i++)
    ok = (size_t)json_integer_value(json_array_get(want, 2 * i)) == sp[i].b &&
         (size_t)json_integer_value(json_array_get(want, 2 * i + 1)) == sp[i].e;
  if (!ok) {
    fprintf(stderr, "%s: spans differ; got", id);
    for (size_t i = 0; i < k; i++)
      fprintf(stderr, " [%zu,%zu)", sp[i].b, sp[i].e);
    fputc('\n', stderr);
  }
  free(sp);
  return ok && vf_punkt_count_sentences(p, t, n) == k;
}

static bool tokens_agree(const vf_punkt *p, const char *t, size_t n,
                         const json_t *want, const char *id) {
  vf_buf got = {0};
  vf_buf_append(&got, "", 0);
  bool ok = vf_word_tokenize(p, t, n, collect, &got) == 0 &&
            got.len == json_string_length(want) &&
            memcmp(got.data, json_string_value(want), got.len) == 0;
  if (!ok) {
    size_t i = 0;
    const char *w = json_string_value(want);
    while (i < got.len && w[i] && got.data[i] == w[i])
      i++;
    size_t from = i > 40 ? i - 40 : 0;
    fprintf(stderr, "%s: tokens differ at byte %zu\n  got:  %.80s\n  want: %.80s\n",
            id, i, got.data + from, w + (from < strlen(w) ? from : 0));
  }
  vf_buf_free(&got);
  return ok;
}

typedef struct tally {
  size_t cases[3], agree[3]; /* edge, random, ifeval */
} tally;

static void one_case(const vf_punkt *p, const responses *r, const json_t *c,
                     vf_buf *text, tally *t) {
  const char *id = json_string_value(json_object_get(c, "id"));
  const json_t *jt = json_object_get(c, "text");
  int kind = jt ? (strncmp(id, "edge", 4) == 0 ? 0 : 1) : 2;
  if (jt) {
    vf_buf_reset(text);
    vf_buf_append(text, json_string_value(jt), json_string_length(jt));
  } else {
    size_t line = (size_t)json_integer_value(json_object_get(c, "ifeval_line"));
    int v = (int)json_integer_value(json_object_get(c, "variant"));
    CHECKF(line < r->n, "%s: no such IFEval line", id);
    if (line >= r->n)
      return;
    make_variant(r->text[line], r->len[line], v, text);
  }
  bool s = spans_agree(p, text->data, text->len, json_object_get(c, "spans"), id);
  bool k = tokens_agree(p, text->data, text->len, json_object_get(c, "tokens"), id);
  CHECKF(s, "%s: sentence spans", id);
  CHECKF(k, "%s: word tokens", id);
  t->cases[kind]++;
  t->agree[kind] += s && k;
}

static void check_cases(const vf_punkt *p) {
  responses r = {0};
  if (!load_responses(&r))
    return;
  const char *path = getenv("VF_PUNKT_CASES"); /* ad-hoc extra case files */
  path = path ? path : CASES;
  FILE *f = fopen(path, "r");
  CHECKF(f != NULL, "cannot open %s", path);
  if (!f)
    return;
  tally t = {{0}, {0}};
  size_t cap = 0;
  char *line = NULL;
  vf_buf text = {0};
  while (getline(&line, &cap, f) > 0) {
    json_t *c = json_loads(line, JSON_ALLOW_NUL, NULL);
    CHECKF(c != NULL, "bad line in %s", path);
    if (c)
      one_case(p, &r, c, &text, &t);
    json_decref(c);
  }
  printf("punkt: agreement with NLTK: edge %zu/%zu, random %zu/%zu, "
         "IFEval responses and loose variants %zu/%zu\n",
         t.agree[0], t.cases[0], t.agree[1], t.cases[1], t.agree[2],
         t.cases[2]);
  vf_buf_free(&text);
  free(line);
  fclose(f);
  free_responses(&r);
}

/* ---- the loader and the small API ---------------------------------------- */

static void write_file(const char *dir, const char *name, const char *body) {
  vf_buf path = {0};
  vf_buf_printf(&path, "%s/%s", dir, name);
  FILE *f = fopen(path.data, "w");
  if (f) {
    fputs(body, f);
    fclose(f);
  }
  vf_buf_free(&path);
}

static void check_loader(void) {
  vf_punkt *p = NULL;
  vf_error err = {0};
  CHECK(vf_punkt_load("/nonexistent/punkt", &p, &err) == VF_EIO && !p);
  CHECK(strstr(err.msg, "abbrev_types.txt") != NULL);

  char dir[] = "/tmp/vf_punkt_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  write_file(dir, "abbrev_types.txt", "dr\r\nmr\n");
  write_file(dir, "collocations.tab", "s.\tbach\n");
  write_file(dir, "sent_starters.txt", "he");
  write_file(dir, "ortho_context.tab", "smith\tnot-a-number");
  CHECK(vf_punkt_load(dir, &p, &err) == VF_EDATA && !p);
  CHECKF(strstr(err.msg, "ortho_context.tab:1") != NULL, "msg: %s", err.msg);
  write_file(dir, "ortho_context.tab", "smith\t6\nhe\t110");
  CHECK(vf_punkt_load(dir, &p, &err) == VF_OK && p);
  if (p) { /* "dr" is an abbreviation, "x" is not */
    CHECK(vf_punkt_count_sentences(p, "Dr. Smith. He", 13) == 2);
    CHECK(vf_punkt_count_sentences(p, "X. Smith. He", 12) == 2);
    CHECK(vf_punkt_count_sentences(p, "Go x. He", 8) == 2);
  }
  vf_punkt_free(p);
  const char *names[] = {"abbrev_types.txt", "collocations.tab",
                         "sent_starters.txt", "ortho_context.tab"};
  for (int i = 0; i < 4; i++) {
    vf_buf path = {0};
    vf_buf_printf(&path, "%s/%s", dir, names[i]);
    remove(path.data);
    vf_buf_free(&path);
  }
  rmdir(dir);
}

static void check_api(const vf_punkt *p) {
  vf_span *sp = (vf_span *)1;
  size_t n = 99;
  CHECK(vf_punkt_sentences(p, "", 0, &sp, &n) == 0 && n == 0 && sp == NULL);
  CHECK(vf_punkt_count_sentences(p, "Hi. Yo.", 7) == 2);
  vf_buf got = {0};
  vf_buf_append(&got, "", 0);
  CHECK(vf_word_tokenize_sentence("\"Don't,\" he said.", 17, collect, &got) ==
        0);
  CHECKF(strcmp(got.data, "`` Do n't , '' he said .") == 0, "got %s",
         got.data);
  vf_buf_free(&got);
}

int main(void) {
  vf_punkt *p = NULL;
  vf_error err = {0};
  vf_status st = vf_punkt_load(PARAMS, &p, &err);
  CHECKF(st == VF_OK, "vf_punkt_load(%s): %s", PARAMS, err.msg);
  if (p) {
    check_api(p);
    check_cases(p);
  }
  check_loader();
  vf_punkt_free(p);
  return vf_test_summary("punkt");
}
