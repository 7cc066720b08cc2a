/*
 * server.c: the server's life (vf_server_new, _drain, _free) and what every
 * protocol adapter calls: batches of items through the queue with the
 * request's deadline, error answers, and the gauges of /metrics.  The HTTP
 * side is http.c; the adapters are proto_*.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/parallel.h"
#include "server/server.h"

static void fill_defaults(vf_server_opts *o) {
  if (!o->host || !*o->host)
    o->host = "127.0.0.1";
  if (!o->max_body)
    o->max_body = (size_t)64 << 20;
  if (!o->max_inflight)
    o->max_inflight = 16384;
  if (!o->max_connections)
    o->max_connections = 1024;
  if (o->request_timeout_s <= 0)
    o->request_timeout_s = VF_SERVER_REQUEST_TIMEOUT_S;
  if (o->handshake_timeout_s <= 0)
    o->handshake_timeout_s = VF_SERVER_HANDSHAKE_TIMEOUT_S;
  if (o->scorers <= 0)
    o->scorers = 4 * vf_ncores() < 8 ? 8 : 4 * vf_ncores();
  if (!o->batch)
    o->batch = 64;
}

/* A token that a client can send: printable ASCII, no spaces. */
static int token_ok(const char *t) {
  if (!*t)
    return 0;
  for (; *t; t++)
    if (*t < 0x21 || *t > 0x7e)
      return 0;
  return 1;
}

vf_status vf_server_new(const vf_server_opts *opts, vf_server **out,
                        vf_error *err) {
  *out = NULL;
  if (!opts->score)
    return vf_set_error(err, VF_EINVAL, "server: no scorer");
  if (opts->token && !token_ok(opts->token))
    return vf_set_error(err, VF_EINVAL,
                        "server: the token %s", *opts->token
                            ? "must be printable ASCII without spaces"
                            : "is empty (no token: no authentication)");
  vf_server *s = calloc(1, sizeof *s);
  if (!s)
    return vf_set_error(err, VF_ENOMEM, "server: out of memory");
  s->o = *opts;
  fill_defaults(&s->o);
  s->max_buffered = 4 * s->o.max_body;
  pthread_condattr_t mono;
  pthread_condattr_init(&mono);
  pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->idle, &mono);
  pthread_condattr_destroy(&mono);
  s->metrics = vf_metrics_new();
  s->queue = vf_queue_new(s->o.scorers, s->o.batch, s->o.max_inflight,
                          s->o.score, s->o.score_ud);
  vf_status st = s->metrics && s->queue
                     ? vf_http_start(s, err)
                     : vf_set_error(err, VF_ENOMEM, "server: cannot start");
  if (st) {
    vf_server_free(s, 0);
    return st;
  }
  *out = s;
  return VF_OK;
}

int vf_server_port(const vf_server *s) { return s->port; }

int vf_server_draining(const vf_server *s) {
  return atomic_load(&((vf_server *)s)->draining);
}

long vf_server_drain(vf_server *s, double timeout_s) {
  atomic_store(&s->draining, 1);
  vf_http_quiesce(s);
  if (timeout_s <= 0)
    timeout_s = s->o.request_timeout_s + VF_SERVER_DRAIN_GRACE_S;
  double deadline = vf_now() + timeout_s;
  struct timespec ts = {(time_t)deadline,
                        (long)((deadline - (double)(time_t)deadline) * 1e9)};
  pthread_mutex_lock(&s->mu);
  while (s->active > 0)
    if (pthread_cond_timedwait(&s->idle, &s->mu, &ts) == ETIMEDOUT)
      break;
  long left = s->active;
  pthread_mutex_unlock(&s->mu);
  return left;
}

int vf_server_free(vf_server *s, double grace_s) {
  if (!s)
    return 0;
  vf_http_stop(s);
  if (vf_queue_free(s->queue, grace_s))
    return -1;
  vf_metrics_free(s->metrics);
  pthread_cond_destroy(&s->idle);
  pthread_mutex_destroy(&s->mu);
  free(s);
  return 0;
}

/* ---- batches ------------------------------------------------------------ */

