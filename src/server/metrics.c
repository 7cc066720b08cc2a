/*
 * metrics.c: the server's counters and their Prometheus text rendering
 * (GET /metrics): requests by endpoint and status, items by endpoint and
 * outcome, latency histograms per endpoint, check verdicts by kind, and
 * the refusals and timeouts.  Counters are relaxed atomics so the request
 * path never takes a lock; check kinds are a small table under a mutex.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

typedef atomic_ullong counter;

static const int codes[] = {200, 400, 401, 404, 405, 413, 500, 503};
enum { NCODES = sizeof codes / sizeof codes[0] }; /* + 1: other */

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,  0.1,    0.25,  0.5,
                                 1,      2.5,   5,      10,    30,
                                 60,     150,   600};
enum { NBUCKETS = sizeof buckets / sizeof buckets[0] }; /* + 1: +Inf */

static const char *const ep_names[VF_EP_COUNT] = {
    "/v1/score", "/get_reward", "/reward", "/verify",
    "/healthz",  "/metrics",    "/seed_session", "/aggregate_metrics",
    "/reverify_mode", "other"};

static const char *const counter_names[VF_C_COUNT][2] = {
    {"verif_rejected_total{reason=\"busy\"}", "counter"},
    {"verif_rejected_total{reason=\"draining\"}", "counter"},
    {"verif_rejected_total{reason=\"too_many_items\"}", "counter"},
    {"verif_rejected_total{reason=\"body_too_large\"}", "counter"},
    {"verif_rejected_total{reason=\"bad_headers\"}", "counter"},
    {"verif_rejected_total{reason=\"unauthorized\"}", "counter"},
    {"verif_request_timeouts_total", "counter"},
    {"verif_items_timed_out_total", "counter"},
    {"verif_prompt_not_found_total", "counter"},
};

enum { MAX_KINDS = 32, KIND_LEN = 48 };
#define LABEL_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-/"
enum { V_PASS, V_FAIL, V_ERROR, V_NONE, NVERDICTS };
static const char *const verdict_names[NVERDICTS] = {"pass", "fail", "error",
                                                     "none"};

struct vf_metrics {
  counter requests[VF_EP_COUNT][NCODES + 1];
  counter items[VF_EP_COUNT][2];
  counter hist[VF_EP_COUNT][NBUCKETS + 1];
  counter lat_us[VF_EP_COUNT];
  counter counters[VF_C_COUNT];
  pthread_mutex_t kinds_mu;
  size_t nkinds;
  char kinds[MAX_KINDS][KIND_LEN];
  counter verdicts[MAX_KINDS][NVERDICTS];
};

static void add(counter *c, unsigned long long n) {
  atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long long get(counter *c) {
  return atomic_load_explicit(c, memory_order_relaxed);
}

vf_metrics *vf_metrics_new(void) {
  vf_metrics *m = calloc(1, sizeof *m);
  if (m)
    pthread_mutex_init(&m->kinds_mu, NULL);
  return m;
}

void vf_metrics_free(vf_metrics *m) {
  if (!m)
    return;
  pthread_mutex_destroy(&m->kinds_mu);
  free(m);
}

static size_t code_index(int status) {
  for (size_t i = 0; i < NCODES; i++)
    if (codes[i] == status)
      return i;
  return NCODES;
}

void vf_metrics_request(vf_metrics *m, enum vf_endpoint ep, int status,
                        double seconds, size_t ok, size_t err) {
  size_t b = 0;
  while (b < NBUCKETS && seconds > buckets[b])
    b++;
  add(&m->requests[ep][code_index(status)], 1);
  add(&m->hist[ep][b], 1);
  add(&m->lat_us[ep], (unsigned long long)(seconds * 1e6 + 0.5));
  if (ok)
    add(&m->items[ep][0], ok);
  if (err)
    add(&m->items[ep][1], err);
}

void vf_metrics_count(vf_metrics *m, enum vf_counter c, size_t n) {
  add(&m->counters[c], n);
}

/* The row of a check kind (made a plain label value), added on first
 * sight; the last row collects kinds past the table's size. */
static size_t kind_row(vf_metrics *m, const char *kind) {
  char k[KIND_LEN];
  snprintf(k, sizeof k, "%s", kind);
  for (char *p = k; *p; p++)
    if (!strchr(LABEL_CHARS, *p))
      *p = '_';
  pthread_mutex_lock(&m->kinds_mu);
  size_t i = 0;
  while (i < m->nkinds && strcmp(m->kinds[i], k) != 0)
    i++;
  if (i == m->nkinds && i < MAX_KINDS) {
    snprintf(m->kinds[i], KIND_LEN, "%s", i + 1 < MAX_KINDS ? k : "other");
    m->nkinds++;
  }
  pthread_mutex_unlock(&m->kinds_mu);
  return i < MAX_KINDS ? i : MAX_KINDS - 1;
}

static int verdict_index(const json_t *chk) {
  int v = vf_check_verdict(chk);
  return v == 1 ? V_PASS : v == 0 ? V_FAIL : v == -1 ? V_ERROR : V_NONE;
}

static const char *kind_of(const json_t *chk) {
  static const char *const keys[] = {"kind", "type", "source"};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    const char *s = json_string_value(json_object_get(chk, keys[k]));
    if (s)
      return s;
  }
  return "unknown";
}

