/*
 * client.c: the judge's HTTP side.  One event thread per vf_judge drives
 * libcurl's multi interface: calls queued by judge.c start while fewer than
 * `concurrency` are in flight, go to the base URL with the fewest
 * outstanding requests (skipping one that just refused connections), are
 * retried with jittered exponential backoff (or Retry-After) on connection
 * errors, 5xx and 429 within the request's deadline, and come back to
 * judge.c through done() with their content or the reason they failed.
 */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "judge/judge_int.h"

enum { MAX_REPLY = 64 << 20, EXCERPT = 80 };
#define CONNECT_TIMEOUT_S 10.0
#define MAX_BACKOFF_S 30.0

typedef struct url_state {
  char *url;         /* base + "/chat/completions" */
  int outstanding;   /* requests in flight to it */
  int failures;      /* consecutive connection failures */
  double down_until; /* avoided until then */
} url_state;

typedef struct fifo {
  vf_judge_call *head, *tail;
} fifo;

struct vf_judge_client {
  url_state *urls;
  size_t nurls;
  struct curl_slist *headers;
  char *auth;      /* "Authorization: Bearer ...": wiped before free */
  const char *key; /* the API key inside auth, or NULL */
  int concurrency, retries;
  double timeout_s, backoff_s;
  vf_judge_done_fn done;
  void *done_arg;
  CURLM *multi;
  pthread_t thread;
  bool started, global;
  pthread_mutex_t lock; /* guards submitted and stopping */
  fifo submitted;
  bool stopping;
  /* the event thread's own */
  fifo ready;
  vf_judge_call *delayed; /* waiting for a retry, sorted by due */
  vf_judge_call **running; /* the `active` calls in flight */
  int active;
  CURL **idle;
  int nidle;
  uint64_t rng;
  unsigned tie;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void push(fifo *q, vf_judge_call *c) {
  c->next = NULL;
  if (q->tail)
    q->tail->next = c;
  else
    q->head = c;
  q->tail = c;
}

static vf_judge_call *pop(fifo *q) {
  vf_judge_call *c = q->head;
  if (c) {
    q->head = c->next;
    if (!q->head)
      q->tail = NULL;
    c->next = NULL;
  }
  return c;
}

void vf_judge_call_free(vf_judge_call *c) {
  if (!c)
    return;
  free(c->body);
  vf_buf_free(&c->reply);
  vf_buf_free(&c->content);
  free(c);
}

/* ---- outcomes ------------------------------------------------------------ */

static void finish(vf_judge_client *cl, vf_judge_call *c) {
  cl->done(cl->done_arg, c);
}

static void fail(vf_judge_client *cl, vf_judge_call *c, vf_status code,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(vf_judge_client *cl, vf_judge_call *c, vf_status code,
                 const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->error, sizeof c->error, fmt, ap);
  va_end(ap);
  c->failed = true;
  c->fail_code = code;
  finish(cl, c);
}

static void fail_timeout(vf_judge_client *cl, vf_judge_call *c) {
  fail(cl, c, VF_EIO, "timeout after %g s", cl->timeout_s);
}

/* The first bytes of a body, printable ASCII only, for messages. */
static void excerpt(const vf_buf *b, char *out, size_t size) {
  size_t n = b->len < EXCERPT ? b->len : EXCERPT, k = 0;
  for (size_t i = 0; i < n && k + 1 < size; i++) {
    unsigned char ch = (unsigned char)b->data[i];
    out[k++] = ch >= 0x20 && ch < 0x7F ? (char)ch : ' ';
  }
  out[k] = '\0';
}

static void note_http(vf_judge_client *cl, vf_judge_call *c, long code) {
  char ex[EXCERPT + 1];
  if (c->reply.len) /* a server could echo the key: never let it out */
    vf_judge_redact_mem(c->reply.data, c->reply.len, cl->key);
  excerpt(&c->reply, ex, sizeof ex);
  snprintf(c->note, sizeof c->note, "HTTP %ld from %.100s: %s", code,
           cl->urls[c->url].url, ex);
}

/* ---- retries ------------------------------------------------------------- */

static double jitter(vf_judge_client *cl) { /* uniform in [0.5, 1) */
  cl->rng ^= cl->rng << 13;
  cl->rng ^= cl->rng >> 7;
  cl->rng ^= cl->rng << 17;
  return 0.5 + (double)(cl->rng >> 11) * 0x1p-53 * 0.5;
}

static double backoff(vf_judge_client *cl, int attempts) {
  double d = cl->backoff_s * ldexp(1.0, attempts - 1);
  return (d > MAX_BACKOFF_S ? MAX_BACKOFF_S : d) * jitter(cl);
}

static void delay(vf_judge_client *cl, vf_judge_call *c) {
  vf_judge_call **p = &cl->delayed;
  while (*p && (*p)->due <= c->due)
    p = &(*p)->next;
  c->next = *p;
  *p = c;
}

/* After a retryable failure (c->note says which): again later, or give up. */
static void retry(vf_judge_client *cl, vf_judge_call *c, double retry_after,
                  double t) {
  if (c->attempts > cl->retries) {
    fail(cl, c, VF_EIO, "%s (after %d attempts)", c->note, c->attempts);
    return;
  }
  double d = retry_after > 0 ? retry_after : backoff(cl, c->attempts);
  if (t + d >= c->deadline) {
    fail(cl, c, VF_EIO, "%s (no time left for retry %d)", c->note,
         c->attempts);
    return;
  }
  c->due = t + d;
  delay(cl, c);
}

/* Errors that another attempt cannot cure. */
static bool final_curl_error(CURLcode rc) {
  return rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ||
         rc == CURLE_OUT_OF_MEMORY || rc == CURLE_WRITE_ERROR ||
         rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_BAD_FUNCTION_ARGUMENT;
}

static void transport_failure(vf_judge_client *cl, vf_judge_call *c,
                              CURLcode rc, double t) {
  url_state *u = &cl->urls[c->url];
  if (rc == CURLE_OPERATION_TIMEDOUT && t >= c->deadline - 0.05) {
    fail_timeout(cl, c);
    return;
  }
  if (rc == CURLE_WRITE_ERROR && c->too_big) {
    fail(cl, c, VF_EIO, "reply larger than %d MiB from %.100s", MAX_REPLY >> 20,
         u->url);
    return;
  }
  snprintf(c->note, sizeof c->note, "connection error: %.200s",
           c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
  if (final_curl_error(rc)) {
    fail(cl, c, VF_EIO, "%s", c->note);
    return;
  }
  u->failures++;
  u->down_until = t + (u->failures > 5 ? 16.0 : ldexp(1.0, u->failures - 1));
  retry(cl, c, 0, t);
}

static void http_reply(vf_judge_client *cl, vf_judge_call *c, long code,
                       double retry_after, double t) {
  if (code == 429 || code >= 500) {
    note_http(cl, c, code);
    retry(cl, c, retry_after, t);
    return;
  }
  if (code != 200) {
    note_http(cl, c, code);
    fail(cl, c, VF_EIO, "%s", c->note);
    return;
  }
  char why[200];
  if (vf_judge_parse_reply(c->reply.data, c->reply.len, &c->content, why,
                           sizeof why)) {
    fail(cl, c, VF_EJSON, "malformed reply: %s", why);
    return;
  }
  finish(cl, c);
}

/* ---- transfers ----------------------------------------------------------- */

static size_t on_write(char *p, size_t size, size_t n, void *ud) {
  vf_judge_call *c = ud;
  size_t len = size * n;
  if (c->reply.len + len > MAX_REPLY) {
    c->too_big = true;
    return 0;
  }
  return vf_buf_append(&c->reply, p, len) ? 0 : len;
}

static CURL *take_easy(vf_judge_client *cl) {
  if (cl->nidle > 0)
    return cl->idle[--cl->nidle];
  CURL *e = curl_easy_init();
  if (!e)
    return NULL;
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, cl->headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  return e;
}

static void give_easy(vf_judge_client *cl, CURL *e) {
  if (cl->nidle < cl->concurrency)
    cl->idle[cl->nidle++] = e;
  else
    curl_easy_cleanup(e);
}

/* The URL to use: healthy first, then the fewest outstanding; ties rotate. */
static int pick_url(vf_judge_client *cl, double t) {
  int best = -1;
  for (size_t k = 0; k < cl->nurls; k++) {
    int i = (int)((cl->tie + k) % cl->nurls);
    bool up = cl->urls[i].down_until <= t;
    bool best_up = best >= 0 && cl->urls[best].down_until <= t;
    if (best < 0 || (up && !best_up) ||
        (up == best_up &&
         cl->urls[i].outstanding < cl->urls[best].outstanding))
      best = i;
  }
  cl->tie++;
  return best;
}

static void set_attempt(vf_judge_client *cl, vf_judge_call *c, CURL *e,
                        double left) {
  long ms = (long)ceil(left * 1000.0);
  long cms = left < CONNECT_TIMEOUT_S ? ms : (long)(CONNECT_TIMEOUT_S * 1000);
  curl_easy_setopt(e, CURLOPT_URL, cl->urls[c->url].url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_PRIVATE, c);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cms > 0 ? cms : 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
}

static void start(vf_judge_client *cl, vf_judge_call *c, double t) {
  if (c->attempts == 0)
    c->deadline = t + cl->timeout_s;
  if (t >= c->deadline) {
    fail_timeout(cl, c);
    return;
  }
  CURL *e = take_easy(cl);
  if (!e) {
    fail(cl, c, VF_EIO, "%s", "out of memory starting a transfer");
    return;
  }
  c->url = pick_url(cl, t);
  c->errbuf[0] = '\0';
  c->too_big = false;
  vf_buf_reset(&c->reply);
  set_attempt(cl, c, e, c->deadline - t);
  if (curl_multi_add_handle(cl->multi, e) != CURLM_OK) {
    give_easy(cl, e);
    fail(cl, c, VF_EIO, "%s", "curl_multi_add_handle failed");
    return;
  }
  c->easy = e;
  c->attempts++;
  cl->urls[c->url].outstanding++;
  c->slot = cl->active;
  cl->running[cl->active++] = c;
}

/* Starts what may start: due retries first, then new calls in order. */
static void start_ready(vf_judge_client *cl) {
  double t = now();
  while (cl->active < cl->concurrency) {
    vf_judge_call *c = NULL;
    if (cl->delayed && cl->delayed->due <= t) {
      c = cl->delayed;
      cl->delayed = c->next;
      c->next = NULL;
    } else {
      c = pop(&cl->ready);
    }
    if (!c)
      break;
    start(cl, c, t);
  }
}

/* Ends c's transfer: its handle goes back to the pool, its slot is freed. */
static void detach(vf_judge_client *cl, vf_judge_call *c) {
  curl_multi_remove_handle(cl->multi, c->easy);
  give_easy(cl, c->easy);
  c->easy = NULL;
  cl->urls[c->url].outstanding--;
  vf_judge_call *last = cl->running[--cl->active];
  cl->running[c->slot] = last;
  last->slot = c->slot;
}

static void on_message(vf_judge_client *cl, CURLMsg *m) {
  CURL *e = m->easy_handle;
  CURLcode rc = m->data.result;
  char *priv = NULL;
  long code = 0;
  curl_off_t retry_after = 0;
  curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &retry_after);
  vf_judge_call *c = (vf_judge_call *)(void *)priv;
  detach(cl, c);
  double t = now();
  if (rc != CURLE_OK) {
    transport_failure(cl, c, rc, t);
    return;
  }
  cl->urls[c->url].failures = 0;
  cl->urls[c->url].down_until = 0;
  http_reply(cl, c, code, (double)retry_after, t);
}

static void drain(vf_judge_client *cl) {
  for (;;) {
    int left;
    CURLMsg *m = curl_multi_info_read(cl->multi, &left);
    if (!m)
      break;
    if (m->msg == CURLMSG_DONE)
      on_message(cl, m);
  }
}

/* Moves submitted calls to the ready queue; true when stopping. */
static bool take_submitted(vf_judge_client *cl) {
  pthread_mutex_lock(&cl->lock);
  bool stop = cl->stopping;
  vf_judge_call *c = pop(&cl->submitted);
  while (c) {
    push(&cl->ready, c);
    c = pop(&cl->submitted);
  }
  pthread_mutex_unlock(&cl->lock);
  return stop;
}

static int poll_ms(vf_judge_client *cl) {
  if (!cl->delayed)
    return 1000;
  double ms = ceil((cl->delayed->due - now()) * 1000.0);
  return ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

/* At shutdown: every call still held ends as an error. */
static void abort_all(vf_judge_client *cl) {
  while (cl->active > 0) {
    vf_judge_call *c = cl->running[cl->active - 1];
    detach(cl, c);
    fail(cl, c, VF_EIO, "%s", "judge shut down");
  }
  take_submitted(cl);
  for (vf_judge_call *c = pop(&cl->ready); c; c = pop(&cl->ready))
    fail(cl, c, VF_EIO, "%s", "judge shut down");
  while (cl->delayed) {
    vf_judge_call *c = cl->delayed;
    cl->delayed = c->next;
    fail(cl, c, VF_EIO, "%s", "judge shut down");
  }
}

static void *event_loop(void *arg) {
  vf_judge_client *cl = arg;
  while (!take_submitted(cl)) {
    int running;
    start_ready(cl);
    curl_multi_perform(cl->multi, &running);
    drain(cl);
    start_ready(cl);
    curl_multi_poll(cl->multi, NULL, 0, poll_ms(cl), NULL);
  }
  abort_all(cl);
  return NULL;
}

/* ---- life cycle ---------------------------------------------------------- */

void vf_judge_client_submit(vf_judge_client *cl, vf_judge_call *c) {
  pthread_mutex_lock(&cl->lock);
  push(&cl->submitted, c);
  pthread_mutex_unlock(&cl->lock);
  curl_multi_wakeup(cl->multi);
}

static int add_url(vf_judge_client *cl, const char *s, size_t n) {
  while (n > 0 && s[n - 1] == '/')
    n--;
  size_t size = n + sizeof "/chat/completions";
  char *u = malloc(size);
  if (!u)
    return -1;
  snprintf(u, size, "%.*s/chat/completions", (int)n, s);
  cl->urls[cl->nurls++].url = u;
  return 0;
}

/* Splits "a, b,c" into the URL table. */
static vf_status parse_urls(vf_judge_client *cl, const char *urls,
                            vf_error *err) {
  size_t max = 1;
  for (const char *p = urls; *p; p++)
    max += *p == ',';
  cl->urls = calloc(max, sizeof *cl->urls);
  if (!cl->urls)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (const char *p = urls; *p;) {
    size_t n = strcspn(p, ",");
    size_t b = 0, e = n;
    while (b < e && (p[b] == ' ' || p[b] == '\t'))
      b++;
    while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
      e--;
    if (e > b && add_url(cl, p + b, e - b))
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    p += n + (p[n] == ',');
  }
  if (cl->nurls == 0)
    return vf_set_error(err, VF_EINVAL, "judge: no base URL in urls");
  return VF_OK;
}

static vf_status make_headers(vf_judge_client *cl, const char *key,
                              vf_error *err) {
  static const char *const fixed[] = {"Content-Type: application/json",
                                      "Accept: application/json", "Expect:"};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    struct curl_slist *l = curl_slist_append(cl->headers, fixed[i]);
    if (!l)
      return vf_set_error(err, VF_ENOMEM, "out of memory");
    cl->headers = l;
  }
  if (!key || !*key)
    return VF_OK;
  size_t n = strlen(key) + sizeof "Authorization: Bearer ";
  cl->auth = malloc(n);
  if (!cl->auth)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  snprintf(cl->auth, n, "Authorization: Bearer %s", key);
  cl->key = cl->auth + strlen("Authorization: Bearer ");
  struct curl_slist *l = curl_slist_append(cl->headers, cl->auth);
  if (!l)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  cl->headers = l;
  return VF_OK;
}

static vf_status setup(vf_judge_client *cl, const vf_judge_opts *o,
                       vf_error *err) {
  vf_status st = parse_urls(cl, o->urls, err);
  if (!st)
    st = make_headers(cl, o->api_key, err);
  if (st)
    return st;
  cl->idle = calloc((size_t)cl->concurrency, sizeof *cl->idle);
  cl->running = calloc((size_t)cl->concurrency, sizeof *cl->running);
  cl->multi = curl_multi_init();
  if (!cl->idle || !cl->running || !cl->multi)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  long keep = (long)cl->concurrency + (long)cl->nurls;
  curl_multi_setopt(cl->multi, CURLMOPT_MAXCONNECTS, keep);
  int rc = pthread_create(&cl->thread, NULL, event_loop, cl);
  if (rc)
    return vf_set_error(err, VF_EINTERNAL, "judge: cannot start its thread: %s",
                        strerror(rc));
  cl->started = true;
  return VF_OK;
}

vf_status vf_judge_client_new(const vf_judge_opts *o, vf_judge_done_fn done,
                              void *arg, vf_judge_client **out,
                              vf_error *err) {
  *out = NULL;
  vf_judge_client *cl = calloc(1, sizeof *cl);
  if (!cl)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  pthread_mutex_init(&cl->lock, NULL);
  cl->concurrency = o->concurrency;
  cl->retries = o->retries;
  cl->timeout_s = o->timeout_s;
  cl->backoff_s = o->backoff_s;
  cl->done = done;
  cl->done_arg = arg;
  cl->rng = ((uint64_t)(uintptr_t)cl ^ (uint64_t)time(NULL) << 20 ^
             (uint64_t)getpid()) | 1;
  vf_status st = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
                     ? VF_OK
                     : vf_set_error(err, VF_EINTERNAL, "judge: libcurl "
                                                       "failed to start");
  cl->global = st == VF_OK;
  if (!st)
    st = setup(cl, o, err);
  if (st) {
    vf_judge_client_free(cl);
    return st;
  }
  *out = cl;
  return VF_OK;
}

void vf_judge_client_free(vf_judge_client *cl) {
  if (!cl)
    return;
  if (cl->started) {
    pthread_mutex_lock(&cl->lock);
    cl->stopping = true;
    pthread_mutex_unlock(&cl->lock);
    curl_multi_wakeup(cl->multi);
    pthread_join(cl->thread, NULL);
  }
  for (int i = 0; i < cl->nidle; i++)
    curl_easy_cleanup(cl->idle[i]);
  free(cl->idle);
  free(cl->running);
  if (cl->multi)
    curl_multi_cleanup(cl->multi);
  for (struct curl_slist *l = cl->headers; l; l = l->next)
    if (!strncmp(l->data, "Authorization:", 14)) /* libcurl's copy */
      explicit_bzero(l->data, strlen(l->data));
  curl_slist_free_all(cl->headers);
  if (cl->auth)
    explicit_bzero(cl->auth, strlen(cl->auth));
  free(cl->auth);
  for (size_t i = 0; i < cl->nurls; i++)
    free(cl->urls[i].url);
  free(cl->urls);
  pthread_mutex_destroy(&cl->lock);
  if (cl->global)
    curl_global_cleanup();
  free(cl);
}
