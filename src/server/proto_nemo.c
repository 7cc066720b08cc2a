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
 *
 * Rows of NeMo-Gym's ifbench server (resources_servers/ifbench/app.py; told
 * apart by their ids, nemo_ifbench.c) are checked as that server checks
 * them: in the "ifbench" family, "fraction" by default, every entry False
 * for a blank response, and loose verdicts too (an entry follows loosely
 * when one of the non-blank loose variants follows: the item's
 * "responses"), answered as follow_instruction_list_loose,
 * follow_all_instructions_loose and reward_loose, without
 * verifier_metadata.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "server/server.h"

/* The families NeMo-Gym's instruction_following and ifbench servers check
 * with. */
static const char nemo_family[] = "ifevalg", ifbench_family[] = "ifbench";

/* An entry's outcome: strict and loose verdicts, and why it is False
 * without a verdict (malloc'd, or NULL). */
typedef struct entry {
  int strict, loose;
  char *why;
} entry;

typedef struct nemo_req {
  json_t *meta;      /* the migrated verifier_metadata (owned) */
  const json_t *ids, *kwargs, *prompt;
  const char *text;  /* the response's text */
  size_t text_len;
  int fraction;      /* grading_mode "fraction" */
  int ifbench;       /* a row of NeMo-Gym's ifbench server */
  json_t *variants;  /* ifbench: the loose variants (NULL: blank text) */
  size_t n;          /* entries */
  size_t *slot;      /* per entry: its item in the batch, or SIZE_MAX */
  entry *e;          /* per entry */
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
  q->fraction = s ? !strcmp(s, "fraction") : q->ifbench; /* the defaults */
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
  q->ifbench = vf_nemo_ifbench_row(q->ids, q->n);
  if (check_grading(r, body, q) ||
      response_text(r, json_object_get(body, "response"), q))
    return -1;
  if (!q->ifbench || vf_py_isblank(q->text, q->text_len))
    return 0; /* ifbench: a blank text fails every entry unchecked */
  q->variants = vf_nemo_loose_variants(q->text, q->text_len);
  if (!q->variants) {
    vf_req_fail(r, 500, "out of memory");
    return -1;
  }
  return 0;
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

/* The id an entry's item names: qualified with the row's family unless it
 * names one, or as it is when the registry lacks that family. */
static json_t *entry_id(const nemo_req *q, const json_t *id) {
  const char *fam = q->ifbench ? ifbench_family : nemo_family;
  const char *s = json_string_value(id);
  if (strchr(s, '/') || !vf_checks_family_named(fam, strlen(fam)))
    return json_incref((json_t *)id);
  return json_pack("s+++", fam, "/", s, "");
}

/* The one-instruction item of entry i; NULL with q->e[i].why set when the
 * entry cannot be an item, or NULL alone for an ifbench row's blank text
 * (False, as NeMo's ifbench server has it) or out of memory. */
static char *entry_item(nemo_req *q, size_t i, size_t *len) {
  const json_t *id = json_array_get(q->ids, i);
  json_t *kw = entry_kwargs(json_array_get(q->kwargs, i));
  char msg[160];
  if (!json_is_string(id) || !kw) {
    snprintf(msg, sizeof msg, "%s[%zu]: must be %s",
             !json_is_string(id) ? "instruction_id_list" : "kwargs", i,
             !json_is_string(id) ? "a string" : "an object or null");
    q->e[i].why = strdup(msg);
    json_decref(kw);
    return NULL;
  }
  json_t *item = json_pack("{s:[o], s:[o], s:O, s:b}", "instruction_id_list",
                           entry_id(q, id), "kwargs", kw, "prompt", q->prompt,
                           "verbatim", 1);
  if (item && q->ifbench)
    json_object_set(item, "responses", q->variants);
  else if (item)
    json_object_set_new(item, "response", json_stringn(q->text, q->text_len));
  char *text = item ? json_dumps(item, JSON_COMPACT) : NULL;
  json_decref(item);
  if (text)
    *len = strlen(text);
  return text;
}

/* One item per entry that can be scored; 0, or -1 after a 500 answer. */
static int build(vf_req *r, nemo_req *q, vf_batch *b) {
  q->slot = calloc(q->n ? q->n : 1, sizeof *q->slot);
  q->e = calloc(q->n ? q->n : 1, sizeof *q->e);
  if (!q->slot || !q->e) {
    vf_req_fail(r, 500, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < q->n; i++) {
    char where[48];
    size_t len = 0;
    q->slot[i] = SIZE_MAX;
    if (q->ifbench && !q->variants)
      continue; /* blank text: every entry False, nothing to check */
    char *item = entry_item(q, i, &len);
    if (!item && q->e[i].why)
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

/* A check's verdict in one response's record; *why its error (or NULL). */
static int check_of(const json_t *resp_rec, const char **why) {
  const json_t *chk = json_array_get(json_object_get(resp_rec, "checks"), 0);
  int v = vf_check_verdict(chk);
  *why = v >= 0 ? NULL : json_string_value(json_object_get(chk, "error"));
  if (v < 0 && !*why)
    *why = "no verdict";
  return v == 1;
}

/* Entry e from its record: the strict verdict of the (first) response and
 * the loose one over all of them (an ifbench row's variants). */
static void entry_verdict(vf_req *r, const char *record, entry *e) {
  vf_rec x;
  vf_rec_read(r->srv->metrics, record, r->srv->o.request_timeout_s, &x);
  json_t *rec = record ? json_loads(record, 0, NULL) : NULL;
  const json_t *err = json_object_get(rec, "error");
  const json_t *results = json_object_get(rec, "results");
  const char *why = NULL;
  if (!rec || (err && !json_is_null(err))) {
    e->why = strdup(rec ? json_string_value(err) ? json_string_value(err)
                                                 : "scoring failed"
                        : x.error);
  } else if (!results) {
    e->strict = e->loose = check_of(rec, &why);
  } else {
    e->strict = check_of(json_array_get(results, 0), &why);
    for (size_t k = 0; k < json_array_size(results) && !e->loose; k++) {
      const char *w;
      e->loose = check_of(json_array_get(results, k), &w);
    }
  }
  if (why)
    e->why = strdup(why);
  json_decref(rec);
}

/* The strict and loose lists and verif_errors; *loose: how many followed
 * loosely.  Returns how many followed strictly. */
static size_t follow_lists(vf_req *r, nemo_req *q, const vf_batch *b,
                           json_t *list, json_t *loose_list, json_t *errs,
                           size_t *loose) {
  size_t followed = 0;
  *loose = 0;
  for (size_t i = 0; i < q->n; i++) {
    entry *e = &q->e[i];
    if (q->slot[i] != SIZE_MAX)
      entry_verdict(r, b->out[q->slot[i]], e);
    followed += (size_t)e->strict;
    *loose += (size_t)e->loose;
    json_array_append_new(list, json_boolean(e->strict));
    json_array_append_new(loose_list, json_boolean(e->loose));
    if (e->why)
      json_array_append_new(errs, json_pack("{s:i, s:O, s:s}", "index",
                                            (json_int_t)i, "instruction_id",
                                            json_array_get(q->ids, i), "error",
                                            e->why));
  }
  return followed;
}

/* NeMo's reward of k entries followed out of the row's n. */
static double grade(const nemo_req *q, size_t k) {
  if (!q->fraction)
    return k == q->n;
  return q->n ? (double)k / (double)q->n : 0.0;
}

/* The ifbench server's extra fields: the loose verdicts, the grading mode. */
static int ifbench_fields(json_t *body, const nemo_req *q, json_t *loose_list,
                          size_t loose) {
  return json_object_set_new(body, "reward_loose",
                             json_real(grade(q, loose))) ||
         json_object_set_new(body, "follow_all_instructions_loose",
                             json_boolean(loose == q->n)) ||
         json_object_set(body, "follow_instruction_list_loose", loose_list) ||
         (!json_object_get(body, "grading_mode") &&
          json_object_set_new(body, "grading_mode",
                              json_string(q->fraction ? "fraction"
                                                      : "binary")));
}

static int write_answer(vf_req *r, json_t *body, nemo_req *q,
                        const vf_batch *b) {
  json_t *list = json_array(), *loose_list = json_array(), *errs = json_array();
  size_t loose = 0;
  size_t followed = list && loose_list && errs
                        ? follow_lists(r, q, b, list, loose_list, errs, &loose)
                        : 0;
  int rc = !list || !loose_list || !errs ||
           (!q->ifbench &&
            json_object_set(body, "verifier_metadata", q->meta)) ||
           json_object_set_new(body, "reward", json_real(grade(q, followed))) ||
           json_object_set_new(body, "follow_all_instructions",
                               json_boolean(followed == q->n)) ||
           json_object_set(body, "follow_instruction_list", list) ||
           (q->ifbench && ifbench_fields(body, q, loose_list, loose));
  if (!rc && json_array_size(errs))
    rc = json_object_set(body, "verif_errors", errs);
  if (!rc && q->note[0])
    rc = json_object_set_new(body, "verif_notes", json_pack("[s]", q->note));
  char *text = rc ? NULL : json_dumps(body, JSON_COMPACT);
  rc = !text || vf_buf_append(&r->out, text, strlen(text));
  free(text);
  if (json_array_size(errs))
    r->items_err++;
  else
    r->items_ok++;
  json_decref(list);
  json_decref(loose_list);
  json_decref(errs);
  return rc ? -1 : 0;
}

static void nemo_free(nemo_req *q) {
  for (size_t i = 0; q->e && i < q->n; i++)
    free(q->e[i].why);
  free(q->e);
  free(q->slot);
  json_decref(q->variants);
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
