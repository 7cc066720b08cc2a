/*
 * proto_nemo.c: POST /verify, a drop-in for NeMo-Gym's instruction_following
 * resources server (resources_servers/instruction_following/app.py at NeMo-
 * Gym 07d6b0d).  The fields instruction_id_list, kwargs, prompt and
 * grading_mode are read from "verifier_metadata", each one missing there
 * taken from the top level (NeMo's _migrate_legacy_metadata), and the
 * migrated verifier_metadata is echoed.  The text is the response's
 * output[-1].content[0].text ("" when absent).  As in NeMo, each
 * instruction is its own verdict: an unknown id, a bad kwarg or a check
 * that fails to run makes that entry False (listed in "verif_errors"), not
 * the request; null kwargs are {} and null kwarg values are dropped; lists
 * of different lengths are paired as zip pairs them (noted in
 * "verif_notes").  The
 * reward is all(entries) ("binary", the default; 1.0 for no instruction) or
 * their mean ("fraction"; 0.0 for none).  Each instruction is scored as a
 * one-instruction IFEval item, verbatim (no reasoning cut, no empty-answer
 * rule), so that all of a request's entries go through the queue at once;
 * its id is looked up in NeMo's registry, the "ifevalg" family
 * (verifiable_instructions: IFEval's ids and open-instruct's), unless it
 * names its family itself ("family/id").
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "server/server.h"

/* The family NeMo-Gym's instruction_following server checks with. */
static const char nemo_family[] = "ifevalg";

typedef struct nemo_req {
  json_t *meta;      /* the migrated verifier_metadata (owned) */
  const json_t *ids, *kwargs, *prompt;
  const char *text;  /* the response's text */
  size_t text_len;
  int fraction;      /* grading_mode "fraction" */
  size_t n;          /* entries */
  size_t *slot;      /* per entry: its item in the batch, or SIZE_MAX */
  char **why;        /* per entry: why it is False without a verdict */
  char note[300];    /* the lists' lengths differ: "" when they agree */
} nemo_req;

static const char *const migrated[] = {"instruction_id_list", "prompt",
                                       "kwargs", "grading_mode"};

/* NeMo's _migrate_legacy_metadata: verifier_metadata, completed from the
 * top level.  NULL after a 400 answer. */
static json_t *migrate(vf_req *r, const json_t *body) {
  const json_t *vm = json_object_get(body, "verifier_metadata");
  if (vm && !json_is_object(vm) && !json_is_null(vm)) {
    vf_req_fail(r, 400, "field 'verifier_metadata': must be an object, got %s",
                vf_json_kind(vm));
    return NULL;
  }
  json_t *meta = json_is_object(vm) ? json_copy((json_t *)vm) : json_object();
  for (size_t k = 0; meta && k < sizeof migrated / sizeof migrated[0]; k++) {
    const json_t *v = json_object_get(body, migrated[k]);
    if (v && !json_object_get(meta, migrated[k]))
      json_object_set(meta, migrated[k], (json_t *)v);
  }
  if (!meta)
    vf_req_fail(r, 500, "out of memory");
  return meta;
}

/* "verifier_metadata." when the field came from there, else "". */
static const char *origin(const json_t *body, const char *field) {
  const json_t *vm = json_object_get(body, "verifier_metadata");
  return json_object_get(vm, field) ? "verifier_metadata." : "";
}

/* NeMo's rule: output[-1].content[0].text, else "". */
static int response_text(vf_req *r, const json_t *resp, nemo_req *q) {
  if (!json_is_object(resp)) {
    vf_req_fail(r, 400, "field 'response': %s",
                resp ? "must be a Responses-API object" : "missing");
    return -1;
  }
  const json_t *out = json_object_get(resp, "output");
  if (out && !json_is_array(out) && !json_is_null(out)) {
    vf_req_fail(r, 400, "field 'response.output': must be an array");
    return -1;
  }
  const json_t *last = json_array_get(out, json_array_size(out) - 1);
  const json_t *part = json_array_get(json_object_get(last, "content"), 0);
  const json_t *text = json_object_get(part, "text");
  q->text = json_is_string(text) ? json_string_value(text) : "";
  q->text_len = json_is_string(text) ? json_string_length(text) : 0;
  return 0;
}

