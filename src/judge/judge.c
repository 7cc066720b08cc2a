/*
 * judge.c: the judge's front: vf_judge_run() renders each request's prompt,
 * answers it from the LRU or the SQLite cache when it can, attaches it to an
 * identical call already in flight, or starts a new call on the event
 * thread (client.c); done() scores the reply and wakes every request that
 * waited for it.  One mutex guards the in-flight table, the LRU and the
 * counters; each batch waits on its own condition variable.  At most
 * max(4 x concurrency, 1024) calls are held at once, so a huge batch waits
 * instead of rendering every request body up front.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"

typedef struct batch {
  pthread_cond_t cond;
  size_t remaining; /* requests of this batch still waiting for a call */
} batch;

struct vf_judge_waiter {
  vf_judge_waiter *next;
  batch *b;
  vf_judge_req *req;   /* NULL for a raw call */
  vf_judge_call *call; /* a raw call, handed back when done */
  bool first;          /* this request made the call */
};

struct vf_judge {
  char *model, *api_key;
  int max_tokens;
  vf_judge_tpl tpl;
  vf_judge_client *client;
  vf_judge_db *db;
  pthread_mutex_t lock;
  pthread_cond_t room; /* signalled when a call ends */
  size_t calls_held, max_calls; /* calls made and not yet done; the bound */
  vf_judge_map inflight;
  vf_judge_lru *lru;
  vf_judge_stats stats;
};

/* ---- small helpers ----------------------------------------------------- */

void vf_judge_redact_mem(char *s, size_t len, const char *secret) {
  size_t n = secret ? strlen(secret) : 0;
  if (n == 0)
    return;
  for (char *p = memmem(s, len, secret, n); p;
       p = memmem(p, len - (size_t)(p - s), secret, n))
    memset(p, '*', n);
}

void vf_judge_redact(char *s, const char *secret) {
  vf_judge_redact_mem(s, strlen(s), secret);
}

static void fill(vf_judge_req *r, vf_judge_status st, int score) {
  r->status = st;
  r->score = st == VF_JUDGE_OK ? score : 0;
  r->pass = st == VF_JUDGE_OK && score >= 1;
}

static void fill_error(vf_judge_req *r, const char *why) {
  fill(r, VF_JUDGE_ERROR, 0);
  snprintf(r->error, sizeof r->error, "%s", why);
}

static void reset_out(vf_judge_req *r) {
  r->status = VF_JUDGE_ERROR;
  r->score = r->pass = r->cached = r->deduped = 0;
  r->error[0] = '\0';
}

/* Why r cannot be judged, or NULL. */
static const char *bad_input(const vf_judge_req *r) {
  if ((!r->instruction && r->instruction_len) ||
      (!r->response && r->response_len) || (!r->checkers && r->ncheckers))
    return "NULL input with a non-zero length";
  if (r->checkers_text && !vf_utf8_valid(r->checkers_text,
                                         r->checkers_text_len, NULL))
    return "checkers_text is not valid UTF-8";
  if (r->instruction && !vf_utf8_valid(r->instruction, r->instruction_len,
                                       NULL))
    return "instruction is not valid UTF-8";
  if (r->response && !vf_utf8_valid(r->response, r->response_len, NULL))
    return "response is not valid UTF-8";
  for (size_t i = 0; i < r->ncheckers; i++) {
    if (!r->checkers[i])
      return "a checker string is NULL";
    if (!vf_utf8_valid(r->checkers[i], strlen(r->checkers[i]), NULL))
      return "a checker string is not valid UTF-8";
  }
  return NULL;
}

static int render(const vf_judge *j, const vf_judge_req *r, vf_buf *out) {
  vf_judge_req q = *r; /* no NULL pointers past here, even with length 0 */
  q.instruction = q.instruction ? q.instruction : "";
  q.response = q.response ? q.response : "";
  return vf_judge_tpl_render(&j->tpl, &q, out);
}

