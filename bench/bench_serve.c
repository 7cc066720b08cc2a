/*
 * bench_serve.c: load on `verif serve` from a separate process (run by
 * `make bench`).  It starts build/verif serve --port 0, then:
 *  1. single-item POST /get_reward requests (IFEval labels, GPT-4 responses
 *     from data/ifeval in a chat template) on 64 keep-alive connections for
 *     10 s: requests/s, latency percentiles, and every answer checked
 *     against the reward `verif score` gives for the same item;
 *  2. batch POST /v1/score (1,024 items a request, 2 connections) against
 *     `verif score` on the same items: items/s both ways, rewards equal;
 *  3. with --soak S: S seconds at a fixed rate (default half of 1.), the
 *     server's RSS and p99 every interval (kept out of `make test`).
 * Options: --seconds N --conns N --soak S --rate R --no-batch.  Every loop
 * is bounded by a deadline and a count; loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "text/text.h"

enum { MAX_CONNS = 1024, BATCH = 1024, BATCH_CONNS = 2 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the corpus ---------------------------------------------------------- */

typedef struct corpus {
  size_t n;
  char **item;    /* IFEval item with "response", one JSONL line */
  char **request; /* the whole HTTP request for /get_reward */
  size_t *request_len;
  double *want;   /* reward from `verif score` */
} corpus;

static const char *const chat_pre = "<|im_start|>user\n";
static const char *const chat_mid = "<|im_end|>\n<|im_start|>assistant\n";

/* The /get_reward request of one IFEval prompt and its response. */
static char *get_reward_request(json_t *in, const char *resp, size_t *len) {
  const char *p = json_string_value(json_object_get(in, "prompt"));
  json_t *label = json_pack("{s:O, s:O}", "instruction_id_list",
                            json_object_get(in, "instruction_id_list"),
                            "kwargs", json_object_get(in, "kwargs"));
  char *label_text = json_dumps(label, JSON_COMPACT);
  vf_buf prompt = {0}, query = {0}, http = {0};
  vf_buf_printf(&prompt, "%s%s%s", chat_pre, p, chat_mid);
  vf_buf_printf(&query, "%s%s<|im_end|>", prompt.data, resp);
  json_t *body = json_pack("{s:[s], s:[s], s:[s]}", "query", query.data,
                           "prompts", prompt.data, "labels", label_text);
  char *b = json_dumps(body, JSON_COMPACT);
  vf_buf_printf(&http, "POST /get_reward HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nContent-Length: "
                       "%zu\r\n\r\n%s", strlen(b), b);
  *len = http.len;
  free(b);
  json_decref(body);
  json_decref(label);
  free(label_text);
  vf_buf_free(&prompt);
  vf_buf_free(&query);
  return http.data;
}

/* Pairs input_data with the GPT-4 responses by prompt (prompts without a
 * response are left out). */
static int load_corpus(const char *dir, corpus *c) {
  char path[1200];
  snprintf(path, sizeof path,
           "%.1000s/input_response_data_gpt4_20231107_145030.jsonl", dir);
  json_t *resp = json_object();
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  for (int guard = 0; f && guard < 100000 && getline(&line, &cap, f) > 0; guard++) {
    json_t *r = json_loads(line, 0, NULL);
    json_object_set(resp, json_string_value(json_object_get(r, "prompt")),
                    json_object_get(r, "response"));
    json_decref(r);
  }
  if (f)
    fclose(f);
  snprintf(path, sizeof path, "%.1000s/input_data.jsonl", dir);
  f = fopen(path, "r");
  size_t max = 100000;
  c->item = calloc(max, sizeof *c->item);
  c->request = calloc(max, sizeof *c->request);
  c->request_len = calloc(max, sizeof *c->request_len);
  c->want = calloc(max, sizeof *c->want);
  while (f && c->n < max && getline(&line, &cap, f) > 0) {
    json_t *in = json_loads(line, 0, NULL);
    const char *p = json_string_value(json_object_get(in, "prompt"));
    const char *r = json_string_value(json_object_get(resp, p ? p : ""));
    if (r) {
      json_object_set_new(in, "response", json_string(r));
      c->item[c->n] = json_dumps(in, JSON_COMPACT);
      c->request[c->n] = get_reward_request(in, r, &c->request_len[c->n]);
      c->n++;
    }
    json_decref(in);
  }
  if (f)
    fclose(f);
  free(line);
  json_decref(resp);
  return c->n ? 0 : -1;
}

