/*
 * ifbench_follow.c: an instruction list checked as NeMo-Gym's IFBench
 * server checks it (verify() and _check_instructions() of
 * resources_servers/ifbench/app.py, Gym 07d6b0d), for its /verify route:
 *
 * - a blank response follows nothing;
 * - entry i is (ids[i], kwargs[i]) for i < min(len(ids), len(kwargs)), as
 *   zip() pairs them; null kwargs are {}, null values dropped;
 * - an entry that cannot be built (an unknown or non-string id, kwargs
 *   that are not an object, a kwarg the family refuses) is followed in
 *   neither mode; an exception inside a check makes that variant not
 *   followed (vf_verdict.raised), and the next variant is tried;
 * - strict is the response itself, loose any of evaluation_lib's eight
 *   variants (vf_eval_checkers).
 * The server pins IFBench c6767a1; its checks give c94da02's verdicts
 * (c6767a1 returns False where c94da02 raises on an empty word list in
 * words:alphabet and format:emoji; verif counts either as not followed).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "eval/eval.h"

/* Copies why into f->reason, cut on a character boundary. */
static void set_reason(vf_follow *f, const char *why) {
  size_t k = strnlen(why, sizeof f->reason - 1);
  if (why[k])
    while (k > 0 && ((unsigned char)why[k] & 0xC0) == 0x80)
      k--;
  memcpy(f->reason, why, k);
  f->reason[k] = '\0';
}

/* Builds entry i's checker; a failure is recorded in both modes. */
static vf_status build_entry(const vf_ctx *ctx, const json_t *id,
                             const json_t *kw, vf_checker **c, vf_follow *s,
                             vf_follow *l) {
  vf_error e = {0};
  vf_status st;
  *c = NULL;
  if (!json_is_string(id))
    st = vf_set_error(&e, VF_EUNKNOWN_ID, "the instruction id is not a string");
  else if (kw && !json_is_null(kw) && !json_is_object(kw))
    st = vf_set_error(&e, VF_EKWARG,
                      "instruction '%s': kwargs must be an object or null",
                      json_string_value(id));
  else
    st = vf_checker_from_json(ctx, "ifbench", json_string_value(id),
                              json_is_object(kw) ? kw : NULL, c, &e);
  if (st) {
    s->code = l->code = st;
    set_reason(s, e.msg);
    set_reason(l, e.msg);
  }
  return st == VF_ENOMEM ? VF_ENOMEM : VF_OK;
}

/* The verdicts into the entries that were built. */
static void fill(vf_follow *s, vf_follow *l, const vf_checker *c,
                 unsigned char strict, unsigned char loose,
                 const vf_verdict *why) {
  if (!c)
    return;
  s->followed = strict;
  l->followed = loose;
  if (!strict)
    set_reason(s, why->reason[0] ? why->reason : "not followed");
  if (!loose)
    set_reason(l, "not followed by the response or any loose variant");
}

/* The work arrays of one call. */
typedef struct lists {
  vf_checker **c;
  unsigned char *ok; /* strict, then loose */
  vf_verdict *why;
  vf_follow *s, *l;
} lists;

static void free_lists(lists *x, size_t k, bool keep_out) {
  for (size_t i = 0; x->c && i < k; i++)
    vf_checker_free(x->c[i]);
  free(x->c);
  free(x->ok);
  free(x->why);
  if (!keep_out) {
    free(x->s);
    free(x->l);
  }
}

vf_status vf_follow_ifbench_list(const vf_ctx *ctx, const void *ids_,
                                 const void *kwargs_, const char *response,
                                 size_t len, vf_follow **strict,
                                 vf_follow **loose, size_t *n, vf_error *err) {
  const json_t *ids = ids_, *kwargs = kwargs_;
  *strict = *loose = NULL;
  *n = 0;
  if (!json_is_array(ids) || !json_is_array(kwargs))
    return vf_set_error(err, VF_EJSON, "'%s' must be a list",
                        json_is_array(ids) ? "kwargs" : "instruction_id_list");
  size_t k = json_array_size(ids) < json_array_size(kwargs)
                 ? json_array_size(ids)
                 : json_array_size(kwargs);
  lists x = {calloc(k + 1, sizeof *x.c), calloc(2 * k + 1, 1),
             calloc(k + 1, sizeof *x.why), calloc(k + 1, sizeof *x.s),
             calloc(k + 1, sizeof *x.l)};
  vf_status st = x.c && x.ok && x.why && x.s && x.l
                     ? VF_OK
                     : vf_set_error(err, VF_ENOMEM, "out of memory");
  for (size_t i = 0; !st && i < k; i++)
    if (build_entry(ctx, json_array_get(ids, i), json_array_get(kwargs, i),
                    &x.c[i], &x.s[i], &x.l[i]))
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st)
    st = vf_eval_checkers((const vf_checker *const *)x.c, k, response, len,
                          x.ok, x.ok + k, NULL, x.why, err);
  for (size_t i = 0; !st && i < k; i++)
    fill(&x.s[i], &x.l[i], x.c[i], x.ok[i], x.ok[k + i], &x.why[i]);
  free_lists(&x, k, !st);
  if (!st)
    *strict = x.s, *loose = x.l, *n = k;
  return st;
}

vf_status vf_follow_ifbench(const vf_ctx *ctx, const char *ids_json,
                            const char *kwargs_json, const char *response,
                            size_t len, vf_follow **strict, vf_follow **loose,
                            size_t *n, vf_error *err) {
  json_error_t je;
  *strict = *loose = NULL;
  *n = 0;
  json_t *ids = json_loads(ids_json ? ids_json : "", 0, &je);
  if (!ids)
    return vf_set_error(err, VF_EJSON,
                        "instruction_id_list is not valid JSON: %s", je.text);
  json_t *kw = json_loads(kwargs_json ? kwargs_json : "", 0, &je);
  vf_status st = kw ? vf_follow_ifbench_list(ctx, ids, kw, response, len,
                                             strict, loose, n, err)
                    : vf_set_error(err, VF_EJSON,
                                   "kwargs is not valid JSON: %s", je.text);
  json_decref(ids);
  json_decref(kw);
  return st;
}