/* The cache key: SHA-256 of model, template name and prompt bytes. */
static void make_key(const vf_judge *j, const vf_buf *prompt,
                     unsigned char key[32]) {
  vf_judge_sha256_ctx s;
  vf_judge_sha256_init(&s);
  vf_judge_sha256_update(&s, j->model, strlen(j->model) + 1);
  vf_judge_sha256_update(&s, j->tpl.name, strlen(j->tpl.name) + 1);
  vf_judge_sha256_update(&s, prompt->data, prompt->len);
  vf_judge_sha256_final(&s, key);
}

static vf_judge_call *new_call(const vf_judge *j, const char *prompt,
                               size_t len) {
  vf_judge_call *c = calloc(1, sizeof *c);
  vf_buf body = {0};
  if (!c || vf_judge_body(&body, j->model, prompt, len, j->max_tokens)) {
    free(c);
    vf_buf_free(&body);
    return NULL;
  }
  c->body = body.data;
  c->body_len = body.len;
  return c;
}

/* ---- completion (event thread) ------------------------------------------- */

static void release(vf_judge_waiter *w) {
  if (--w->b->remaining == 0)
    pthread_cond_signal(&w->b->cond);
}

static vf_judge_status score_call(const vf_judge_call *c, int *score) {
  size_t n;
  const char *t = vf_judge_after_think(c->content.data, c->content.len, &n);
  return vf_judge_score_text(t, n, score);
}

static void answer_waiters(vf_judge_call *c, vf_judge_status st, int score) {
  for (vf_judge_waiter *w = c->waiters, *next; w; w = next) {
    next = w->next;
    if (st == VF_JUDGE_ERROR)
      fill_error(w->req, c->error);
    else
      fill(w->req, st, score);
    release(w);
  }
}

static void drop_hold(vf_judge *j) { /* under the lock */
  j->calls_held--;
  pthread_cond_broadcast(&j->room);
}

static void on_done(void *arg, vf_judge_call *c) {
  vf_judge *j = arg;
  vf_judge_status st = VF_JUDGE_ERROR;
  int score = 0;
  if (c->failed)
    vf_judge_redact(c->error, j->api_key);
  else if (!c->raw)
    st = score_call(c, &score);
  pthread_mutex_lock(&j->lock);
  drop_hold(j);
  j->stats.retries += c->attempts > 1 ? (unsigned)(c->attempts - 1) : 0;
  if (c->raw) {
    c->waiters->call = c;
    release(c->waiters);
    pthread_mutex_unlock(&j->lock);
    return;
  }
  vf_judge_map_del(&j->inflight, &c->node);
  if (st != VF_JUDGE_ERROR)
    vf_judge_lru_put(j->lru, c->node.key, st, score); /* best effort */
  answer_waiters(c, st, score);
  pthread_mutex_unlock(&j->lock);
  vf_judge_call_free(c);
}

/* ---- routing a request (caller's thread) --------------------------------- */

static void attach(vf_judge_call *c, vf_judge_waiter *w) {
  w->next = c->waiters;
  c->waiters = w;
  w->b->remaining++;
}

/* Under the lock: answers r from the LRU or an identical call in flight. */
static bool from_memory(vf_judge *j, vf_judge_req *r, vf_judge_waiter *w,
                        const unsigned char key[32]) {
  vf_judge_status st;
  int score;
  if (vf_judge_lru_get(j->lru, key, &st, &score)) {
    fill(r, st, score);
    r->cached = 1;
    j->stats.cache_hits++;
    return true;
  }
  vf_judge_call *c = (vf_judge_call *)vf_judge_map_get(&j->inflight, key);
  if (!c)
    return false;
  attach(c, w);
  r->deduped = 1;
  j->stats.deduped++;
  return true;
}