/* ---- processes ----------------------------------------------------------- */

/* build/bench/bench_serve → build/verif. */
static void verif_path(const char *argv0, char *out, size_t size) {
  char dir[900];
  snprintf(dir, sizeof dir, "%s", argv0);
  for (int up = 0; up < 2; up++) {
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = '\0';
    else
      snprintf(dir, sizeof dir, "%s", up ? "." : "..");
  }
  snprintf(out, size, "%.900s/verif", dir);
}

/* Writes the items (each copy times) and runs `verif score` on them:
 * wall seconds, and the rewards read back into want (NULL: not kept). */
static double run_score(const char *verif, const char *tmp, const corpus *c,
                        int copies, double *want) {
  char in[512], out[512];
  snprintf(in, sizeof in, "%s/items.jsonl", tmp);
  snprintf(out, sizeof out, "%s/records.jsonl", tmp);
  FILE *f = fopen(in, "w");
  for (int k = 0; f && k < copies; k++)
    for (size_t i = 0; i < c->n; i++)
      fprintf(f, "%s\n", c->item[i]);
  if (f)
    fclose(f);
  double t0 = now();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl(verif, verif, "score", "--input", in, "--output", out, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  double took = now() - t0;
  f = fopen(out, "r");
  char *line = NULL;
  size_t cap = 0, i = 0;
  while (want && f && i < c->n && getline(&line, &cap, f) > 0) {
    json_t *r = json_loads(line, 0, NULL);
    want[i++] = json_is_number(json_object_get(r, "reward"))
                    ? json_number_value(json_object_get(r, "reward"))
                    : NAN;
    json_decref(r);
  }
  free(line);
  if (f)
    fclose(f);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? took : -1;
}

typedef struct server {
  pid_t pid;
  int port;
} server;

static int start_server(const char *verif, server *s) {
  int fds[2];
  if (pipe(fds))
    return -1;
  s->pid = fork();
  if (s->pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl(verif, verif, "serve", "--port", "0", "--no-judge", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char line[128];
  size_t n = 0;
  struct pollfd p = {fds[0], POLLIN, 0};
  while (n + 1 < sizeof line && poll(&p, 1, 20000) == 1) {
    if (read(fds[0], line + n, 1) <= 0 || line[n] == '\n')
      break;
    n++;
  }
  line[n] = '\0';
  close(fds[0]);
  const char *colon = strrchr(line, ':');
  s->port = colon && !strncmp(line, "listening on", 12)
                ? (int)strtol(colon + 1, NULL, 10)
                : -1;
  return s->port > 0 ? 0 : -1;
}

static long rss_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6))
      kib = strtol(line + 6, NULL, 10);
  if (f)
    fclose(f);
  return kib;
}

