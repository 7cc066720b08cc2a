/*
 * test_oi_items.c: verif's engine on open-instruct items (ground truths
 * {"instruction_id", "kwargs"} and Tulu 3 RLVR-IFeval func_name rows, as
 * rows, bare labels and verl rows) against open-instruct's own verifiers:
 * tests/data/openinstruct/expected.jsonl holds the reward IFEvalVerifier /
 * IFEvalVerifierOld (open_instruct/ground_truth_utils.py at e6c3044) gave
 * each response of tests/data/openinstruct/items.jsonl, both written by
 * scripts/gen-openinstruct-items.py.  Where the reference raises (null),
 * verif's item is an error or that response scores 0.
 */
#include <jansson.h>
#include <math.h>

#include "harness.h"

#define DIR "tests/data/openinstruct/"

static char **read_lines(const char *path, size_t *n) {
  FILE *f = fopen(path, "r");
  char **v = NULL, *line = NULL;
  size_t cap = 0;
  *n = 0;
  CHECKF(f != NULL, "cannot open %s", path);
  while (f && getline(&line, &cap, f) > 0) {
    char **nv = realloc(v, (*n + 1) * sizeof *v);
    if (!nv)
      break;
    v = nv;
    v[(*n)++] = strdup(line);
  }
  free(line);
  if (f)
    fclose(f);
  return v;
}

/* One response's record against the reference's reward (or null). */
static void compare(size_t id, size_t r, const json_t *rec, const json_t *want) {
  const json_t *got = json_object_get(rec, "reward");
  if (json_is_null(want)) {
    CHECKF(json_is_null(got) || json_number_value(got) == 0.0,
           "item %zu response %zu: the reference raises; verif gives %g", id,
           r, json_number_value(got));
    return;
  }
  CHECKF(json_is_number(got) &&
             fabs(json_number_value(got) - json_number_value(want)) < 1e-9,
         "item %zu response %zu: reward %s%g, open-instruct %g (%s)", id, r,
         json_is_null(got) ? "null " : "", json_number_value(got),
         json_number_value(want),
         json_string_value(json_object_get(rec, "error")));
}

int main(void) {
  vf_ctx *ctx = NULL;
  vf_engine *e = NULL;
  vf_error err = {0};
  vf_engine_opts o = {.threads = 1, .workers = 1};
  CHECKF(vf_ctx_new(&ctx, NULL, &err) == VF_OK, "context: %s", err.msg);
  CHECKF(ctx && vf_engine_new(ctx, &o, &e, &err) == VF_OK, "engine: %s",
         err.msg);
  size_t n, ne;
  char **items = read_lines(DIR "items.jsonl", &n);
  char **exp = read_lines(DIR "expected.jsonl", &ne);
  CHECK(n == ne && n >= 17);
  size_t *lens = calloc(n ? n : 1, sizeof *lens);
  char **out = calloc(n ? n : 1, sizeof *out);
  for (size_t i = 0; i < n; i++)
    lens[i] = strlen(items[i]);
  CHECK(e && vf_engine_score(e, (const char *const *)items, lens, NULL, n,
                             out, &err) == VF_OK);
  size_t responses = 0;
  for (size_t i = 0; e && i < n && i < ne; i++) {
    json_t *rec = json_loads(out[i], 0, NULL);
    json_t *ex = json_loads(exp[i], 0, NULL);
    const json_t *want = json_object_get(ex, "rewards");
    const json_t *results = json_object_get(rec, "results");
    for (size_t r = 0; r < json_array_size(want); r++, responses++)
      compare(i + 1, r,
              json_is_array(results) ? json_array_get(results, r) : rec,
              json_array_get(want, r));
    json_decref(rec);
    json_decref(ex);
  }
  printf("  %zu items, %zu responses\n", n, responses);
  for (size_t i = 0; i < n; i++) {
    free(items[i]);
    free(out[i]);
  }
  for (size_t i = 0; i < ne; i++)
    free(exp[i]);
  free(items);
  free(exp);
  free(out);
  free(lens);
  vf_engine_free(e);
  vf_ctx_free(ctx);
  return vf_test_summary("oi_items");
}
