/*
 * follow.c: an instruction list checked with NeMo-Gym's per-entry
 * semantics, for the NeMo-Gym /verify route (the verify() of
 * resources_servers/instruction_following/app.py, Gym 07d6b0d): the entries
 * are zip(instruction_id_list, kwargs), null kwargs are {}, keys whose
 * value is null are dropped, and whatever goes wrong with one entry (an
 * unknown or non-string id, kwargs that are not an object, a kwarg the
 * checker refuses, an error inside the check) makes that entry not
 * followed and nothing else.  Only running out of memory fails the call.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

/* One entry: builds its checker and runs it; a failure is the entry's. */
static vf_status follow_one(const vf_ctx *ctx, const char *family,
                            const json_t *id, const json_t *kw,
                            const char *resp, size_t len, vf_follow *f) {
  vf_error e = {0};
  vf_checker *c = NULL;
  vf_verdict v = {0};
  vf_status st;
  if (!json_is_string(id))
    st = vf_set_error(&e, VF_EUNKNOWN_ID, "the instruction id is not a string");
  else if (kw && !json_is_null(kw) && !json_is_object(kw))
    st = vf_set_error(&e, VF_EKWARG,
                      "instruction '%s': kwargs must be an object or null",
                      json_string_value(id));
  else
    st = vf_checker_from_json(ctx, family, json_string_value(id),
                              json_is_object(kw) ? kw : NULL, &c, &e);
  if (!st)
    st = vf_checker_run_valid(c, resp, len, &v, &e);
  vf_checker_free(c);
  f->code = st;
  f->followed = !st && v.pass;
  const char *why = st ? e.msg : v.reason;
  size_t k = strnlen(why, sizeof f->reason - 1);
  if (why[k]) /* cut at 255 bytes, on a character boundary */
    while (k > 0 && ((unsigned char)why[k] & 0xC0) == 0x80)
      k--;
  memcpy(f->reason, why, k);
  f->reason[k] = '\0';
  return st == VF_ENOMEM ? VF_ENOMEM : VF_OK;
}

vf_status vf_follow_list(const vf_ctx *ctx, const char *family,
                         const void *ids_, const void *kwargs_,
                         const char *response, size_t len, vf_follow **out,
                         size_t *n, vf_error *err) {
  const json_t *ids = ids_, *kwargs = kwargs_;
  *out = NULL;
  *n = 0;
  if (!json_is_array(ids) || !json_is_array(kwargs))
    return vf_set_error(err, VF_EJSON, "'%s' must be a list",
                        json_is_array(ids) ? "kwargs" : "instruction_id_list");
  size_t k = json_array_size(ids) < json_array_size(kwargs)
                 ? json_array_size(ids)
                 : json_array_size(kwargs);
  vf_follow *f = calloc(k ? k : 1, sizeof *f);
  if (!f)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  size_t bad;
  bool valid = vf_utf8_valid(response, len, &bad);
  for (size_t i = 0; i < k && !valid; i++) { /* every entry: the same error */
    f[i].code = VF_EUTF8;
    snprintf(f[i].reason, sizeof f[i].reason,
             "response is not valid UTF-8 (byte offset %zu)", bad);
  }
  for (size_t i = 0; i < k && valid; i++)
    if (follow_one(ctx, family ? family : "ifevalg", json_array_get(ids, i),
                   json_array_get(kwargs, i), response, len, &f[i])) {
      free(f);
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    }
  *out = f;
  *n = k;
  return VF_OK;
}

vf_status vf_follow_instructions(const vf_ctx *ctx, const char *family,
                                 const char *ids_json, const char *kwargs_json,
                                 const char *response, size_t len,
                                 vf_follow **out, size_t *n, vf_error *err) {
  json_error_t je;
  *out = NULL;
  *n = 0;
  json_t *ids = json_loads(ids_json ? ids_json : "", 0, &je);
  if (!ids)
    return vf_set_error(err, VF_EJSON,
                        "instruction_id_list is not valid JSON: %s", je.text);
  json_t *kw = json_loads(kwargs_json ? kwargs_json : "", 0, &je);
  vf_status st = kw ? vf_follow_list(ctx, family, ids, kw, response, len, out,
                                     n, err)
                    : vf_set_error(err, VF_EJSON,
                                   "kwargs is not valid JSON: %s", je.text);
  json_decref(ids);
  json_decref(kw);
  return st;
}