static int connect_port(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

/* ---- the load: many keep-alive connections, one epoll loop ---------------- */

typedef struct conn {
  int fd;
  size_t item;
  double t_sent;
  size_t woff;
  int writing, busy;
  vf_buf in;
} conn;

typedef struct load {
  const corpus *c;
  int port, nconns;
  double rate;      /* requests/s; 0: as fast as answered */
  double end;       /* stop issuing at this time */
  size_t max_reqs;  /* and after this many */
  size_t issued, done, bad_status, mismatched, lost, reconnects;
  float *lat;       /* seconds per answered request */
  size_t nlat, cap_lat;
  double next_issue;
  int ep;
  conn *conns;
  char first_bad[300];
} load;

/* A complete response in b: its length (0: not yet), status and body. */
static size_t parse_response(const vf_buf *b, int *status, const char **body,
                             size_t *body_len, int *close_conn) {
  const char *hdr_end = b->len ? memmem(b->data, b->len, "\r\n\r\n", 4) : NULL;
  if (!hdr_end)
    return 0;
  size_t hlen = (size_t)(hdr_end - b->data) + 4, cl = 0;
  *status = b->len > 12 ? (int)strtol(b->data + 9, NULL, 10) : 0;
  *close_conn = 0;
  for (const char *p = b->data; p && p < hdr_end;) {
    const char *nl = memchr(p, '\n', (size_t)(hdr_end - p));
    if (!strncasecmp(p, "Content-Length:", 15))
      cl = (size_t)strtoul(p + 15, NULL, 10);
    if (!strncasecmp(p, "Connection: close", 17))
      *close_conn = 1;
    p = nl ? nl + 1 : NULL;
  }
  if (b->len < hlen + cl)
    return 0;
  *body = b->data + hlen;
  *body_len = cl;
  return hlen + cl;
}

static void check_answer(load *l, const conn *k, int status, const char *body,
                         size_t len) {
  if (status != 200) {
    if (!l->bad_status++)
      snprintf(l->first_bad, sizeof l->first_bad, "HTTP %d: %.*s", status,
               (int)(len > 200 ? 200 : len), body);
    return;
  }
  const char *r = memmem(body, len, "\"rewards\":[", 11);
  double got = r ? strtod(r + 11, NULL) : NAN;
  double want = l->c->want[k->item];
  int same = isnan(want) ? (r != NULL) : fabs(got - want) < 1e-9;
  if (!same && !l->mismatched++)
    snprintf(l->first_bad, sizeof l->first_bad, "item %zu: got %g, want %g: %.*s",
             k->item, got, want, (int)(len > 200 ? 200 : len), body);
}

static void want_write(load *l, conn *k, int on) {
  struct epoll_event ev = {EPOLLIN | (on ? EPOLLOUT : 0), {.ptr = k}};
  epoll_ctl(l->ep, EPOLL_CTL_MOD, k->fd, &ev);
  k->writing = on;
}

static void pump_write(load *l, conn *k) {
  const char *req = l->c->request[k->item];
  size_t len = l->c->request_len[k->item];
  while (k->woff < len) {
    ssize_t w = write(k->fd, req + k->woff, len - k->woff);
    if (w <= 0) {
      if (w < 0 && errno == EAGAIN && !k->writing)
        want_write(l, k, 1);
      return;
    }
    k->woff += (size_t)w;
  }
  if (k->writing)
    want_write(l, k, 0);
}

static void issue(load *l, conn *k) {
  k->item = l->issued++ % l->c->n;
  k->woff = 0;
  k->busy = 1;
  k->t_sent = now();
  vf_buf_reset(&k->in);
  pump_write(l, k);
}

static int open_conn(load *l, conn *k) {
  k->fd = connect_port(l->port);
  if (k->fd < 0)
    return -1;
  fcntl(k->fd, F_SETFL, O_NONBLOCK);
  struct epoll_event ev = {EPOLLIN, {.ptr = k}};
  epoll_ctl(l->ep, EPOLL_CTL_ADD, k->fd, &ev);
  k->writing = 0;
  return 0;
}

/* Whether a new request may start now (count, deadline, pace). */
static int may_issue(load *l, double t) {
  if (t >= l->end || l->issued >= l->max_reqs)
    return 0;
  return l->rate <= 0 || t >= l->next_issue;
}

static void start_one(load *l, conn *k, double t) {
  if (l->rate > 0)
    l->next_issue = (l->next_issue < t - 1 ? t : l->next_issue) + 1.0 / l->rate;
  issue(l, k);
}

static void finish(load *l, conn *k, size_t used, int close_conn, double t) {
  if (l->nlat < l->cap_lat)
    l->lat[l->nlat++] = (float)(t - k->t_sent);
  l->done++;
  k->busy = 0;
  memmove(k->in.data, k->in.data + used, k->in.len - used);
  k->in.len -= used;
  if (close_conn) {
    close(k->fd);
    l->reconnects++;
    if (open_conn(l, k))
      k->fd = -1;
  }
  if (k->fd >= 0 && may_issue(l, t))
    start_one(l, k, t);
}

static void on_readable(load *l, conn *k) {
  char buf[65536];
  for (int guard = 0; guard < 64; guard++) {
    ssize_t r = read(k->fd, buf, sizeof buf);
    if (r <= 0) {
      if (r == 0 || errno != EAGAIN) { /* the server closed it */
        epoll_ctl(l->ep, EPOLL_CTL_DEL, k->fd, NULL);
        close(k->fd);
        l->lost += k->busy;
        k->busy = 0;
        k->fd = -1;
      }
      return;
    }
    vf_buf_append(&k->in, buf, (size_t)r);
  }
}

static void on_event(load *l, conn *k, uint32_t ev) {
  if (ev & EPOLLOUT)
    pump_write(l, k);
  if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  on_readable(l, k);
  int status, close_conn;
  const char *body;
  size_t blen, used = parse_response(&k->in, &status, &body, &blen, &close_conn);
  if (used && k->busy) {
    check_answer(l, k, status, body, blen);
    finish(l, k, used, close_conn, now());
  }
}

/* Idle connections start requests when the pace allows. */
static void start_idle(load *l, double t) {
  for (int i = 0; i < l->nconns && may_issue(l, t); i++)
    if (l->conns[i].fd >= 0 && !l->conns[i].busy)
      start_one(l, &l->conns[i], t);
}

static int busy_count(const load *l) {
  int n = 0;
  for (int i = 0; i < l->nconns; i++)
    n += l->conns[i].fd >= 0 && l->conns[i].busy;
  return n;
}

/* Runs until the deadline, then waits up to 30 s for the answers. */
static void run_load(load *l) {
  struct epoll_event evs[256];
  l->ep = epoll_create1(0);
  l->conns = calloc((size_t)l->nconns, sizeof *l->conns);
  for (int i = 0; i < l->nconns; i++)
    if (open_conn(l, &l->conns[i]))
      l->conns[i].fd = -1;
  l->next_issue = now();
  start_idle(l, now());
  double hard_end = l->end + 30;
  for (double t = now(); t < hard_end; t = now()) {
    if (t >= l->end && busy_count(l) == 0)
      break;
    int timeout = l->rate > 0 ? 1 : 100;
    int n = epoll_wait(l->ep, evs, 256, timeout);
    for (int i = 0; i < n; i++)
      on_event(l, evs[i].data.ptr, evs[i].events);
    if (l->rate > 0 || n == 0)
      start_idle(l, now());
  }
  l->lost += (size_t)busy_count(l);
  for (int i = 0; i < l->nconns; i++) {
    if (l->conns[i].fd >= 0)
      close(l->conns[i].fd);
    vf_buf_free(&l->conns[i].in);
  }
  free(l->conns);
  close(l->ep);
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

static double pct(float *v, size_t n, double p) {
  if (!n)
    return NAN;
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i];
}

static void report_load(const char *what, load *l, double secs) {
  qsort(l->lat, l->nlat, sizeof *l->lat, cmp_float);
  printf("%s: %zu requests in %.1f s = %.0f requests/s on %d connections\n",
         what, l->done, secs, (double)l->done / secs, l->nconns);
  printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
         pct(l->lat, l->nlat, 0.5) * 1e3, pct(l->lat, l->nlat, 0.9) * 1e3,
         pct(l->lat, l->nlat, 0.99) * 1e3, pct(l->lat, l->nlat, 1.0) * 1e3);
  printf("  answers: %zu checked against verif score, %zu mismatched, %zu "
         "non-200, %zu lost, %zu reconnects%s%s\n",
         l->done, l->mismatched, l->bad_status, l->lost, l->reconnects,
         l->first_bad[0] ? "; first: " : "", l->first_bad);
}

