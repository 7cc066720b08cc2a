/*
 * proto_score.c: POST /v1/score, verif's own protocol: {"items": [...]},
 * each item a JSON object exactly as `verif score` reads a line, answered
 * by {"results": [...]} with the scorer's records in order, verbatim.  An
 * item not scored before the request's deadline gets an error record.
 * Items go to the scorer as the client wrote them (jsonspan.c); bodies
 * the fast path does not take on, or that name a judge ("judge_url"), are
 * parsed with jansson.  A request whose item names a judge outside
 * --judge-url-allow is refused with 400 before anything is scored or
 * contacted.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge.h"
#include "server/server.h"

/* 0 when the item names no judge or an allowed one; -1 after a 400. */
static int judge_allowed(vf_req *r, const json_t *it, size_t i) {
  const json_t *url = json_object_get(it, "judge_url");
  char why[400];
  if (!url)
    return 0;
  if (!json_is_string(url)) {
    vf_req_fail(r, 400, "field 'items'[%zu].judge_url: must be a string", i);
    return -1;
  }
  if (vf_judge_url_allowed(r->srv->o.judge_url_allow, json_string_value(url),
                           why, sizeof why))
    return 0;
  vf_req_fail(r, 400, "field 'items'[%zu].judge_url: %s", i, why);
  return -1;
}

/* Fills the batch from the items array; 0, or -1 after a 400/500 answer. */
static int build(vf_req *r, const json_t *items, vf_batch *b) {
  size_t i;
  const json_t *it;
  json_array_foreach(items, i, it) {
    if (!json_is_object(it)) {
      vf_req_fail(r, 400, "field 'items'[%zu]: must be a JSON object, got %s",
                  i, vf_json_kind(it));
      return -1;
    }
    if (judge_allowed(r, it, i))
      return -1;
  }
  json_array_foreach(items, i, it) {
    char where[48];
    char *text = json_dumps(it, JSON_COMPACT);
    snprintf(where, sizeof where, "items[%zu]", i);
    if (!text || vf_batch_add(b, text, strlen(text), where)) {
      free(text);
      vf_req_fail(r, 500, "out of memory");
      return -1;
    }
  }
  return 0;
}

/* 1 when a record has a non-null "error", counting its checks. */
static int record_failed(vf_metrics *m, const char *rec) {
  json_t *v = json_loads(rec, 0, NULL);
  const json_t *e = json_object_get(v, "error");
  int failed = !v || (e && !json_is_null(e));
  size_t i;
  const json_t *sub;
  vf_metrics_checks(m, json_object_get(v, "checks"));
  json_array_foreach(json_object_get(v, "results"), i, sub)
      vf_metrics_checks(m, json_object_get(sub, "checks"));
  json_decref(v);
  return failed;
}

/* Where the items came from: spans of the body, or a jansson tree. */
typedef struct source {
  vf_span_list spans;
  json_t *tree; /* the body, when parsed with jansson */
} source;

/* The error record of an item that was not scored in time. */
static char *late_record(vf_req *r, const source *src, size_t i) {
  char msg[128];
  json_t *parsed = NULL;
  const json_t *item;
  if (src->tree)
    item = json_array_get(json_object_get(src->tree, "items"), i);
  else
    item = parsed = json_loadb(r->body + src->spans.v[i].off,
                               src->spans.v[i].len, 0, NULL);
  const json_t *id = json_object_get(item, "id");
  char *id_json = id ? json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  snprintf(msg, sizeof msg, "not scored within the request timeout (%g s)",
           r->srv->o.request_timeout_s);
  char *rec = vf_rec_error(id_json, msg);
  free(id_json);
  json_decref(parsed);
  return rec;
}

static int write_results(vf_req *r, const source *src, vf_batch *b) {
  vf_metrics *m = r->srv->metrics;
  int rc = vf_buf_append(&r->out, "{\"results\":[", 12);
  for (size_t i = 0; i < b->n && !rc; i++) {
    if (!b->out[i])
      b->out[i] = late_record(r, src, i);
    if (!b->out[i])
      return -1;
    if (record_failed(m, b->out[i]))
      r->items_err++;
    else
      r->items_ok++;
    rc = (i && vf_buf_putc(&r->out, ',')) ||
         vf_buf_append(&r->out, b->out[i], strlen(b->out[i]));
  }
  return rc || vf_buf_append(&r->out, "]}", 2) ? -1 : 0;
}

/* The fast path: items as spans of the body; 1 when not handled (a body
 * that may name a judge among them: the slow path checks each). */
static int build_spans(vf_req *r, source *src, vf_batch *b) {
  if (memmem(r->body, r->len, "judge_url", 9) ||
      vf_json_item_spans(r->body, r->len, "items", &src->spans))
    return 1;
  for (size_t i = 0; i < src->spans.n; i++) {
    char where[48];
    const vf_span_item *sp = &src->spans.v[i];
    char *text = strndup(r->body + sp->off, sp->len);
    snprintf(where, sizeof where, "items[%zu]", i);
    if (!text || vf_batch_add(b, text, sp->len, where)) {
      free(text);
      vf_req_fail(r, 500, "out of memory");
      return -1;
    }
  }
  return 0;
}

/* The slow path: jansson, with the error messages. */
static int build_tree(vf_req *r, source *src, vf_batch *b) {
  src->tree = vf_req_body(r);
  if (!src->tree)
    return -1;
  const json_t *items = json_object_get(src->tree, "items");
  if (json_is_array(items))
    return build(r, items, b);
  vf_req_fail(r, 400, "field 'items': %s",
              items ? "must be an array of item objects" : "missing");
  return -1;
}

void vf_proto_score(vf_req *r) {
  vf_batch b = {0};
  source src = {{0}, NULL};
  int rc = build_spans(r, &src, &b);
  if (rc > 0)
    rc = build_tree(r, &src, &b);
  if (rc)
    goto done;
  vf_qstatus st = vf_server_score(r, &b);
  if (st != VF_Q_OK)
    vf_req_refused(r, st);
  else if (write_results(r, &src, &b))
    vf_req_fail(r, 500, "out of memory");
done:
  free(src.spans.v);
  json_decref(src.tree);
  vf_batch_free(&b);
}
