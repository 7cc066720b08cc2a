/*
 * proto_nemo.c: POST /verify, the shape of NeMo-Gym's instruction_following
 * resources server: the body carries instruction_id_list, kwargs and prompt
 * (in "verifier_metadata", or at the top level as in NeMo-Gym's own rows)
 * and "response", an OpenAI Responses-API object whose last output item's
 * first content part holds the text.  The answer is the request's fields
 * plus reward, follow_all_instructions and follow_instruction_list; the
 * reward is 1.0 only when every instruction is followed, or the fraction
 * followed with "grading_mode": "fraction".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

typedef struct nemo_req {
  const json_t *meta, *ids, *kwargs, *prompt;
  const char *text; /* the response's text */
  size_t text_len;
  int fraction;     /* grading_mode "fraction" */
} nemo_req;

/* NeMo-Gym's rule: output[-1].content[0].text, else "". */
static int response_text(vf_req *r, const json_t *resp, nemo_req *q) {
  if (!json_is_object(resp)) {
    vf_req_fail(r, 400, "field 'response': %s",
                resp ? "must be a Responses-API object" : "missing");
    return -1;
  }
  const json_t *out = json_object_get(resp, "output");
  const json_t *last = json_array_get(out, json_array_size(out) - 1);
  const json_t *part = json_array_get(json_object_get(last, "content"), 0);
  const json_t *text = json_object_get(part, "text");
  if (out && !json_is_array(out)) {
    vf_req_fail(r, 400, "field 'response.output': must be an array");
    return -1;
  }
  q->text = json_is_string(text) ? json_string_value(text) : "";
  q->text_len = json_is_string(text) ? json_string_length(text) : 0;
  return 0;
}

static int check_lists(vf_req *r, nemo_req *q, const char *pre) {
  size_t i;
  const json_t *v;
  if (!json_is_array(q->ids) || !json_is_array(q->kwargs)) {
    const char *f = !json_is_array(q->ids) ? "instruction_id_list" : "kwargs";
    const json_t *x = !json_is_array(q->ids) ? q->ids : q->kwargs;
    vf_req_fail(r, 400, "field '%s%s': %s", pre, f,
                x ? "must be an array" : "missing");
    return -1;
  }
  if (json_array_size(q->ids) != json_array_size(q->kwargs)) {
    vf_req_fail(r, 400, "field '%skwargs': has %zu entries, "
                        "'instruction_id_list' has %zu",
                pre, json_array_size(q->kwargs), json_array_size(q->ids));
    return -1;
  }
  json_array_foreach(q->ids, i, v) if (!json_is_string(v)) {
    vf_req_fail(r, 400, "field '%sinstruction_id_list'[%zu]: must be a string",
                pre, i);
    return -1;
  }
  json_array_foreach(q->kwargs, i, v) if (!json_is_object(v) && !json_is_null(v)) {
    vf_req_fail(r, 400, "field '%skwargs'[%zu]: must be an object or null",
                pre, i);
    return -1;
  }
  return 0;
}

static int check_shape(vf_req *r, const json_t *body, nemo_req *q) {
  const json_t *vm = json_object_get(body, "verifier_metadata");
  const char *pre = json_is_object(vm) ? "verifier_metadata." : "";
  q->meta = json_is_object(vm) ? vm : body;
  q->ids = json_object_get(q->meta, "instruction_id_list");
  q->kwargs = json_object_get(q->meta, "kwargs");
  q->prompt = json_object_get(q->meta, "prompt");
  if (check_lists(r, q, pre))
    return -1;
  if (!json_is_string(q->prompt)) {
    vf_req_fail(r, 400, "field '%sprompt': %s", pre,
                q->prompt ? "must be a string" : "missing");
    return -1;
  }
  const json_t *gm = json_object_get(q->meta, "grading_mode");
  if (!gm)
    gm = json_object_get(body, "grading_mode");
  q->fraction = json_is_string(gm) && !strcmp(json_string_value(gm), "fraction");
  return response_text(r, json_object_get(body, "response"), q);
}

/* The IFEval item; null kwargs become {} as in NeMo-Gym. */
static char *build_item(const nemo_req *q, size_t *len) {
  json_t *kw = json_array(), *item = json_object();
  size_t i;
  const json_t *v;
  json_array_foreach(q->kwargs, i, v)
      json_array_append_new(kw, json_is_object(v) ? json_deep_copy(v)
                                                  : json_object());
  const json_t *id = json_object_get(q->meta, "id");
  json_object_set_new(item, "key",
                      json_integer(json_is_integer(id) ? json_integer_value(id)
                                                       : 0));
  json_object_set(item, "prompt", (json_t *)q->prompt);
  json_object_set(item, "instruction_id_list", (json_t *)q->ids);
  json_object_set_new(item, "kwargs", kw);
  json_object_set_new(item, "response", json_stringn(q->text, q->text_len));
  char *text = json_dumps(item, JSON_COMPACT);
  json_decref(item);
  if (text)
    *len = strlen(text);
  return text;
}

/* follow_instruction_list from the record's checks, in instruction order;
 * returns how many were followed. */
static size_t follow_list(const char *record, const vf_rec *x, size_t n,
                          json_t *list) {
  json_t *rec = x->ok ? json_loads(record, 0, NULL) : NULL;
  const json_t *checks = json_object_get(rec, "checks");
  size_t followed = 0;
  for (size_t i = 0; i < n; i++) {
    int pass = json_array_size(checks) == n &&
               vf_check_verdict(json_array_get(checks, i)) == 1;
    followed += (size_t)pass;
    json_array_append_new(list, json_boolean(pass));
  }
  json_decref(rec);
  return followed;
}

static int write_answer(vf_req *r, json_t *body, const nemo_req *q,
                        const char *record) {
  vf_rec x;
  size_t n = json_array_size(q->ids);
  vf_rec_read(r->srv->metrics, record, r->srv->o.request_timeout_s, &x);
  json_t *list = json_array();
  size_t followed = list ? follow_list(record, &x, n, list) : 0;
  int all = x.ok && n > 0 && followed == n;
  double reward = !x.ok      ? r->srv->o.error_reward
                  : q->fraction ? (n ? (double)followed / (double)n : 0.0)
                               : (double)all;
  int rc = !list || json_object_set_new(body, "reward", json_real(reward)) ||
           json_object_set_new(body, "follow_all_instructions",
                               json_boolean(all)) ||
           json_object_set_new(body, "follow_instruction_list", list);
  if (!rc && !x.ok)
    rc = json_object_set_new(body, "error", json_string(x.error));
  char *text = rc ? NULL : json_dumps(body, JSON_COMPACT);
  rc = !text || vf_buf_append(&r->out, text, strlen(text));
  free(text);
  if (x.ok)
    r->items_ok++;
  else
    r->items_err++;
  return rc ? -1 : 0;
}

void vf_proto_verify(vf_req *r) {
  nemo_req q = {0};
  vf_batch b = {0};
  size_t len = 0;
  json_t *body = vf_req_body(r);
  if (!body || check_shape(r, body, &q))
    goto done;
  char *item = build_item(&q, &len);
  if (!item || vf_batch_add(&b, item, len, "request")) {
    free(item);
    vf_req_fail(r, 500, "out of memory");
    goto done;
  }
  vf_qstatus st = vf_server_score(r, &b);
  if (st != VF_Q_OK)
    vf_req_refused(r, st);
  else if (write_answer(r, body, &q, b.out[0]))
    vf_req_fail(r, 500, "out of memory");
done:
  vf_batch_free(&b);
  json_decref(body);
}
