/*
 * proto_openrlhf.c: POST /get_reward, OpenRLHF's remote reward model:
 * {"query": [...], "prompts": [...], "labels": [...]} → {"rewards",
 * "scores", "extra_logs": {"hard", "soft", "errors"}}.  A query is the
 * prompt and the response decoded with special tokens: the response is
 * what follows the prompt, without chat-template end markers; the item's
 * prompt is the prompt's last user turn (for the judge and the Python
 * checks); a label is the constraints in any format the scorer reads.  Items that could
 * not be scored, a bad label among them, get --error-reward, a 1 in
 * extra_logs.errors and an entry in "errors" (the request itself stays a
 * 200: OpenRLHF >= 0.10 posts one sample per request and a failed request
 * leaves that sample without a reward); queries that did not contain their
 * prompt are in "notes".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

typedef struct rl_req {
  const json_t *query, *prompts, *labels;
  size_t n;
  char *notes;  /* 1 where the prompt was not found in the query */
  size_t *slot; /* per query: its item in the batch, or SIZE_MAX */
  char **early; /* per query not in the batch: its error record */
} rl_req;

/* Checks that field is an array of n strings (n = 0: any length). */
static int string_array(vf_req *r, const json_t *a, const char *field,
                        size_t n) {
  size_t i;
  const json_t *v;
  if (!json_is_array(a)) {
    vf_req_fail(r, 400, "field '%s': %s", field,
                a ? "must be an array of strings" : "missing");
    return -1;
  }
  if (n && json_array_size(a) != n) {
    vf_req_fail(r, 400, "field '%s': has %zu entries, 'query' has %zu", field,
                json_array_size(a), n);
    return -1;
  }
  json_array_foreach(a, i, v) if (!json_is_string(v)) {
    vf_req_fail(r, 400, "field '%s'[%zu]: must be a string, got %s", field, i,
                vf_json_kind(v));
    return -1;
  }
  return 0;
}

static int check_shape(vf_req *r, const json_t *body, rl_req *q) {
  q->query = json_object_get(body, "query");
  q->prompts = json_object_get(body, "prompts");
  q->labels = json_object_get(body, "labels");
  if (string_array(r, q->query, "query", 0))
    return -1;
  q->n = json_array_size(q->query);
  if (q->prompts && !json_is_null(q->prompts) &&
      string_array(r, q->prompts, "prompts", q->n))
    return -1;
  if (!json_is_array(q->labels)) {
    vf_req_fail(r, 400, "field 'labels': %s",
                q->labels ? "must be an array" : "missing (the constraints "
                "of each query, as JSON strings)");
    return -1;
  }
  if (json_array_size(q->labels) != q->n) {
    vf_req_fail(r, 400, "field 'labels': has %zu entries, 'query' has %zu",
                json_array_size(q->labels), q->n);
    return -1;
  }
  return 0;
}

/* The item of query i; NULL with q->early[i] set (a bad label), or after
 * a 500 answer. */
static char *build_item(vf_req *r, rl_req *q, size_t i, size_t *len) {
  char why[300], msg[400];
  json_t *label = vf_label_parse(json_array_get(q->labels, i), why, sizeof why);
  if (!label) {
    snprintf(msg, sizeof msg, "labels[%zu]: %s", i, why);
    q->early[i] = vf_rec_error(NULL, msg);
    if (!q->early[i])
      vf_req_fail(r, 500, "out of memory");
    return NULL;
  }
  const json_t *p = json_array_get(q->prompts, i);
  if (!json_is_string(p))
    p = json_object_get(label, "prompt");
  const json_t *qs = json_array_get(q->query, i);
  size_t rlen;
  int note;
  const vf_server_opts *o = &r->srv->o;
  char *resp = vf_query_response(
      json_string_value(qs), json_string_length(qs), json_string_value(p),
      json_string_length(p), o->strip_tokens, o->n_strip, &rlen, &note);
  q->notes[i] = (char)note;
  size_t ib = 0, ie = 0; /* the instruction for the item: no template */
  if (json_is_string(p))
    vf_prompt_instruction(json_string_value(p), json_string_length(p), &ib, &ie);
  char *item = resp ? vf_item_build(label, json_array_get(q->labels, i),
                                    json_is_string(p)
                                        ? json_string_value(p) + ib
                                        : NULL,
                                    ie - ib, resp, rlen, len)
                    : NULL;
  free(resp);
  json_decref(label);
  if (!item)
    vf_req_fail(r, 500, "out of memory");
  return item;
}

