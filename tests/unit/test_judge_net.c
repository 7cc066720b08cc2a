/*
 * test_judge_net.c: the judge's traffic as the test servers see it: never
 * more than `concurrency` requests at once (and 256 at once when asked),
 * connections kept alive and reused, and requests spread over several base
 * URLs by least outstanding requests (evenly over equal servers, mostly to
 * the fast one when one is slow).  A batch bigger than the judge holds at
 * once (1024 calls) waits for room and completes.
 */
#include <time.h>

#include "../judge_server/spawn.h"
#include "harness.h"
#include "judge/judge.h"

enum { MAX_REQS = 5000 };

static vf_judge *new_judge(const char *urls, int concurrency) {
  vf_error e = {0};
  vf_judge_opts o = {.urls = urls, .model = "judge-m",
                     .data_dir = VF_DATA_DIR, .concurrency = concurrency,
                     .timeout_s = 20, .retries = -1};
  vf_judge *j = NULL;
  CHECKF(vf_judge_new(&o, &j, &e) == VF_OK, "vf_judge_new: %s", e.msg);
  return j;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* n distinct requests, all judged; returns the seconds it took. */
static double judge_n(vf_judge *j, size_t n, const char *tag) {
  static vf_judge_req reqs[MAX_REQS];
  static char texts[MAX_REQS][48];
  vf_error e = {0};
  for (size_t i = 0; i < n; i++) {
    snprintf(texts[i], sizeof texts[i], "%s %zu JUDGE:PASS", tag, i);
    reqs[i] = (vf_judge_req){.instruction = "Q", .instruction_len = 1,
                             .response = texts[i],
                             .response_len = strlen(texts[i])};
  }
  double t0 = now();
  CHECK(j && vf_judge_run(j, reqs, n, &e) == VF_OK);
  double wall = now() - t0;
  size_t ok = 0;
  for (size_t i = 0; i < n; i++)
    ok += reqs[i].status == VF_JUDGE_OK && reqs[i].pass;
  CHECKF(ok == n, "%s: %zu of %zu judged", tag, ok, n);
  return wall;
}

static void with_server(const char *exe, int latency_ms, judge_srv *s) {
  CHECK(judge_srv_start(s, exe, NULL, latency_ms) == 0);
}

static void test_limit_and_keepalive(const char *exe) {
  judge_srv s;
  with_server(exe, 100, &s);
  vf_judge *j = new_judge(s.url, 8);
  judge_n(j, 64, "limit");
  long conns = judge_srv_stat(&s, "connections"); /* +1: this stats call */
  long most = judge_srv_stat(&s, "max_in_progress");
  CHECKF(most >= 6 && most <= 8, "server saw %ld at once (limit 8)", most);
  CHECKF(conns >= 2 && conns <= 9, "%ld connections for 64 requests at 8",
         conns);
  vf_judge_free(j);
  judge_srv_stop(&s);
  with_server(exe, 0, &s);
  j = new_judge(s.url, 1);
  judge_n(j, 20, "sequential");
  conns = judge_srv_stat(&s, "connections");
  CHECKF(conns == 2, "keep-alive: %ld connections for 20 requests", conns);
  vf_judge_free(j);
  judge_srv_stop(&s);
}

static void test_256_at_once(const char *exe) {
  judge_srv s;
  with_server(exe, 300, &s);
  vf_judge *j = new_judge(s.url, 256);
  double wall = judge_n(j, 512, "wide");
  long most = judge_srv_stat(&s, "max_in_progress");
  CHECKF(most >= 200 && most <= 256, "server saw %ld at once (limit 256)",
         most);
  CHECKF(wall < 3.0, "512 requests of 0.3 s at 256 took %.2f s", wall);
  vf_judge_free(j);
  judge_srv_stop(&s);
}

static void test_big_batch(const char *exe) {
  judge_srv s;
  with_server(exe, 0, &s);
  vf_judge *j = new_judge(s.url, 4);
  judge_n(j, MAX_REQS, "big");
  CHECK(judge_srv_stat(&s, "requests") == MAX_REQS);
  vf_judge_free(j);
  judge_srv_stop(&s);
}

static void test_spread(const char *exe, int lat_a, int lat_b, size_t n,
                        int concurrency, long *got_a, long *got_b) {
  judge_srv a, b;
  with_server(exe, lat_a, &a);
  with_server(exe, lat_b, &b);
  char urls[160];
  snprintf(urls, sizeof urls, "%s,%s", a.url, b.url);
  vf_judge *j = new_judge(urls, concurrency);
  judge_n(j, n, "spread");
  *got_a = judge_srv_stat(&a, "requests");
  *got_b = judge_srv_stat(&b, "requests");
  CHECKF(*got_a + *got_b == (long)n, "%ld + %ld requests for %zu", *got_a,
         *got_b, n);
  vf_judge_free(j);
  judge_srv_stop(&a);
  judge_srv_stop(&b);
}

int main(int argc, char **argv) {
  char exe[1024];
  long a, b;
  judge_srv_path(argv[0], exe, sizeof exe);
  test_limit_and_keepalive(exe);
  test_256_at_once(exe);
  test_big_batch(exe);
  test_spread(exe, 100, 100, 64, 16, &a, &b);
  CHECKF(a >= 24 && b >= 24, "equal servers got %ld and %ld", a, b);
  test_spread(exe, 20, 300, 80, 8, &a, &b);
  CHECKF(a >= 3 * b && b >= 1, "fast server got %ld, slow one %ld", a, b);
  return vf_test_summary("judge_net");
}
