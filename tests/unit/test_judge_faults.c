/*
 * test_judge_faults.c: the judge against every fault the test server can
 * script (HTTP 500, 429 with Retry-After, a hang past the deadline,
 * malformed JSON, empty choices, a dropped connection, replies that are all
 * reasoning, a server echoing the API key), a dead URL, bad input and the
 * raw call: no crash, no hang past the deadline, exactly one status per
 * request, explicit reasons, and the API key in no error text.
 */
#include <time.h>
#include <unistd.h>

#include "../judge_server/spawn.h"
#include "harness.h"
#include "judge/judge.h"

#define KEY "sk-test-SECRET-0123456789"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static vf_judge *new_judge(const char *urls, double timeout_s) {
  vf_error e = {0};
  vf_judge_opts o = {.urls = urls, .model = "judge-model", .api_key = KEY,
                     .data_dir = VF_DATA_DIR, .timeout_s = timeout_s,
                     .retries = -1, .backoff_s = 0.05};
  vf_judge *j = NULL;
  CHECKF(vf_judge_new(&o, &j, &e) == VF_OK, "vf_judge_new: %s", e.msg);
  return j;
}

static vf_judge_req req_for(const char *response) {
  static const char *const checkers[] = {"[llm] Tone: be polite."};
  return (vf_judge_req){.instruction = "Write a reply.",
                        .instruction_len = 14,
                        .response = response,
                        .response_len = strlen(response),
                        .checkers = checkers,
                        .ncheckers = 1};
}

typedef struct expect {
  const char *response;
  vf_judge_status status;
  int score;
  const char *error; /* a part of the reason, for errors */
} expect;

static const expect cases[] = {
    {"fine JUDGE:PASS", VF_JUDGE_OK, 1, NULL},
    {"bad JUDGE:FAIL", VF_JUDGE_OK, 0, NULL},
    {"JUDGE:SCORE=3", VF_JUDGE_OK, 3, NULL},
    {"JUDGE:THINK only", VF_JUDGE_UNPARSED, 0, NULL},
    {"JUDGE:THINKPASS", VF_JUDGE_OK, 1, NULL},
    {"JUDGE:429 JUDGE:PASS", VF_JUDGE_OK, 1, NULL},
    {"JUDGE:500", VF_JUDGE_ERROR, 0, "HTTP 500"},
    {"JUDGE:HANG", VF_JUDGE_ERROR, 0, "timeout after 2 s"},
    {"JUDGE:BADJSON", VF_JUDGE_ERROR, 0, "malformed reply: not JSON"},
    {"JUDGE:NOCHOICES", VF_JUDGE_ERROR, 0, "malformed reply: empty"},
    {"JUDGE:RESET", VF_JUDGE_ERROR, 0, "connection error"},
    {"JUDGE:ECHOKEY", VF_JUDGE_ERROR, 0, "bad key: Bearer ****"},
    {"bad UTF-8 \xff", VF_JUDGE_ERROR, 0, "not valid UTF-8"},
};
#define NCASES (sizeof cases / sizeof cases[0])

static void check_case(const expect *x, const vf_judge_req *r) {
  CHECKF(r->status == x->status, "%s: status %d, want %d (%s)", x->response,
         r->status, x->status, r->error);
  CHECKF(r->score == x->score, "%s: score %d", x->response, r->score);
  CHECKF(r->pass == (x->status == VF_JUDGE_OK && x->score >= 1), "%s: pass",
         x->response);
  if (x->error)
    CHECKF(strstr(r->error, x->error) != NULL, "%s: error \"%s\"",
           x->response, r->error);
  CHECKF(!strstr(r->error, KEY) && !strstr(r->error, "SECRET"),
         "%s: the API key leaks: %s", x->response, r->error);
}

static void test_fault_modes(const judge_srv *s) {
  vf_judge *j = new_judge(s->url, 2);
  vf_judge_req reqs[NCASES];
  vf_error e = {0};
  for (size_t i = 0; i < NCASES; i++) {
    reqs[i] = req_for(cases[i].response);
    reqs[i].status = 99; /* must be overwritten */
  }
  double t0 = now();
  CHECK(j && vf_judge_run(j, reqs, NCASES, &e) == VF_OK);
  double wall = now() - t0;
  CHECKF(wall >= 1.0 && wall < 3.5, "batch took %.2f s (deadline 2 s, "
                                    "Retry-After 1 s)",
         wall);
  for (size_t i = 0; i < NCASES; i++)
    check_case(&cases[i], &reqs[i]);
  CHECK(strstr(reqs[6].error, "after 4 attempts") != NULL);
  CHECK(strstr(reqs[10].error, "after 4 attempts") != NULL);
  vf_judge_stats st;
  if (j)
    vf_judge_get_stats(j, &st);
  CHECKF(j && st.requests == NCASES && st.errors == 7 && st.unparsed == 1,
         "stats: requests %llu errors %llu unparsed %llu", st.requests,
         st.errors, st.unparsed);
  /* 500, RESET, ECHOKEY: 3 retries each; 429: 1 */
  CHECKF(j && st.retries == 10, "retries %llu", st.retries);
  vf_judge_free(j);
}

