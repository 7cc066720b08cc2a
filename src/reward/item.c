/*
 * item.c: reading one item, whatever its format, into the engine's form.
 *   VerInstruct  {"id", "prompt", "checkers": ["[rule] …", "[llm] …"],
 *                 "functions": ["…python…"]}  (parallel lists)
 *   verl rows    {"prompt": [{"role": "user", "content": …}],
 *                 "reward_model": {"ground_truth": "<JSON: checkers,
 *                 functions>"}, "extra_info": {…}}
 *   IFEval       {"key", "prompt", "instruction_id_list", "kwargs"}; an
 *                IFBench row has the same shape, and is told by its ids
 *   open-instruct {"ground_truth": label} or a bare label {"instruction_id",
 *                 "kwargs"} / {"func_name", ...} (item_oi.c; also as a
 *                 verl row's ground truth)
 * plus "response" (one) or "responses" (a GRPO group), and optionally
 * "verbatim": true and a judge of its own ("judge_url", "judge_model").
 * The format is detected per line unless forced.  Every problem names the
 * field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "eval/eval.h"
#include "reward/reward.h"

static void item_error(vf_item *it, const char *kind, const char *where,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records why the item cannot be scored: kind (one of the VF_IE_* names,
 * what the summary files it under) and the message naming where. */
static void item_error(vf_item *it, const char *kind, const char *where,
                       const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  vf_set_error(&it->err, VF_EJSON, "%s: %s", where, msg);
  it->err_kind = kind;
}

/* "[rule] Digit: The reply ..." -> "Digit" (up to the first ':'). */
static char *category_of(const char *checker, size_t skip) {
  const char *s = checker + skip;
  while (*s == ' ')
    s++;
  const char *colon = strchr(s, ':');
  size_t n = colon ? (size_t)(colon - s) : strlen(s);
  if (n > 60)
    n = 60;
  char *c = malloc(n + 1);
  if (c) {
    memcpy(c, s, n);
    c[n] = '\0';
  }
  return c;
}

static bool alloc_constraints(vf_item *it, size_t n) {
  it->c = calloc(n ? n : 1, sizeof *it->c);
  it->nc = it->c ? n : 0;
  if (!it->c)
    vf_set_error(&it->err, VF_ENOMEM, "out of memory");
  return it->c != NULL;
}

/* checkers + functions (VerInstruct, or a verl ground truth). */
static void read_checkers(vf_item *it, const json_t *checkers,
                          const json_t *functions, const char *where,
                          const char *field) {
  char f1[64], f2[64];
  snprintf(f1, sizeof f1, "%scheckers", field);
  snprintf(f2, sizeof f2, "%sfunctions", field);
  if (!json_is_array(checkers))
    return item_error(it, VF_IE_CHECKERS, where, "field '%s' %s", f1,
                      checkers ? "must be a list" : "is missing");
  if (!json_is_array(functions))
    return item_error(it, VF_IE_CHECKERS, where, "field '%s' %s", f2,
                      functions ? "must be a list" : "is missing");
  size_t n = json_array_size(checkers);
  if (json_array_size(functions) != n) {
    char msg[200];
    snprintf(msg, sizeof msg, "'%s' has %zu entries but '%s' has %zu", f1, n,
             f2, json_array_size(functions));
    return item_error(it, VF_IE_MISMATCH, where, "%s", msg);
  }
  if (!alloc_constraints(it, n))
    return;
  for (size_t i = 0; i < n; i++) {
    const json_t *c = json_array_get(checkers, i);
    const json_t *f = json_array_get(functions, i);
    char idx[96];
    snprintf(idx, sizeof idx, "%s[%zu]", f1, i);
    if (!json_is_string(c))
      return item_error(it, VF_IE_CHECKERS, where,
                        "field '%s' must be a string", idx);
    const char *text = json_string_value(c);
    vf_constraint *k = &it->c[i];
    size_t skip;
    if (!strncmp(text, "[rule]", 6)) {
      k->kind = VF_CK_PYTHON, skip = 6;
    } else if (!strncmp(text, "[llm]", 5)) {
      k->kind = VF_CK_LLM, skip = 5;
    } else {
      return item_error(it, VF_IE_UNTAGGED, where,
                        "field '%s': untagged checker (must start with "
                        "[rule] or [llm]): \"%.80s\"",
                        idx, text);
    }
    k->checker = strdup(text);
    k->category = category_of(text, skip);
    if (!k->checker || !k->category)
      return (void)vf_set_error(&it->err, VF_ENOMEM, "out of memory");
    if (k->kind == VF_CK_PYTHON) {
      snprintf(idx, sizeof idx, "%s[%zu]", f2, i);
      if (!json_is_string(f))
        return item_error(it, VF_IE_CHECKERS, where,
                          "field '%s' must be a string", idx);
      k->code = json_string_value(f);
      k->code_len = json_string_length(f);
    }
  }
}

/* The family of an IFEval-shaped row when none is given: IFBench's when
 * every unqualified id of the row is one of IFBench's (the two families
 * share no id; IFBench_test.jsonl rows look like IFEval's), else IFEval's. */