/* ---- batch /v1/score --------------------------------------------------------- */

typedef struct batch_run {
  const corpus *c;
  int port, copies;
  atomic_size_t next; /* next batch index */
  size_t nbatches;
  vf_buf *req, *answer; /* per batch; built and checked outside the timing */
  int *status;
  size_t items_ok, mismatched, failed;
} batch_run;

/* Sends one request on fd and reads the whole answer into out. */
static int roundtrip(int fd, const vf_buf *req, vf_buf *out, int *status) {
  for (size_t off = 0; off < req->len;) {
    ssize_t w = write(fd, req->data + off, req->len - off);
    if (w <= 0)
      return -1;
    off += (size_t)w;
  }
  vf_buf_reset(out);
  char buf[65536];
  for (int guard = 0; guard < 1000000; guard++) {
    int cc;
    const char *body;
    size_t blen;
    size_t used = parse_response(out, status, &body, &blen, &cc);
    if (used)
      return (int)(body - out->data);
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0)
      return -1;
    vf_buf_append(out, buf, (size_t)r);
  }
  return -1;
}

static void batch_request(const batch_run *b, size_t k, vf_buf *req) {
  size_t start = k * BATCH, total = b->c->n * (size_t)b->copies;
  size_t end = start + BATCH < total ? start + BATCH : total;
  vf_buf body = {0};
  vf_buf_append(&body, "{\"items\":[", 10);
  for (size_t i = start; i < end; i++) {
    if (i > start)
      vf_buf_putc(&body, ',');
    const char *it = b->c->item[i % b->c->n];
    vf_buf_append(&body, it, strlen(it));
  }
  vf_buf_append(&body, "]}", 2);
  vf_buf_reset(req);
  vf_buf_printf(req, "POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-"
                     "Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                body.len);
  vf_buf_append(req, body.data, body.len);
  vf_buf_free(&body);
}

static void check_batch(batch_run *b, size_t k) {
  const char *body = memmem(b->answer[k].data ? b->answer[k].data : "",
                            b->answer[k].len, "\r\n\r\n", 4);
  json_t *v = b->status[k] == 200 && body ? json_loads(body + 4, 0, NULL) : NULL;
  json_t *res = json_object_get(v, "results");
  size_t i;
  json_t *r;
  if (!v)
    b->failed++;
  json_array_foreach(res, i, r) {
    double want = b->c->want[(k * BATCH + i) % b->c->n];
    json_t *got = json_object_get(r, "reward");
    int same = isnan(want) ? json_is_null(got)
                           : fabs(json_number_value(got) - want) < 1e-9;
    if (same)
      b->items_ok++;
    else
      b->mismatched++;
  }
  json_decref(v);
}

static void *batch_worker(void *arg) {
  batch_run *b = arg;
  int fd = connect_port(b->port);
  for (size_t k = atomic_fetch_add(&b->next, 1); fd >= 0 && k < b->nbatches;
       k = atomic_fetch_add(&b->next, 1))
    if (roundtrip(fd, &b->req[k], &b->answer[k], &b->status[k]) < 0)
      b->status[k] = -1;
  if (fd >= 0)
    close(fd);
  return NULL;
}

static void bench_batch(const char *verif, const char *tmp, const corpus *c,
                        int port) {
  int copies = 40;
  size_t total = c->n * (size_t)copies;
  double t_start = run_score(verif, tmp, c, 0, NULL); /* an empty input */
  double t_cli = run_score(verif, tmp, c, copies, NULL);
  batch_run b = {.c = c, .port = port, .copies = copies,
                 .nbatches = (total + BATCH - 1) / BATCH};
  b.req = calloc(b.nbatches, sizeof *b.req);
  b.answer = calloc(b.nbatches, sizeof *b.answer);
  b.status = calloc(b.nbatches, sizeof *b.status);
  for (size_t k = 0; k < b.nbatches; k++)
    batch_request(&b, k, &b.req[k]);
  pthread_t th[BATCH_CONNS];
  double t0 = now();
  for (int i = 0; i < BATCH_CONNS; i++)
    pthread_create(&th[i], NULL, batch_worker, &b);
  for (int i = 0; i < BATCH_CONNS; i++)
    pthread_join(th[i], NULL);
  double t_srv = now() - t0;
  for (size_t k = 0; k < b.nbatches; k++) {
    check_batch(&b, k);
    vf_buf_free(&b.req[k]);
    vf_buf_free(&b.answer[k]);
  }
  free(b.req);
  free(b.answer);
  free(b.status);
  printf("batch: %zu items (the item set x %d)\n", total, copies);
  printf("  verif score:      %.2f s = %.0f items/s; without its start (%.2f s, "
         "an empty input): %.0f items/s\n", t_cli, (double)total / t_cli,
         t_start, (double)total / (t_cli - t_start));
  printf("  POST /v1/score:   %.2f s = %.0f items/s (%d items a request, %d "
         "connections)\n", t_srv, (double)total / t_srv, BATCH, BATCH_CONNS);
  printf("  server / verif score: %.2f with its start, %.2f without\n",
         t_cli / t_srv, (t_cli - t_start) / t_srv);
  printf("  answers: %zu equal to verif score, %zu mismatched, %zu failed "
         "requests\n", b.items_ok, b.mismatched, b.failed);
}

/* ---- soak -------------------------------------------------------------------- */

static void soak(const corpus *c, const server *s, double secs, double rate) {
  double interval = secs >= 120 ? 30 : secs / 4;
  printf("soak: %.0f s at %.0f requests/s, 64 connections; server RSS and "
         "p99 every %.0f s\n", secs, rate, interval);
  printf("  %8s %10s %10s %10s %8s %8s\n", "t (s)", "requests", "req/s",
         "RSS (KiB)", "p99 ms", "errors");
  size_t total = 0, errors = 0;
  long rss0 = rss_kib(s->pid), rss_max = rss0;
  for (double t = 0; t + interval / 2 < secs; t += interval) {
    load l = {.c = c, .port = s->port, .nconns = 64, .rate = rate,
              .end = now() + interval, .max_reqs = (size_t)(rate * interval * 2),
              .cap_lat = (size_t)(rate * interval * 2) + 16};
    l.lat = malloc(l.cap_lat * sizeof *l.lat);
    double t0 = now();
    run_load(&l);
    qsort(l.lat, l.nlat, sizeof *l.lat, cmp_float);
    long rss = rss_kib(s->pid);
    rss_max = rss > rss_max ? rss : rss_max;
    size_t err = l.mismatched + l.bad_status + l.lost;
    printf("  %8.0f %10zu %10.0f %10ld %8.2f %8zu\n", t + interval, l.done,
           (double)l.done / (now() - t0), rss, pct(l.lat, l.nlat, 0.99) * 1e3,
           err);
    fflush(stdout);
    total += l.done;
    errors += err;
    free(l.lat);
  }
  printf("  total %zu requests, %zu errors; RSS %ld KiB at start, %ld KiB "
         "peak\n", total, errors, rss0, rss_max);
}

/* ---- main ---------------------------------------------------------------------- */

typedef struct args {
  double seconds, soak, rate;
  int conns, batch;
} args;

static int parse_args(int argc, char **argv, args *a) {
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--no-batch")) {
      a->batch = 0;
      continue;
    }
    if (!v)
      return -1;
    double d = strtod(v, NULL);
    if (!strcmp(argv[i], "--seconds"))
      a->seconds = d;
    else if (!strcmp(argv[i], "--conns"))
      a->conns = (int)d;
    else if (!strcmp(argv[i], "--soak"))
      a->soak = d;
    else if (!strcmp(argv[i], "--rate"))
      a->rate = d;
    else
      return -1;
    i++;
  }
  return a->seconds >= 0 && a->conns > 0 && a->conns <= MAX_CONNS ? 0 : -1;
}

