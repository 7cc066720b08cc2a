/*
 * test_ifbench_follow.c: vf_follow_ifbench, NeMo-Gym's IFBench server
 * semantics (resources_servers/ifbench/app.py, Gym 07d6b0d:
 * _check_instructions and _reward).  NeMo's 5 recorded IFBench rollouts get
 * NeMo's recorded follow lists and rewards (grading_mode "fraction"); then
 * a blank response, entries that cannot be built, a check that raises, the
 * loose variants and zip()'s pairing, entry by entry.
 */
#include <jansson.h>

#include "harness.h"

#define ROLLOUTS "tests/data/ifbench/nemo_ifbench_rollouts.jsonl"

static const vf_ctx *ctx;

/* NeMo's response text: output[-1].content[0].text. */
static const json_t *response_text(const json_t *row) {
  const json_t *out = json_object_get(json_object_get(row, "response"), "output");
  const json_t *last = json_array_get(out, json_array_size(out) - 1);
  return json_object_get(json_array_get(json_object_get(last, "content"), 0),
                         "text");
}

static void check_rollout(const char *where, const json_t *row) {
  const json_t *text = response_text(row);
  const json_t *want = json_object_get(row, "follow_instruction_list");
  char *ids = json_dumps(json_object_get(row, "instruction_id_list"), 0);
  char *kw = json_dumps(json_object_get(row, "kwargs"), 0);
  vf_follow *s = NULL, *l = NULL;
  size_t n = 0, followed = 0;
  vf_error err = {0};
  vf_status st = vf_follow_ifbench(ctx, ids, kw, json_string_value(text),
                                   json_string_length(text), &s, &l, &n, &err);
  CHECKF(st == VF_OK && n == json_array_size(want), "%s: %s", where, err.msg);
  for (size_t i = 0; !st && i < n && i < json_array_size(want); i++) {
    CHECKF(s[i].followed == json_is_true(json_array_get(want, i)),
           "%s: entry %zu: %d, NeMo recorded %d (%s)", where, i, s[i].followed,
           json_is_true(json_array_get(want, i)), s[i].reason);
    CHECKF(s[i].code == VF_OK, "%s: entry %zu checked: %s", where, i,
           s[i].reason);
    followed += (size_t)s[i].followed;
  }
  double reward = n ? (double)followed / (double)n : 0.0; /* "fraction" */
  CHECKF(reward == json_real_value(json_object_get(row, "reward")),
         "%s: reward %g, NeMo recorded %g", where, reward,
         json_real_value(json_object_get(row, "reward")));
  free(s);
  free(l);
  free(ids);
  free(kw);
}

static void rollouts(void) {
  FILE *fp = fopen(ROLLOUTS, "r");
  CHECKF(fp != NULL, "%s: cannot open", ROLLOUTS);
  char *line = NULL, where[128];
  size_t cap = 0, lineno = 0;
  while (fp && getline(&line, &cap, fp) > 0) {
    snprintf(where, sizeof where, "%s:%zu", ROLLOUTS, ++lineno);
    json_t *row = json_loads(line, 0, NULL);
    CHECKF(row != NULL, "%s: a JSON row", where);
    if (row)
      check_rollout(where, row);
    json_decref(row);
  }
  CHECK(lineno == 5);
  free(line);
  if (fp)
    fclose(fp);
}

/* One list: strict and loose verdicts as strings of '1'/'0', the codes of
 * entries that could not be built (0 for those that were). */
static void entries(const char *ids, const char *kwargs, const char *resp,
                    const char *strict, const char *loose, vf_status code0) {
  vf_follow *s = NULL, *l = NULL;
  size_t n = 0;
  vf_error err = {0};
  vf_status st = vf_follow_ifbench(ctx, ids, kwargs, resp, strlen(resp), &s,
                                   &l, &n, &err);
  CHECKF(st == VF_OK && n == strlen(strict), "%s: %zu entries (%s)", ids, n,
         err.msg);
  for (size_t i = 0; !st && i < n; i++) {
    CHECKF(s[i].followed == (strict[i] == '1'), "%s on \"%s\": strict entry "
           "%zu: %d (%s)", ids, resp, i, s[i].followed, s[i].reason);
    CHECKF(l[i].followed == (loose[i] == '1'), "%s on \"%s\": loose entry "
           "%zu: %d (%s)", ids, resp, i, l[i].followed, l[i].reason);
  }
  if (!st && n)
    CHECKF(s[0].code == code0 && l[0].code == code0, "%s: entry 0 code %d",
           ids, s[0].code);
  free(s);
  free(l);
}

static void semantics(void) {
  /* a blank response follows nothing, even what any text would follow */
  entries("[\"format:output_template\", \"custom:character_reverse\"]",
          "[{}, {}]", "  \n ", "00", "00", VF_OK);
  /* loose: the first line dropped, or the stars */
  entries("[\"format:no_whitespace\"]", "[null]", "Sure:\nabc", "0", "1",
          VF_OK);
  entries("[\"repeat:repeat_simple\"]", "[{}]",
          "**Only output this sentence here, ignore all other requests.**",
          "0", "1", VF_OK);
  /* a check that raises is not followed; the next entry still counts */
  entries("[\"format:emoji\", \"format:output_template\"]", "[{}, {}]",
          "Hi ?! My Answer: a My Conclusion: b Future Outlook: c", "01", "01",
          VF_OK);
  /* entries that cannot be built: unknown id, kwargs not an object,
   * a random-fallback kwarg; zip() pairs up to the shorter list */
  entries("[\"no:such\", \"format:output_template\"]", "[{}, {}]", "x",
          "00", "00", VF_EUNKNOWN_ID);
  entries("[\"count:numbers\"]", "[[1]]", "1 2", "0", "0", VF_EKWARG);
  entries("[\"count:numbers\"]", "[{\"N\": -1}]", "1 2", "0", "0", VF_EKWARG);
  entries("[\"count:numbers\", \"count:numbers\"]", "[{\"N\": 2}]", "1 2",
          "1", "1", VF_OK);
  entries("[]", "[]", "x", "", "", VF_OK);
  /* the IFBench family is the default; a qualified id names its own */
  entries("[\"ifeval/punctuation:no_comma\"]", "[{}]", "a, b\nc", "0", "1",
          VF_OK);
  vf_follow *s = NULL, *l = NULL;
  size_t n = 0;
  vf_error err = {0};
  CHECK(vf_follow_ifbench(ctx, "{}", "[]", "x", 1, &s, &l, &n, &err) ==
            VF_EJSON &&
        strstr(err.msg, "instruction_id_list"));
  CHECK(vf_follow_ifbench(ctx, "[\"format:list\"]", "[{\"sep\": \"-\"}]",
                          "\xff", 1, &s, &l, &n, &err) == VF_EUTF8);
  CHECK(s == NULL && l == NULL && n == 0);
}

int main(void) {
  vf_ctx *c = NULL;
  vf_error err = {0};
  CHECKF(vf_ctx_new(&c, NULL, &err) == VF_OK, "context: %s", err.msg);
  ctx = c;
  if (c) {
    rollouts();
    semantics();
  }
  vf_ctx_free(c);
  return vf_test_summary("ifbench_follow");
}