static bool from_db(vf_judge *j, vf_judge_req *r,
                    const unsigned char key[32]) {
  vf_judge_status st;
  int score;
  if (!j->db || !vf_judge_db_get(j->db, key, &st, &score))
    return false;
  fill(r, st, score);
  r->cached = 1;
  pthread_mutex_lock(&j->lock);
  j->stats.sqlite_hits++;
  vf_judge_lru_put(j->lru, key, st, score);
  pthread_mutex_unlock(&j->lock);
  return true;
}

static bool locked_from_memory(vf_judge *j, vf_judge_req *r,
                               vf_judge_waiter *w,
                               const unsigned char key[32]) {
  pthread_mutex_lock(&j->lock);
  bool hit = from_memory(j, r, w, key);
  pthread_mutex_unlock(&j->lock);
  return hit;
}

/* Waits until one more call may be held, and holds it. */
static void take_hold(vf_judge *j) {
  pthread_mutex_lock(&j->lock);
  while (j->calls_held >= j->max_calls)
    pthread_cond_wait(&j->room, &j->lock);
  j->calls_held++;
  pthread_mutex_unlock(&j->lock);
}

static void locked_drop_hold(vf_judge *j) {
  pthread_mutex_lock(&j->lock);
  drop_hold(j);
  pthread_mutex_unlock(&j->lock);
}

/* Answers r from a cache, or waits on a call in flight, or makes one. */
static void route(vf_judge *j, vf_judge_req *r, vf_judge_waiter *w,
                  const unsigned char key[32], const vf_buf *prompt) {
  if (locked_from_memory(j, r, w, key) || from_db(j, r, key))
    return;
  take_hold(j);
  vf_judge_call *c = new_call(j, prompt->data, prompt->len);
  if (!c) {
    locked_drop_hold(j);
    fill_error(r, "out of memory");
    return;
  }
  memcpy(c->node.key, key, 32);
  pthread_mutex_lock(&j->lock);
  bool hit = from_memory(j, r, w, key); /* another thread may have been first */
  bool ok = hit || vf_judge_map_put(&j->inflight, &c->node) == 0;
  if (ok && !hit) {
    attach(c, w);
    w->first = true;
    j->stats.calls++;
  } else {
    drop_hold(j);
  }
  pthread_mutex_unlock(&j->lock);
  if (ok && !hit) {
    vf_judge_client_submit(j->client, c);
    return;
  }
  vf_judge_call_free(c);
  if (!ok)
    fill_error(r, "out of memory");
}

/* ---- the batch ----------------------------------------------------------- */

static void start_one(vf_judge *j, vf_judge_req *r, vf_judge_waiter *w,
                      unsigned char key[32], vf_buf *prompt) {
  const char *bad = bad_input(r);
  if (bad) {
    fill_error(r, bad);
    return;
  }
  vf_buf_reset(prompt);
  if (render(j, r, prompt)) {
    fill_error(r, "out of memory");
    return;
  }
  make_key(j, prompt, key);
  route(j, r, w, key, prompt);
}

/* Stores the new verdicts of a finished batch in the SQLite file. */
static void store(vf_judge *j, const vf_judge_req *reqs,
                  const vf_judge_waiter *w, const unsigned char *keys,
                  size_t n) {
  vf_judge_db_row *rows = j->db ? malloc(n * sizeof *rows) : NULL;
  size_t k = 0;
  if (!rows)
    return;
  for (size_t i = 0; i < n; i++)
    if (w[i].first && reqs[i].status != VF_JUDGE_ERROR)
      rows[k++] = (vf_judge_db_row){keys + 32 * i, reqs[i].status,
                                    reqs[i].score};
  vf_judge_db_put(j->db, rows, k); /* best effort: a cache */
  free(rows);
}

static void wait_batch(vf_judge *j, batch *b, const vf_judge_req *reqs,
                       size_t n) {
  pthread_mutex_lock(&j->lock);
  while (b->remaining > 0)
    pthread_cond_wait(&b->cond, &j->lock);
  for (size_t i = 0; i < n; i++) {
    j->stats.unparsed += reqs[i].status == VF_JUDGE_UNPARSED;
    j->stats.errors += reqs[i].status == VF_JUDGE_ERROR;
  }
  pthread_mutex_unlock(&j->lock);
}