/* Errors are not cached: the same faulty request is sent again. */
static void test_errors_not_cached(const judge_srv *s) {
  vf_judge *j = new_judge(s->url, 2);
  vf_judge_req r = req_for("again JUDGE:NOCHOICES");
  vf_error e = {0};
  long before = judge_srv_stat(s, "requests");
  for (int k = 0; j && k < 2; k++) {
    CHECK(vf_judge_run(j, &r, 1, &e) == VF_OK);
    CHECK(r.status == VF_JUDGE_ERROR && !r.cached);
  }
  CHECK(judge_srv_stat(s, "requests") - before == 2);
  vf_judge_free(j);
}

static void test_complete(const judge_srv *s) {
  vf_judge *j = new_judge(s->url, 2);
  vf_error e = {0};
  char *reply = NULL;
  const char *p = "Say yes. JUDGE:THINKPASS";
  CHECK(j && vf_judge_complete(j, p, strlen(p), &reply, &e) == VF_OK &&
        reply && !strcmp(reply, "[[1]]"));
  free(reply);
  reply = NULL;
  p = "JUDGE:SHOWKEY"; /* the key is sent as a bearer token */
  CHECK(j && vf_judge_complete(j, p, strlen(p), &reply, &e) == VF_OK &&
        reply && !strcmp(reply, "[[1]] Bearer " KEY));
  free(reply);
  reply = NULL;
  p = "JUDGE:ECHOKEY";
  CHECK(j && vf_judge_complete(j, p, strlen(p), &reply, &e) == VF_EIO &&
        !reply && strstr(e.msg, "HTTP 500") && !strstr(e.msg, KEY));
  p = "JUDGE:BADJSON";
  CHECK(j && vf_judge_complete(j, p, strlen(p), &reply, &e) == VF_EJSON &&
        strstr(e.msg, "malformed reply"));
  CHECK(j && vf_judge_complete(j, "\xc3", 1, &reply, &e) == VF_EUTF8);
  vf_judge_free(j);
}

/* A port nobody listens on: connection errors, retried, then an error. */
static void test_dead_url(const judge_srv *live) {
  vf_judge *j = new_judge("http://127.0.0.1:1/v1", 5);
  vf_judge_req r = req_for("JUDGE:PASS");
  vf_error e = {0};
  double t0 = now();
  CHECK(j && vf_judge_run(j, &r, 1, &e) == VF_OK);
  CHECKF(r.status == VF_JUDGE_ERROR && strstr(r.error, "connection error") &&
             strstr(r.error, "after 4 attempts"),
         "dead URL: %s", r.error);
  CHECK(now() - t0 < 3.0);
  vf_judge_free(j);
  /* one dead, one live: every request is judged (retries go elsewhere) */
  char urls[256];
  snprintf(urls, sizeof urls, "http://127.0.0.1:1/v1, %s/", live->url);
  j = new_judge(urls, 5);
  vf_judge_req reqs[16];
  char texts[16][32];
  for (int i = 0; i < 16; i++) {
    snprintf(texts[i], sizeof texts[i], "failover %d JUDGE:PASS", i);
    reqs[i] = req_for(texts[i]);
  }
  CHECK(j && vf_judge_run(j, reqs, 16, &e) == VF_OK);
  int ok = 0;
  for (int i = 0; i < 16; i++)
    ok += reqs[i].status == VF_JUDGE_OK && reqs[i].pass;
  CHECKF(ok == 16, "failover: %d of 16 judged", ok);
  vf_judge_free(j);
}

static void test_no_retries(const judge_srv *s) {
  vf_error e = {0};
  vf_judge_opts o = {.urls = s->url, .model = "m", .data_dir = VF_DATA_DIR,
                     .timeout_s = 2, .retries = 0};
  vf_judge *j = NULL;
  CHECK(vf_judge_new(&o, &j, &e) == VF_OK);
  vf_judge_req r = req_for("no retry JUDGE:500");
  CHECK(j && vf_judge_run(j, &r, 1, &e) == VF_OK);
  CHECKF(r.status == VF_JUDGE_ERROR && strstr(r.error, "after 1 attempts"),
         "retries 0: %s", r.error);
  vf_judge_free(j);
}

int main(int argc, char **argv) {
  char server[1024];
  judge_srv s;
  judge_srv_path(argv[0], server, sizeof server);
  CHECK(judge_srv_start(&s, server, NULL, 0) == 0);
  if (s.port > 0) {
    test_fault_modes(&s);
    test_errors_not_cached(&s);
    test_complete(&s);
    test_dead_url(&s);
    test_no_retries(&s);
  }
  CHECK(judge_srv_stop(&s) == 0);
  return vf_test_summary("judge_faults");
}