int vf_batch_add(vf_batch *b, char *item, size_t len, const char *where) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 4;
    char **items = realloc(b->items, cap * sizeof *items);
    if (items)
      b->items = items;
    size_t *lens = items ? realloc(b->lens, cap * sizeof *lens) : NULL;
    if (lens)
      b->lens = lens;
    char **wh = lens ? realloc(b->where, cap * sizeof *wh) : NULL;
    if (!wh)
      return -1;
    b->where = wh;
    b->cap = cap;
  }
  char *w = strdup(where);
  if (!w)
    return -1;
  b->items[b->n] = item;
  b->lens[b->n] = len;
  b->where[b->n] = w;
  b->n++;
  return 0;
}

void vf_batch_free(vf_batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    if (b->items)
      free(b->items[i]);
    if (b->where)
      free(b->where[i]);
    if (b->out)
      free(b->out[i]);
  }
  free(b->items);
  free(b->lens);
  free(b->where);
  free(b->out);
  memset(b, 0, sizeof *b);
}

vf_qstatus vf_server_score(vf_req *r, vf_batch *b) {
  vf_server *s = r->srv;
  vf_qstatus st =
      vf_queue_run(s->queue, b, r->t0 + s->o.request_timeout_s);
  if (st == VF_Q_OK && b->timed_out) {
    size_t late = 0;
    for (size_t i = 0; i < b->n; i++)
      late += !b->out[i];
    vf_metrics_count(s->metrics, VF_C_TIMEOUTS, 1);
    vf_metrics_count(s->metrics, VF_C_ITEMS_TIMED_OUT, late);
  }
  return st;
}

/* ---- answers ------------------------------------------------------------ */

void vf_req_fail(vf_req *r, int status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->status = status;
  vf_buf_reset(&r->out);
  if (vf_buf_printf(&r->out, "{\"error\":") ||
      vf_json_str(&r->out, msg, strlen(msg)) || vf_buf_putc(&r->out, '}'))
    vf_buf_free(&r->out); /* an empty body still carries the status */
}

void vf_req_refused(vf_req *r, vf_qstatus q) {
  vf_server *s = r->srv;
  switch (q) {
  case VF_Q_BUSY:
    r->retry_after = 1;
    vf_metrics_count(s->metrics, VF_C_BUSY, 1);
    vf_req_fail(r, 503, "busy: %zu items in flight is the limit "
                        "(--max-inflight); retry later",
                s->o.max_inflight);
    break;
  case VF_Q_STOPPING:
    r->retry_after = 1;
    vf_metrics_count(s->metrics, VF_C_DRAINING, 1);
    vf_req_fail(r, 503, "the server is shutting down");
    break;
  case VF_Q_TOO_MANY:
    vf_metrics_count(s->metrics, VF_C_TOO_MANY, 1);
    vf_req_fail(r, 413, "too many items in one request: the limit is %zu "
                        "(--max-inflight); split the request",
                s->o.max_inflight);
    break;
  default:
    vf_req_fail(r, 500, "out of memory");
    break;
  }
}

/* ---- gauges ------------------------------------------------------------- */

int vf_server_render_metrics(vf_server *s, vf_buf *out) {
  size_t inflight, queued;
  vf_queue_load(s->queue, &inflight, &queued);
  pthread_mutex_lock(&s->mu);
  long active = s->active;
  pthread_mutex_unlock(&s->mu);
  int rc = vf_metrics_render(s->metrics, out);
  rc |= vf_buf_printf(
      out,
      "# TYPE verif_inflight_items gauge\nverif_inflight_items %zu\n"
      "# TYPE verif_max_inflight_items gauge\nverif_max_inflight_items %zu\n"
      "# TYPE verif_queued_chunks gauge\nverif_queued_chunks %zu\n"
      "# TYPE verif_inflight_requests gauge\nverif_inflight_requests %ld\n"
      "# TYPE verif_buffered_body_bytes gauge\nverif_buffered_body_bytes %zu\n"
      "# TYPE verif_scorer_threads gauge\nverif_scorer_threads %d\n"
      "# TYPE verif_draining gauge\nverif_draining %d\n",
      inflight, s->o.max_inflight, queued, active,
      atomic_load(&s->buffered), s->o.scorers, vf_server_draining(s));
  if (s->o.scorer_metrics) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
      s->o.scorer_metrics(s->o.score_ud, f);
      fclose(f);
      rc |= vf_buf_append(out, text, len);
    }
    free(text);
  }
  return rc ? -1 : 0;
}