static int check_grading(vf_req *r, const json_t *body, nemo_req *q) {
  const json_t *gm = json_object_get(q->meta, "grading_mode");
  const char *s = json_string_value(gm);
  if (gm && !json_is_null(gm) && !(s && (!strcmp(s, "binary") ||
                                         !strcmp(s, "fraction")))) {
    vf_req_fail(r, 400, "field '%sgrading_mode': must be \"binary\" or "
                        "\"fraction\"", origin(body, "grading_mode"));
    return -1;
  }
  q->fraction = s && !strcmp(s, "fraction");
  return 0;
}

static int check_shape(vf_req *r, const json_t *body, nemo_req *q) {
  static const char *const need[] = {"instruction_id_list", "kwargs",
                                     "prompt"};
  for (size_t k = 0; k < 3; k++) {
    const json_t *v = json_object_get(q->meta, need[k]);
    int ok = k < 2 ? json_is_array(v) : json_is_string(v);
    if (!ok) {
      vf_req_fail(r, 400, "field '%s%s': %s", v ? origin(body, need[k]) : "",
                  need[k], !v ? "missing (in verifier_metadata or at the top "
                                "level)"
                       : k < 2 ? "must be an array"
                               : "must be a string");
      return -1;
    }
  }
  q->ids = json_object_get(q->meta, "instruction_id_list");
  q->kwargs = json_object_get(q->meta, "kwargs");
  q->prompt = json_object_get(q->meta, "prompt");
  size_t nk = json_array_size(q->kwargs);
  q->n = json_array_size(q->ids);
  if (nk != q->n) { /* NeMo pairs them with zip: the shorter list wins */
    snprintf(q->note, sizeof q->note, "'%sinstruction_id_list' has %zu "
             "entries and '%skwargs' %zu: as NeMo-Gym (zip), only the first "
             "%zu are checked", origin(body, "instruction_id_list"), q->n,
             origin(body, "kwargs"), nk, nk < q->n ? nk : q->n);
    q->n = nk < q->n ? nk : q->n;
  }
  if (check_grading(r, body, q))
    return -1;
  return response_text(r, json_object_get(body, "response"), q);
}

/* The kwargs of an entry as NeMo passes them: null is {}, null values are
 * dropped.  NULL when they are not an object. */
static json_t *entry_kwargs(const json_t *kw) {
  if (json_is_null(kw))
    return json_object();
  if (!json_is_object(kw))
    return NULL;
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)kw, k, v) if (!json_is_null(v))
      json_object_set(out, k, v);
  return out;
}

/* The one-instruction item of entry i; NULL with q->why[i] set when the
 * entry cannot be an item (or out of memory: why stays NULL). */
static char *entry_item(nemo_req *q, size_t i, size_t *len) {
  const json_t *id = json_array_get(q->ids, i);
  json_t *kw = entry_kwargs(json_array_get(q->kwargs, i));
  char msg[160];
  if (!json_is_string(id) || !kw) {
    snprintf(msg, sizeof msg, "%s[%zu]: must be %s",
             !json_is_string(id) ? "instruction_id_list" : "kwargs", i,
             !json_is_string(id) ? "a string" : "an object or null");
    q->why[i] = strdup(msg);
    json_decref(kw);
    return NULL;
  }
  const char *ids = json_string_value(id);
  int qualify = !strchr(ids, '/') &&
                vf_checks_family_named(nemo_family, strlen(nemo_family));
  snprintf(msg, sizeof msg, "%s/", nemo_family);
  json_t *qid = qualify ? json_pack("s++", msg, ids, "") : json_incref((json_t *)id);
  json_t *item = json_pack("{s:[o], s:[o], s:O, s:s%, s:b}",
                           "instruction_id_list", qid, "kwargs", kw, "prompt",
                           q->prompt, "response", q->text, q->text_len,
                           "verbatim", 1);
  char *text = item ? json_dumps(item, JSON_COMPACT) : NULL;
  json_decref(item);
  if (text)
    *len = strlen(text);
  return text;
}

