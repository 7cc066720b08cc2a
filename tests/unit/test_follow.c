/*
 * test_follow.c: vf_follow_instructions / vf_follow_list, NeMo-Gym's
 * per-entry semantics (resources_servers/instruction_following/app.py
 * verify(), Gym 07d6b0d, lines "for instruction_id, kwargs in zip(...)"
 * through "is_following_list.append(False)"): NeMo's 5 recorded
 * instruction_following rollouts get NeMo's recorded follow lists and
 * rewards, and each way an entry can go wrong is False for that entry only.
 */
#include <jansson.h>

#include "checks/checks.h"
#include "harness.h"

#define ROLLOUTS "tests/data/ifevalg/nemo_instruction_following_rollouts.jsonl"

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
  vf_follow *f = NULL;
  size_t n = 0;
  vf_error err = {0};
  vf_status st = vf_follow_list(ctx, NULL, json_object_get(row, "instruction_id_list"),
                                json_object_get(row, "kwargs"),
                                json_string_value(text), json_string_length(text),
                                &f, &n, &err);
  CHECKF(st == VF_OK && n == json_array_size(want), "%s: %s", where, err.msg);
  size_t followed = 0;
  for (size_t i = 0; !st && i < n && i < json_array_size(want); i++) {
    CHECKF(f[i].followed == json_is_true(json_array_get(want, i)),
           "%s: entry %zu: %d, NeMo recorded %d (%s)", where, i, f[i].followed,
           json_is_true(json_array_get(want, i)), f[i].reason);
    CHECKF(f[i].code == VF_OK, "%s: entry %zu checked: %s", where, i,
           f[i].reason);
    followed += (size_t)f[i].followed;
  }
  double reward = n == followed ? 1.0 : 0.0;
  CHECKF(reward == json_real_value(json_object_get(row, "reward")),
         "%s: reward %g, NeMo recorded %g", where, reward,
         json_real_value(json_object_get(row, "reward")));
  free(f);
}

static void rollouts(void) {
  FILE *fp = fopen(ROLLOUTS, "r");
  CHECK(fp != NULL);
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

/* Runs one list; expect is a string of '1'/'0' per entry. */
static void entries(const char *ids, const char *kwargs, const char *resp,
                    const char *expect, vf_status code1, const char *reason1) {
  vf_follow *f = NULL;
  size_t n = 0;
  vf_error err = {0};
  vf_status st = vf_follow_instructions(ctx, NULL, ids, kwargs, resp,
                                        strlen(resp), &f, &n, &err);
  CHECKF(st == VF_OK && n == strlen(expect), "%s: %zu entries (%s)", ids, n,
         err.msg);
  for (size_t i = 0; !st && i < n && i < strlen(expect); i++)
    CHECKF(f[i].followed == (expect[i] == '1'), "%s: entry %zu: %d (%s)", ids,
           i, f[i].followed, f[i].reason);
  if (!st && n > 1 && reason1)
    CHECKF(f[1].code == code1 && strstr(f[1].reason, reason1),
           "%s: entry 1: code %d, \"%s\" lacks \"%s\"", ids, f[1].code,
           f[1].reason, reason1);
  free(f);
}

static void semantics(void) {
  const char *r = "hello world";
  /* an empty list: no entries (NeMo's binary reward is then 1.0) */
  entries("[]", "[]", r, "", VF_OK, NULL);
  /* zip: the longer list is cut to the shorter */
  entries("[\"punctuation:no_comma\", \"punctuation:no_comma\"]", "[null]", r,
          "1", VF_OK, NULL);
  entries("[\"punctuation:no_comma\"]", "[{}, {}]", r, "1", VF_OK, NULL);
  /* each failure is its entry's only */
  entries("[\"punctuation:no_comma\", \"no:such\", \"punctuation:no_comma\"]",
          "[null, {}, {}]", r, "101", VF_EUNKNOWN_ID,
          "unknown instruction id 'no:such' in family 'ifevalg'");
  entries("[\"punctuation:no_comma\", 7]", "[{}, {}]", r, "10",
          VF_EUNKNOWN_ID, "not a string");
  entries("[\"punctuation:no_comma\", \"punctuation:no_comma\"]", "[{}, [1]]",
          r, "10", VF_EKWARG, "kwargs must be an object or null");
  entries("[\"punctuation:no_comma\", \"count:lowercase_counting\"]",
          "[{}, {\"N\": 0}]", r, "10", VF_EKWARG, "kwarg 'N' must not be 0");
  entries("[\"punctuation:no_comma\", \"count:lowercase_counting\"]",
          "[{}, {}]", r, "10", VF_EKWARG, "missing kwarg 'N'");
  entries("[\"punctuation:no_comma\", \"count:lowercase_counting\"]",
          "[{}, {\"N\": 5, \"extra\": 1}]", r, "10", VF_EKWARG,
          "unknown kwarg 'extra'");
  /* null values are dropped; the check itself decides */
  entries("[\"punctuation:no_comma\", \"count:lowercase_counting\"]",
          "[{\"x\": null}, {\"N\": 1, \"y\": null}]", r, "10", VF_OK,
          "2 lowercase words");
  /* an exception inside the reference's check is not followed, no error */
  entries("[\"punctuation:no_comma\", \"last_word:last_word_answer\"]",
          "[{}, {\"last_word\": \"x\"}]", " ", "10", VF_OK,
          "the reference raises");
  /* the family: ifevalg by default, a qualified id names its own */
  entries("[\"paragraphs:paragraphs\", \"ifeval/punctuation:no_comma\"]",
          "[{}, {}]", "a *** b", "11", VF_OK, NULL);
  /* invalid UTF-8: every entry says so, none is followed */
  entries("[\"punctuation:no_comma\", \"punctuation:no_comma\"]", "[{}, {}]",
          "ab\xff", "00", VF_EUTF8, "not valid UTF-8 (byte offset 2)");
  vf_follow *f = NULL;
  size_t n = 9;
  vf_error err = {0};
  CHECK(vf_follow_instructions(ctx, NULL, "{}", "[]", r, 1, &f, &n, &err) ==
            VF_EJSON && n == 0 && f == NULL);
  CHECK(vf_follow_instructions(ctx, NULL, "[", "[]", r, 1, &f, &n, &err) ==
        VF_EJSON);
  CHECKF(strstr(err.msg, "instruction_id_list is not valid JSON"), "%s",
         err.msg);
}

int main(void) {
  vf_ctx *c = NULL;
  vf_error err = {0};
  CHECKF(vf_ctx_new(&c, NULL, &err) == VF_OK, "context: %s", err.msg);
  ctx = c;
  rollouts();
  semantics();
  vf_ctx_free(c);
  return vf_test_summary("follow");
}
