/*
 * test_sentsplit.c: vf_split_sentences against IFBench's
 * instructions_util.split_into_sentences.  tests/data/sentsplit/cases.jsonl
 * (scripts/gen-sentsplit-cases.py, run on the reference at c94da02) holds
 * its sentences for every IFBench sample response and IFEval GPT-4
 * response (whole, and line by line), hand-written edge cases and 2000
 * random strings built from the splitter's own markers and abbreviations.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "text/sentsplit.h"

#define CASES "tests/data/sentsplit/cases.jsonl"

static const char *const sources[2] = {
    "tests/data/ifbench/sample_output.jsonl",
    "data/ifeval/input_response_data_gpt4_20231107_145030.jsonl",
};

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

/* FNV-1a 64 over each sentence followed by 0x1F (nltk_ref.tokens_hash),
 * continued from h. */
static unsigned long long hash_more(unsigned long long h,
                                    const vf_sentences *s) {
  for (size_t i = 0; i < s->n; i++) {
    for (size_t k = s->b[i]; k < s->e[i]; k++)
      h = (h ^ (unsigned char)s->text.data[k]) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
  }
  return h;
}

#define FNV0 1469598103934665603ULL
#define SEP(h) ((((h) ^ 0x1e) * 1099511628211ULL ^ 0x1f) * 1099511628211ULL)

static bool hash_is(unsigned long long h, const json_t *want) {
  char got[32];
  snprintf(got, sizeof got, "%016llx", h);
  return !strcmp(got, json_string_value(want));
}

/* A source response: whole, then each line on its own. */
static void source_case(const vf_sentsplit *ss, const json_t *c,
                        const char *text, size_t len, const char *id) {
  vf_sentences s = {0};
  CHECK(vf_split_sentences(ss, text, len, &s) == 0);
  CHECKF(s.n == (size_t)json_integer_value(json_object_get(c, "n")) &&
             hash_is(hash_more(FNV0, &s), json_object_get(c, "hash")),
         "%s: sentences differ (%zu)", id, s.n);
  unsigned long long h = FNV0;
  for (size_t pos = 0;;) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    CHECK(vf_split_sentences(ss, text + pos, end - pos, &s) == 0);
    h = SEP(hash_more(h, &s));
    if (!nl)
      break;
    pos = end + 1;
  }
  CHECKF(hash_is(h, json_object_get(c, "lhash")),
         "%s: sentences of its lines differ", id);
  vf_sentences_free(&s);
}

static void text_case(const vf_sentsplit *ss, const json_t *c,
                      const char *id) {
  const json_t *text = json_object_get(c, "text");
  const json_t *want = json_object_get(c, "sentences");
  vf_sentences s = {0};
  CHECK(vf_split_sentences(ss, json_string_value(text),
                           json_string_length(text), &s) == 0);
  bool ok = s.n == json_array_size(want);
  for (size_t i = 0; ok && i < s.n; i++) {
    const json_t *w = json_array_get(want, i);
    ok = s.e[i] - s.b[i] == json_string_length(w) &&
         !memcmp(s.text.data + s.b[i], json_string_value(w),
                 json_string_length(w));
  }
  CHECKF(ok, "%s: sentences differ (%zu, want %zu)", id, s.n,
         json_array_size(want));
  vf_sentences_free(&s);
}

int main(void) {
  vf_sentsplit *ss = NULL;
  vf_error err;
  CHECKF(vf_sentsplit_new(&ss, &err) == VF_OK, "%s", err.msg);
  json_t *resp[2] = {read_responses(sources[0]), read_responses(sources[1])};
  FILE *f = fopen(CASES, "r");
  CHECKF(f != NULL, "%s: cannot open", CASES);
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (ss && f && getline(&line, &cap, f) > 0) {
    json_t *c = json_loads(line, 0, NULL);
    const char *id = json_string_value(json_object_get(c, "id"));
    const json_t *src = json_object_get(c, "source");
    if (src) {
      int k = !strcmp(json_string_value(src), "ifeval");
      const json_t *r = json_array_get(
          resp[k], (size_t)json_integer_value(json_object_get(c, "index")));
      source_case(ss, c, json_string_value(r), json_string_length(r), id);
    } else {
      text_case(ss, c, id);
    }
    json_decref(c);
    n++;
  }
  free(line);
  if (f)
    fclose(f);
  CHECKF(n > 2500, "only %zu cases", n);
  json_decref(resp[0]);
  json_decref(resp[1]);
  vf_sentsplit_free(ss);
  return vf_test_summary("sentsplit");
}