/* One item per entry that can be scored; 0, or -1 after a 500 answer. */
static int build(vf_req *r, nemo_req *q, vf_batch *b) {
  q->slot = calloc(q->n ? q->n : 1, sizeof *q->slot);
  q->why = calloc(q->n ? q->n : 1, sizeof *q->why);
  if (!q->slot || !q->why) {
    vf_req_fail(r, 500, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < q->n; i++) {
    char where[48];
    size_t len = 0;
    char *item = entry_item(q, i, &len);
    q->slot[i] = SIZE_MAX;
    if (!item && q->why[i])
      continue;
    snprintf(where, sizeof where, "instruction_id_list[%zu]", i);
    if (!item || vf_batch_add(b, item, len, where)) {
      free(item);
      vf_req_fail(r, 500, "out of memory");
      return -1;
    }
    q->slot[i] = b->n - 1;
  }
  return 0;
}

/* The verdict of entry i from its record; *why: the reason for False
 * without a verdict (malloc'd) or NULL. */
static int entry_verdict(vf_req *r, const char *record, char **why) {
  vf_rec x;
  vf_rec_read(r->srv->metrics, record, r->srv->o.request_timeout_s, &x);
  json_t *rec = x.ok ? json_loads(record, 0, NULL) : NULL;
  const json_t *chk = json_array_get(json_object_get(rec, "checks"), 0);
  int v = x.ok ? vf_check_verdict(chk) : -1;
  const char *e = json_string_value(json_object_get(chk, "error"));
  *why = v >= 0 ? NULL : strdup(!x.ok ? x.error : e ? e : "no verdict");
  json_decref(rec);
  return v == 1;
}

/* follow_instruction_list and verif_errors; returns how many followed. */
static size_t follow_list(vf_req *r, nemo_req *q, const vf_batch *b,
                          json_t *list, json_t *errs) {
  size_t followed = 0;
  for (size_t i = 0; i < q->n; i++) {
    char *why = q->why[i];
    int pass = 0;
    q->why[i] = NULL;
    if (q->slot[i] != SIZE_MAX)
      pass = entry_verdict(r, b->out[q->slot[i]], &why);
    followed += (size_t)pass;
    json_array_append_new(list, json_boolean(pass));
    if (why)
      json_array_append_new(errs, json_pack("{s:i, s:O, s:s}", "index",
                                            (json_int_t)i, "instruction_id",
                                            json_array_get(q->ids, i), "error",
                                            why));
    free(why);
  }
  return followed;
}

static int write_answer(vf_req *r, json_t *body, nemo_req *q,
                        const vf_batch *b) {
  json_t *list = json_array(), *errs = json_array();
  size_t followed = list && errs ? follow_list(r, q, b, list, errs) : 0;
  int all = followed == q->n;
  double reward = !q->fraction ? (double)all
                  : q->n       ? (double)followed / (double)q->n
                               : 0.0;
  int rc = !list || !errs ||
           json_object_set(body, "verifier_metadata", q->meta) ||
           json_object_set_new(body, "reward", json_real(reward)) ||
           json_object_set_new(body, "follow_all_instructions",
                               json_boolean(all)) ||
           json_object_set(body, "follow_instruction_list", list);
  if (!rc && json_array_size(errs))
    rc = json_object_set(body, "verif_errors", errs);
  if (!rc && q->note[0])
    rc = json_object_set_new(body, "verif_notes", json_pack("[s]", q->note));
  char *text = rc ? NULL : json_dumps(body, JSON_COMPACT);
  rc = !text || vf_buf_append(&r->out, text, strlen(text));
  free(text);
  json_decref(list);
  if (json_array_size(errs))
    r->items_err++;
  else
    r->items_ok++;
  json_decref(errs);
  return rc ? -1 : 0;
}

static void nemo_free(nemo_req *q) {
  for (size_t i = 0; q->why && i < q->n; i++)
    free(q->why[i]);
  free(q->why);
  free(q->slot);
  json_decref(q->meta);
}

void vf_proto_verify(vf_req *r) {
  nemo_req q = {0};
  vf_batch b = {0};
  json_t *body = vf_req_body(r);
  q.meta = body ? migrate(r, body) : NULL;
  if (!q.meta || check_shape(r, body, &q) || build(r, &q, &b))
    goto done;
  vf_qstatus st = vf_server_score(r, &b);
  if (st != VF_Q_OK)
    vf_req_refused(r, st);
  else if (write_answer(r, body, &q, &b))
    vf_req_fail(r, 500, "out of memory");
done:
  vf_batch_free(&b);
  nemo_free(&q);
  json_decref(body);
}

/* ---- the other endpoints of a NeMo-Gym resources server ------------------ */

void vf_proto_seed_session(vf_req *r) {
  json_t *body = vf_req_body(r);
  if (body)
    vf_buf_append(&r->out, "{}", 2);
  json_decref(body);
}

void vf_proto_reverify_mode(vf_req *r) {
  vf_buf_append(&r->out, "\"stateless\"", 11); /* /verify keeps no state */
}