static const char *row_family(const json_t *row) {
  const json_t *ids = json_object_get(row, "instruction_id_list");
  size_t bare = 0;
  for (size_t i = 0; i < json_array_size(ids); i++) {
    const char *id = json_string_value(json_array_get(ids, i));
    if (!id || strchr(id, '/'))
      continue;
    const vf_checkdef *d;
    if (vf_checks_lookup("ifbench", id, &d, NULL, NULL))
      return "ifeval";
    bare++;
  }
  return bare ? "ifbench" : "ifeval";
}

static void read_ifeval(const vf_ctx *ctx, const char *family, vf_item *it,
                        const char *where) {
  vf_prompt *p = NULL;
  vf_error e;
  if (vf_prompt_from_json(ctx, family ? family : row_family(it->json),
                          it->json, where, &p, &e)) {
    it->err = e;
    return;
  }
  size_t n = vf_prompt_count(p);
  if (alloc_constraints(it, n)) {
    for (size_t i = 0; i < n; i++) {
      vf_constraint *k = &it->c[i];
      k->kind = VF_CK_NATIVE;
      k->native = vf_prompt_take_checker(p, i);
      k->checker = strdup(vf_checker_id(k->native));
      k->category = k->checker ? strdup(k->checker) : NULL;
      if (!k->checker || !k->category)
        vf_set_error(&it->err, VF_ENOMEM, "out of memory");
    }
  }
  vf_prompt_free(p);
}

/* verl: the prompt is a chat; the user turn's content is the prompt text. */
static void read_verl(const vf_ctx *ctx, const char *family, vf_item *it,
                      const char *where) {
  const json_t *msgs = json_object_get(it->json, "prompt");
  const json_t *content = NULL;
  for (size_t i = 0; i < json_array_size(msgs); i++) {
    const json_t *m = json_array_get(msgs, i);
    if (json_is_string(json_object_get(m, "role")) &&
        !strcmp(json_string_value(json_object_get(m, "role")), "user"))
      content = json_object_get(m, "content");
  }
  if (!json_is_string(content))
    return item_error(it, VF_IE_PROMPT, where,
                      "field 'prompt' must be a list of chat messages with a "
                      "\"user\" message whose 'content' is a string");
  it->prompt = json_string_value(content);
  it->prompt_len = json_string_length(content);
  const json_t *gt =
      json_object_get(json_object_get(it->json, "reward_model"), "ground_truth");
  if (!json_is_string(gt))
    return item_error(it, VF_IE_GROUND_TRUTH, where,
                      "field 'reward_model.ground_truth' %s",
                      gt ? "must be a JSON string" : "is missing");
  json_error_t je;
  json_t *g = json_loads(json_string_value(gt), 0, &je);
  if (!g || vf_oi_is_label(g)) { /* open-instruct's: JSON or Python repr */
    json_decref(g);
    return vf_item_read_oi_label(ctx, family, it, gt, where,
                                 "reward_model.ground_truth");
  }
  it->ground_truth = g; /* the function texts point into it */
  read_checkers(it, json_object_get(g, "checkers"),
                json_object_get(g, "functions"), where,
                "reward_model.ground_truth.");
}

static vf_format detect(const json_t *o) {
  if (json_object_get(o, "instruction_id_list"))
    return VF_FORMAT_IFEVAL;
  if (json_object_get(o, "reward_model"))
    return VF_FORMAT_VERL;
  if (json_object_get(o, "checkers"))
    return VF_FORMAT_VERINSTRUCT;
  if (json_object_get(o, "ground_truth") || vf_oi_is_label(o))
    return VF_FORMAT_OPENINSTRUCT;
  return VF_FORMAT_AUTO;
}

static void read_responses(vf_item *it, const char *where) {
  const json_t *one = json_object_get(it->json, "response");
  const json_t *many = json_object_get(it->json, "responses");
  if (one && many)
    return item_error(it, VF_IE_RESPONSE, where,
                      "give either 'response' or 'responses', not both");
  if (!one && !many)
    return item_error(it, VF_IE_NO_RESPONSE, where,
                      "field 'response' (or 'responses') is missing");
  it->group = many != NULL;
  size_t n = many ? json_array_size(many) : 1;
  if (many && !json_is_array(many))
    return item_error(it, VF_IE_RESPONSE, where,
                      "field 'responses' must be a list of strings");
  it->resp = calloc(n ? n : 1, sizeof *it->resp);
  it->resp_len = calloc(n ? n : 1, sizeof *it->resp_len);
  if (!it->resp || !it->resp_len)
    return (void)vf_set_error(&it->err, VF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *r = many ? json_array_get(many, i) : one;
    if (!json_is_string(r)) {
      char f[48];
      snprintf(f, sizeof f, many ? "responses[%zu]" : "response", i);
      return item_error(it, VF_IE_RESPONSE, where,
                        "field '%s' must be a string", f);
    }
    it->resp[i] = json_string_value(r);
    it->resp_len[i] = json_string_length(r);
  }
  it->nresp = n;
}