vf_status vf_judge_run(vf_judge *j, vf_judge_req *reqs, size_t n,
                       vf_error *err) {
  if (!j || (!reqs && n))
    return vf_set_error(err, VF_EINVAL, "vf_judge_run: NULL argument");
  for (size_t i = 0; i < n; i++)
    reset_out(&reqs[i]);
  batch b = {.remaining = 0};
  vf_judge_waiter *w = calloc(n ? n : 1, sizeof *w);
  unsigned char *keys = malloc(n ? 32 * n : 1);
  vf_buf prompt = {0};
  vf_status st = VF_OK;
  if (!w || !keys) {
    for (size_t i = 0; i < n; i++)
      fill_error(&reqs[i], "out of memory");
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
    goto done;
  }
  pthread_cond_init(&b.cond, NULL);
  pthread_mutex_lock(&j->lock);
  j->stats.requests += n;
  pthread_mutex_unlock(&j->lock);
  for (size_t i = 0; i < n; i++) {
    w[i] = (vf_judge_waiter){.b = &b, .req = &reqs[i]};
    start_one(j, &reqs[i], &w[i], keys + 32 * i, &prompt);
  }
  wait_batch(j, &b, reqs, n);
  store(j, reqs, w, keys, n);
  pthread_cond_destroy(&b.cond);
done:
  vf_buf_free(&prompt);
  free(w);
  free(keys);
  return st;
}

char *vf_judge_render(const vf_judge *j, const vf_judge_req *r, size_t *len) {
  vf_buf out = {0};
  if (!j || !r || bad_input(r) || render(j, r, &out)) {
    vf_buf_free(&out);
    return NULL;
  }
  if (len)
    *len = out.len;
  return out.data;
}

/* ---- the raw call -------------------------------------------------------- */

static vf_status raw_outcome(vf_judge_call *c, char **reply, vf_error *err) {
  if (c->failed)
    return vf_set_error(err, c->fail_code, "judge: %s", c->error);
  size_t n;
  const char *t = vf_judge_after_think(c->content.data, c->content.len, &n);
  *reply = malloc(n + 1);
  if (!*reply)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  memcpy(*reply, t, n);
  (*reply)[n] = '\0';
  return VF_OK;
}

vf_status vf_judge_complete(vf_judge *j, const char *prompt, size_t len,
                            char **reply, vf_error *err) {
  if (!j || (!prompt && len) || !reply)
    return vf_set_error(err, VF_EINVAL, "vf_judge_complete: NULL argument");
  *reply = NULL;
  if (len && !vf_utf8_valid(prompt, len, NULL))
    return vf_set_error(err, VF_EUTF8, "judge: prompt is not valid UTF-8");
  take_hold(j);
  vf_judge_call *c = new_call(j, prompt ? prompt : "", len);
  if (!c) {
    locked_drop_hold(j);
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  }
  batch b = {.remaining = 1};
  vf_judge_waiter w = {.b = &b};
  c->raw = true;
  c->waiters = &w;
  pthread_cond_init(&b.cond, NULL);
  pthread_mutex_lock(&j->lock);
  j->stats.requests++;
  j->stats.calls++;
  pthread_mutex_unlock(&j->lock);
  vf_judge_client_submit(j->client, c);
  pthread_mutex_lock(&j->lock);
  while (b.remaining > 0)
    pthread_cond_wait(&b.cond, &j->lock);
  j->stats.errors += w.call->failed;
  pthread_mutex_unlock(&j->lock);
  pthread_cond_destroy(&b.cond);
  vf_status st = raw_outcome(w.call, reply, err);
  vf_judge_call_free(w.call);
  return st;
}