static int build(vf_req *r, rl_req *q, vf_batch *b) {
  for (size_t i = 0; i < q->n; i++) {
    char where[48];
    size_t len = 0;
    char *item = build_item(r, q, i, &len);
    q->slot[i] = SIZE_MAX;
    if (!item && q->early[i])
      continue;
    if (!item)
      return -1;
    snprintf(where, sizeof where, "labels[%zu]", i);
    if (vf_batch_add(b, item, len, where)) {
      free(item);
      vf_req_fail(r, 500, "out of memory");
      return -1;
    }
    q->slot[i] = b->n - 1;
  }
  return 0;
}

/* Appends "name":[v0,v1,...] from one field of the records. */
static int number_list(vf_buf *o, const char *name, const vf_rec *recs,
                       size_t n, int which, double error_reward) {
  int rc = vf_buf_printf(o, "\"%s\":[", name);
  for (size_t i = 0; i < n && !rc; i++) {
    const vf_rec *x = &recs[i];
    double v = which == 0   ? (x->ok ? x->reward : error_reward)
               : which == 1 ? (x->hard >= 0 ? x->hard : 0)
               : which == 2 ? (x->soft >= 0 ? x->soft : 1)
                            : !x->ok;
    rc = (i && vf_buf_putc(o, ',')) || vf_json_num(o, v);
  }
  return rc || vf_buf_putc(o, ']');
}

/* "errors": [{"index", "error"}], "notes": [{"index", "note"}]. */
static int index_lists(vf_buf *o, const vf_rec *recs, const rl_req *q) {
  int rc = vf_buf_append(o, ",\"errors\":[", 11), first = 1;
  for (size_t i = 0; i < q->n && !rc; i++) {
    if (recs[i].ok)
      continue;
    rc = vf_buf_printf(o, "%s{\"index\":%zu,\"error\":", first ? "" : ",", i) ||
         vf_json_str(o, recs[i].error, strlen(recs[i].error)) ||
         vf_buf_putc(o, '}');
    first = 0;
  }
  rc = rc || vf_buf_append(o, "],\"notes\":[", 11);
  first = 1;
  for (size_t i = 0; i < q->n && !rc; i++) {
    if (!q->notes[i])
      continue;
    rc = vf_buf_printf(o, "%s{\"index\":%zu,\"note\":\"the prompt is not in "
                          "the query: the whole query was scored\"}",
                       first ? "" : ",", i);
    first = 0;
  }
  return rc || vf_buf_append(o, "]}", 2);
}

static int write_answer(vf_req *r, rl_req *q, vf_batch *b) {
  vf_rec *recs = calloc(q->n ? q->n : 1, sizeof *recs);
  double er = r->srv->o.error_reward;
  if (!recs)
    return -1;
  for (size_t i = 0; i < q->n; i++) {
    vf_rec_read(r->srv->metrics,
                q->slot[i] == SIZE_MAX ? q->early[i] : b->out[q->slot[i]],
                r->srv->o.request_timeout_s, &recs[i]);
    if (recs[i].ok)
      r->items_ok++;
    else
      r->items_err++;
  }
  vf_buf *o = &r->out;
  int rc = vf_buf_putc(o, '{') || number_list(o, "rewards", recs, q->n, 0, er) ||
           vf_buf_putc(o, ',') || number_list(o, "scores", recs, q->n, 0, er) ||
           vf_buf_append(o, ",\"extra_logs\":{", 15) ||
           number_list(o, "hard", recs, q->n, 1, er) || vf_buf_putc(o, ',') ||
           number_list(o, "soft", recs, q->n, 2, er) || vf_buf_putc(o, ',') ||
           number_list(o, "errors", recs, q->n, 3, er) ||
           vf_buf_putc(o, '}') || index_lists(o, recs, q);
  free(recs);
  return rc ? -1 : 0;
}

void vf_proto_get_reward(vf_req *r) {
  rl_req q = {0};
  vf_batch b = {0};
  json_t *body = vf_req_body(r);
  if (!body || check_shape(r, body, &q))
    goto done;
  q.notes = calloc(q.n ? q.n : 1, 1);
  q.slot = calloc(q.n ? q.n : 1, sizeof *q.slot);
  q.early = calloc(q.n ? q.n : 1, sizeof *q.early);
  if (!q.notes || !q.slot || !q.early) {
    vf_req_fail(r, 500, "out of memory");
    goto done;
  }
  if (build(r, &q, &b))
    goto done;
  size_t notes = 0;
  for (size_t i = 0; i < q.n; i++)
    notes += (size_t)q.notes[i];
  vf_metrics_count(r->srv->metrics, VF_C_NOTES, notes);
  vf_qstatus st = vf_server_score(r, &b);
  if (st != VF_Q_OK)
    vf_req_refused(r, st);
  else if (write_answer(r, &q, &b))
    vf_req_fail(r, 500, "out of memory");
done:
  vf_batch_free(&b);
  for (size_t i = 0; q.early && i < q.n; i++)
    free(q.early[i]);
  free(q.early);
  free(q.slot);
  free(q.notes);
  json_decref(body);
}