void vf_metrics_checks(vf_metrics *m, const json_t *checks) {
  size_t i;
  const json_t *chk;
  json_array_foreach(checks, i, chk) {
    if (json_is_object(chk))
      add(&m->verdicts[kind_row(m, kind_of(chk))][verdict_index(chk)], 1);
  }
}

void vf_metrics_record(vf_metrics *m, const char *record) {
  json_t *rec = record ? json_loads(record, 0, NULL) : NULL;
  const json_t *results = json_object_get(rec, "results");
  size_t i;
  const json_t *r;
  vf_metrics_checks(m, json_object_get(rec, "checks"));
  json_array_foreach(results, i, r) vf_metrics_checks(m, json_object_get(r, "checks"));
  json_decref(rec);
}

static int render_requests(vf_metrics *m, vf_buf *o) {
  int rc = vf_buf_printf(o, "# HELP verif_http_requests_total Requests answered, "
                            "by endpoint and status.\n"
                            "# TYPE verif_http_requests_total counter\n");
  for (int ep = 0; ep < VF_EP_COUNT; ep++)
    for (size_t c = 0; c <= NCODES; c++) {
      unsigned long long n = get(&m->requests[ep][c]);
      if (!n && !(c == 0 && ep < VF_EP_HEALTHZ))
        continue;
      char code[8];
      snprintf(code, sizeof code, "%d", c < NCODES ? codes[c] : 0);
      rc |= vf_buf_printf(o, "verif_http_requests_total{endpoint=\"%s\","
                             "code=\"%s\"} %llu\n",
                          ep_names[ep], c < NCODES ? code : "other", n);
    }
  return rc;
}

static int render_items(vf_metrics *m, vf_buf *o) {
  int rc = vf_buf_printf(o, "# HELP verif_items_total Items answered, by "
                            "endpoint and outcome.\n"
                            "# TYPE verif_items_total counter\n");
  for (int ep = 0; ep < VF_EP_HEALTHZ; ep++)
    for (int k = 0; k < 2; k++)
      rc |= vf_buf_printf(o, "verif_items_total{endpoint=\"%s\",outcome=\"%s\"}"
                             " %llu\n",
                          ep_names[ep], k ? "error" : "ok",
                          get(&m->items[ep][k]));
  return rc;
}

static int render_histogram(vf_metrics *m, vf_buf *o, int ep) {
  unsigned long long cum = 0;
  int rc = 0;
  for (size_t b = 0; b <= NBUCKETS; b++) {
    cum += get(&m->hist[ep][b]);
    if (b < NBUCKETS)
      rc |= vf_buf_printf(o, "verif_http_request_duration_seconds_bucket{"
                             "endpoint=\"%s\",le=\"%g\"} %llu\n",
                          ep_names[ep], buckets[b], cum);
    else
      rc |= vf_buf_printf(o, "verif_http_request_duration_seconds_bucket{"
                             "endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                          ep_names[ep], cum);
  }
  rc |= vf_buf_printf(o, "verif_http_request_duration_seconds_sum{endpoint="
                         "\"%s\"} %.6f\n",
                      ep_names[ep], (double)get(&m->lat_us[ep]) / 1e6);
  rc |= vf_buf_printf(o, "verif_http_request_duration_seconds_count{endpoint="
                         "\"%s\"} %llu\n",
                      ep_names[ep], cum);
  return rc;
}

static int render_checks(vf_metrics *m, vf_buf *o) {
  int rc = vf_buf_printf(o, "# HELP verif_checks_total Check verdicts in "
                            "answered records, by kind.\n"
                            "# TYPE verif_checks_total counter\n");
  pthread_mutex_lock(&m->kinds_mu);
  for (size_t k = 0; k < m->nkinds; k++)
    for (int v = 0; v < NVERDICTS; v++)
      rc |= vf_buf_printf(o, "verif_checks_total{kind=\"%s\",verdict=\"%s\"} "
                             "%llu\n",
                          m->kinds[k], verdict_names[v],
                          get(&m->verdicts[k][v]));
  pthread_mutex_unlock(&m->kinds_mu);
  return rc;
}

static int render_counters(vf_metrics *m, vf_buf *o) {
  int rc = vf_buf_printf(o, "# TYPE verif_rejected_total counter\n");
  for (int c = 0; c < VF_C_COUNT; c++) {
    const char *name = counter_names[c][0];
    if (c > VF_C_UNAUTHORIZED)
      rc |= vf_buf_printf(o, "# TYPE %s %s\n", name, counter_names[c][1]);
    rc |= vf_buf_printf(o, "%s %llu\n", name, get(&m->counters[c]));
  }
  return rc;
}

int vf_metrics_render(vf_metrics *m, vf_buf *o) {
  int rc = render_requests(m, o) | render_items(m, o);
  rc |= vf_buf_printf(o, "# HELP verif_http_request_duration_seconds Time "
                         "from a request's arrival to its answer.\n"
                         "# TYPE verif_http_request_duration_seconds "
                         "histogram\n");
  for (int ep = 0; ep < VF_EP_COUNT; ep++)
    rc |= render_histogram(m, o, ep);
  rc |= render_checks(m, o) | render_counters(m, o);
  return rc ? -1 : 0;
}