/* ---- life cycle ---------------------------------------------------------- */

static vf_status check_opts(const vf_judge_opts *o, vf_error *err) {
  if (!o)
    return vf_set_error(err, VF_EINVAL, "judge: no options");
  if (!o->model || !*o->model || !vf_utf8_valid(o->model, strlen(o->model),
                                                NULL))
    return vf_set_error(err, VF_EINVAL, "judge: a model name is required");
  if (!o->urls || !*o->urls)
    return vf_set_error(err, VF_EINVAL, "judge: no server URL");
  if (o->concurrency < 0 || o->timeout_s < 0 || o->retries < -1 ||
      o->max_tokens < 0 || o->backoff_s < 0)
    return vf_set_error(err, VF_EINVAL,
                        "judge: concurrency, timeout_s, retries, max_tokens "
                        "and backoff_s cannot be negative");
  return VF_OK;
}

static vf_judge_opts with_defaults(const vf_judge_opts *o) {
  vf_judge_opts d = *o;
  d.concurrency = d.concurrency ? d.concurrency : 64;
  d.timeout_s = d.timeout_s > 0 ? d.timeout_s : 300;
  d.retries = d.retries < 0 ? 3 : d.retries;
  d.lru_entries = d.lru_entries ? d.lru_entries : 100000;
  d.max_tokens = d.max_tokens ? d.max_tokens : 4096;
  d.backoff_s = d.backoff_s > 0 ? d.backoff_s : 0.5;
  return d;
}

static vf_status build(vf_judge *j, const vf_judge_opts *o, vf_error *err) {
  j->model = strdup(o->model);
  j->api_key = o->api_key && *o->api_key ? strdup(o->api_key) : NULL;
  j->lru = vf_judge_lru_new(o->lru_entries);
  if (!j->model || !j->lru || (o->api_key && *o->api_key && !j->api_key))
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  vf_status st = vf_judge_tpl_load(o, &j->tpl, err);
  if (!st && o->cache_file)
    st = vf_judge_db_open(o->cache_file, &j->db, err);
  if (!st)
    st = vf_judge_client_new(o, on_done, j, &j->client, err);
  return st;
}

vf_status vf_judge_new(const vf_judge_opts *o, vf_judge **out, vf_error *err) {
  if (!out)
    return vf_set_error(err, VF_EINVAL, "vf_judge_new: NULL argument");
  *out = NULL;
  vf_status st = check_opts(o, err);
  if (st)
    return st;
  vf_judge_opts d = with_defaults(o);
  vf_judge *j = calloc(1, sizeof *j);
  if (!j)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  pthread_mutex_init(&j->lock, NULL);
  pthread_cond_init(&j->room, NULL);
  j->max_tokens = d.max_tokens;
  j->max_calls = 4 * (size_t)d.concurrency > 1024 ? 4 * (size_t)d.concurrency
                                                  : 1024;
  st = build(j, &d, err);
  if (st) {
    vf_judge_free(j);
    return st;
  }
  *out = j;
  return VF_OK;
}

void vf_judge_free(vf_judge *j) {
  if (!j)
    return;
  vf_judge_client_free(j->client); /* no call may be running: none left */
  vf_judge_db_close(j->db);
  vf_judge_lru_free(j->lru);
  vf_judge_map_free(&j->inflight);
  vf_judge_tpl_free(&j->tpl);
  if (j->api_key)
    explicit_bzero(j->api_key, strlen(j->api_key));
  free(j->api_key);
  free(j->model);
  pthread_cond_destroy(&j->room);
  pthread_mutex_destroy(&j->lock);
  free(j);
}

void vf_judge_get_stats(vf_judge *j, vf_judge_stats *out) {
  if (!j || !out) {
    if (out)
      memset(out, 0, sizeof *out);
    return;
  }
  pthread_mutex_lock(&j->lock);
  *out = j->stats;
  pthread_mutex_unlock(&j->lock);
}