int main(int argc, char **argv) {
  args a = {.seconds = 10, .conns = 64, .batch = 1};
  char verif[1024], tmp[] = "/tmp/bench_serve.XXXXXX";
  corpus c = {0};
  server s = {0};
  if (parse_args(argc, argv, &a)) {
    fprintf(stderr, "usage: bench_serve [--seconds N] [--conns N] [--soak S] "
                    "[--rate R] [--no-batch]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  verif_path(argv[0], verif, sizeof verif);
  const char *data = getenv("VERIF_DATA_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/ifeval", data ? data : "data");
  if (!mkdtemp(tmp) || load_corpus(dir, &c) ||
      run_score(verif, tmp, &c, 1, c.want) < 0 || start_server(verif, &s)) {
    fprintf(stderr, "bench_serve: cannot set up (data in %s, %s)\n", dir, verif);
    return 1;
  }
  printf("verif serve (pid %d) on port %d; %zu IFEval items (GPT-4 "
         "responses)\n", (int)s.pid, s.port, c.n);
  double rps = 0;
  if (a.seconds > 0) {
      load l = {.c = &c, .port = s.port, .nconns = a.conns,
              .end = now() + a.seconds,
              .max_reqs = (size_t)(a.seconds * 200000),
              .cap_lat = (size_t)(a.seconds * 200000)};
    l.lat = malloc(l.cap_lat * sizeof *l.lat);
    double t0 = now();
    run_load(&l);
    rps = (double)l.done / (now() - t0);
    report_load("get_reward", &l, now() - t0);
    free(l.lat);
  }
  if (a.batch)
    bench_batch(verif, tmp, &c, s.port);
  if (a.soak > 0)
    soak(&c, &s, a.soak, a.rate > 0 ? a.rate : rps > 0 ? rps / 2 : 1000);
  kill(s.pid, SIGTERM);
  int st = 0;
  waitpid(s.pid, &st, 0);
  printf("server: exit status %d after SIGTERM\n",
         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  static const char *const files[] = {"items.jsonl", "records.jsonl"};
  for (size_t i = 0; i < 2; i++) {
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
    unlink(path);
  }
  rmdir(tmp);
  return 0;
}