static const char *format_name(vf_format f) {
  switch (f) {
  case VF_FORMAT_VERINSTRUCT: return "verinstruct";
  case VF_FORMAT_VERL: return "verl";
  case VF_FORMAT_IFEVAL: return "ifeval";
  case VF_FORMAT_OPENINSTRUCT: return "openinstruct";
  default: return "auto";
  }
}

/* "verbatim", "judge_url", "judge_model": optional, typed. */
static void read_options(vf_item *it, const char *where) {
  const json_t *vb = json_object_get(it->json, "verbatim");
  const json_t *ju = json_object_get(it->json, "judge_url");
  const json_t *jm = json_object_get(it->json, "judge_model");
  if (it->err.code)
    return;
  if (vb && !json_is_boolean(vb))
    return item_error(it, VF_IE_OPTIONS, where,
                      "field 'verbatim' must be true or false");
  if ((ju && !json_is_string(ju)) || (jm && !json_is_string(jm)))
    return item_error(it, VF_IE_OPTIONS, where, "field '%s' must be a string",
                      ju && !json_is_string(ju) ? "judge_url" : "judge_model");
  it->verbatim |= json_is_true(vb); /* open-instruct items are already */
  it->judge_url = json_string_value(ju);
  it->judge_model = json_string_value(jm);
}

static void parse_constraints(const vf_ctx *ctx, vf_format format,
                              const char *family, const char *line,
                              size_t len, const char *where, vf_item *it) {
  json_error_t je;
  it->json = json_loadb(line, len, 0, &je);
  if (!it->json) {
    return item_error(it, VF_IE_JSON, where, "malformed JSON: %s (column %d)",
                      je.text, je.column);
  }
  if (!json_is_object(it->json))
    return item_error(it, VF_IE_NOT_OBJECT, where, "expected a JSON object");
  it->id = json_object_get(it->json, "id");
  if (!it->id)
    it->id = json_object_get(it->json, "key");
  vf_format f = format == VF_FORMAT_AUTO ? detect(it->json) : format;
  if (f == VF_FORMAT_AUTO)
    return item_error(it, VF_IE_FORMAT, where,
                      "cannot tell the item's format: expected 'checkers' "
                      "(VerInstruct), 'reward_model' (verl), "
                      "'instruction_id_list' (IFEval) or 'ground_truth', "
                      "'instruction_id', 'func_name' (open-instruct)");
  if (format != VF_FORMAT_AUTO && detect(it->json) != format &&
      detect(it->json) != VF_FORMAT_AUTO)
    return item_error(it, VF_IE_FORMAT, where,
                      "item is not in the forced format '%s' (it looks like "
                      "'%s')",
                      format_name(format), format_name(detect(it->json)));
  if (f != VF_FORMAT_VERL && f != VF_FORMAT_OPENINSTRUCT) {
    const json_t *p = json_object_get(it->json, "prompt");
    if (!json_is_string(p))
      return item_error(it, VF_IE_PROMPT, where, "field 'prompt' %s",
                        p ? "must be a string" : "is missing");
    it->prompt = json_string_value(p);
    it->prompt_len = json_string_length(p);
  }
  if (f == VF_FORMAT_IFEVAL)
    read_ifeval(ctx, family, it, where);
  else if (f == VF_FORMAT_VERL)
    read_verl(ctx, family, it, where);
  else if (f == VF_FORMAT_OPENINSTRUCT)
    vf_item_read_oi(ctx, family, it, where);
  else
    read_checkers(it, json_object_get(it->json, "checkers"),
                  json_object_get(it->json, "functions"), where, "");
}

void vf_item_parse(const vf_ctx *ctx, vf_format format, const char *family,
                   const char *line, size_t len, const char *where,
                   vf_item *it) {
  parse_constraints(ctx, format, family, line, len, where, it);
  if (!it->err.code)
    read_responses(it, where);
  if (!it->err.code && it->oi)
    vf_item_oi_answers(it);
  read_options(it, where);
}

void vf_item_parse_constraints(const vf_ctx *ctx, vf_format format,
                               const char *family, const char *line,
                               size_t len, const char *where, vf_item *it) {
  parse_constraints(ctx, format, family, line, len, where, it);
}

void vf_item_free(vf_item *it) {
  for (size_t i = 0; i < it->nc; i++) {
    free(it->c[i].checker);
    free(it->c[i].category);
    vf_checker_free(it->c[i].native);
  }
  free(it->c);
  for (size_t r = 0; it->answers && r < it->nresp; r++)
    free(it->answers[r]);
  free(it->answers);
  free(it->resp);
  free(it->resp_len);
  json_decref(it->ground_truth);
  json_decref(it->json);
  memset(it, 0, sizeof *it);
}

void vf_answer_span(const char *r, size_t n, bool keep_reasoning, size_t *b) {
  *b = 0;
  if (keep_reasoning)
    return;
  const char *tag = "</think>";
  for (const char *p = r; (size_t)(r + n - p) >= 8;) {
    const char *hit = memmem(p, (size_t)(r + n - p), tag, 8);
    if (!hit)
      break;
    *b = (size_t)(hit - r) + 8;
    p = hit + 8;
  }
}
