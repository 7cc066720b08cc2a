/*
 * test_judge_cache.c: how the judge avoids paying twice, against the test
 * server: identical requests in flight are sent once (in one batch and
 * across threads), the LRU answers repeats (and evicts past its size),
 * unparsed verdicts are cached and errors are not, and the SQLite file
 * keeps verdicts across two vf_judge instances, keyed by model and
 * template.  Also: several threads share one judge.
 */
#include <pthread.h>
#include <unistd.h>

#include "../judge_server/spawn.h"
#include "harness.h"
#include "judge/judge.h"

typedef struct judge_cfg {
  const char *url, *model, *tpl, *cache;
  size_t lru;
  int concurrency;
} judge_cfg;

static vf_judge *new_judge(judge_cfg c) {
  vf_error e = {0};
  vf_judge_opts o = {.urls = c.url, .model = c.model ? c.model : "judge-m",
                     .data_dir = VF_DATA_DIR, .template_name = c.tpl,
                     .cache_file = c.cache, .lru_entries = c.lru,
                     .concurrency = c.concurrency, .timeout_s = 10,
                     .retries = -1, .backoff_s = 0.05};
  vf_judge *j = NULL;
  CHECKF(vf_judge_new(&o, &j, &e) == VF_OK, "vf_judge_new: %s", e.msg);
  return j;
}

static const char *const checkers[] = {"[llm] Style: formal.",
                                       "[llm] Length: it's short."};

static vf_judge_req req_for(const char *response) {
  return (vf_judge_req){.instruction = "Explain caching.",
                        .instruction_len = 16,
                        .response = response,
                        .response_len = strlen(response),
                        .checkers = checkers,
                        .ncheckers = 2};
}

static vf_judge_stats stats(vf_judge *j) {
  vf_judge_stats s = {0};
  if (j)
    vf_judge_get_stats(j, &s);
  return s;
}

static void run(vf_judge *j, vf_judge_req *r, size_t n) {
  vf_error e = {0};
  CHECK(j && vf_judge_run(j, r, n, &e) == VF_OK);
}

static void test_dedupe_in_batch(const judge_srv *slow) {
  vf_judge *j = new_judge((judge_cfg){.url = slow->url});
  vf_judge_req r[10];
  for (int i = 0; i < 10; i++)
    r[i] = req_for("same text JUDGE:PASS");
  long before = judge_srv_stat(slow, "requests");
  run(j, r, 10);
  CHECK(judge_srv_stat(slow, "requests") - before == 1);
  int deduped = 0, ok = 0;
  for (int i = 0; i < 10; i++) {
    deduped += r[i].deduped;
    ok += r[i].status == VF_JUDGE_OK && r[i].pass && !r[i].cached;
  }
  CHECKF(deduped == 9 && ok == 10, "deduped %d ok %d", deduped, ok);
  vf_judge_stats s = stats(j);
  CHECKF(s.requests == 10 && s.calls == 1 && s.deduped == 9 &&
             s.cache_hits == 0,
         "stats: requests %llu calls %llu deduped %llu", s.requests, s.calls,
         s.deduped);
  /* the same again: all from the LRU, no call */
  run(j, r, 10);
  int cached = 0;
  for (int i = 0; i < 10; i++)
    cached += r[i].cached && r[i].pass && !r[i].deduped;
  CHECK(cached == 10);
  CHECK(judge_srv_stat(slow, "requests") - before == 1);
  CHECK(stats(j).cache_hits == 10);
  vf_judge_free(j);
}

typedef struct thread_arg {
  vf_judge *j;
  vf_judge_req *reqs;
  size_t n;
  vf_status st;
} thread_arg;

static void *run_thread(void *p) {
  thread_arg *a = p;
  vf_error e = {0};
  a->st = vf_judge_run(a->j, a->reqs, a->n, &e);
  return NULL;
}

/* Two threads ask the same thing at once: one call. */
static void test_dedupe_across_threads(const judge_srv *slow) {
  vf_judge *j = new_judge((judge_cfg){.url = slow->url});
  vf_judge_req a = req_for("cross-thread JUDGE:FAIL"), b = a;
  thread_arg ta = {j, &a, 1, VF_EINTERNAL}, tb = {j, &b, 1, VF_EINTERNAL};
  pthread_t t1, t2;
  long before = judge_srv_stat(slow, "requests");
  pthread_create(&t1, NULL, run_thread, &ta);
  pthread_create(&t2, NULL, run_thread, &tb);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  CHECK(ta.st == VF_OK && tb.st == VF_OK);
  CHECK(a.status == VF_JUDGE_OK && b.status == VF_JUDGE_OK && !a.pass &&
        !b.pass);
  CHECK(a.deduped + b.deduped == 1);
  CHECK(judge_srv_stat(slow, "requests") - before == 1);
  vf_judge_free(j);
}

static void test_lru_eviction(const judge_srv *s) {
  vf_judge *j = new_judge((judge_cfg){.url = s->url, .lru = 2});
  vf_judge_req r[3] = {req_for("lru one"), req_for("lru two"),
                       req_for("lru three")};
  long before = judge_srv_stat(s, "requests");
  for (int i = 0; i < 3; i++) /* one at a time: a known order in the LRU */
    run(j, &r[i], 1);
  vf_judge_req again = req_for("lru one"); /* evicted by the third */
  run(j, &again, 1);
  CHECK(!again.cached && judge_srv_stat(s, "requests") - before == 4);
  vf_judge_req last = req_for("lru three");
  run(j, &last, 1);
  CHECK(last.cached);
  vf_judge_free(j);
}

static void test_unparsed_cached_errors_not(const judge_srv *s) {
  vf_judge *j = new_judge((judge_cfg){.url = s->url});
  vf_judge_req r[2] = {req_for("think JUDGE:THINK"),
                       req_for("broken JUDGE:BADJSON")};
  run(j, r, 2);
  CHECK(r[0].status == VF_JUDGE_UNPARSED && r[1].status == VF_JUDGE_ERROR);
  long before = judge_srv_stat(s, "requests");
  run(j, r, 2);
  CHECK(r[0].status == VF_JUDGE_UNPARSED && r[0].cached);
  CHECK(r[1].status == VF_JUDGE_ERROR && !r[1].cached);
  CHECK(judge_srv_stat(s, "requests") - before == 1);
  vf_judge_stats st = stats(j);
  CHECK(st.unparsed == 2 && st.errors == 2);
  vf_judge_free(j);
}

static void fill_sqlite_batch(vf_judge_req *r) {
  r[0] = req_for("db pass JUDGE:PASS");
  r[1] = req_for("db fail JUDGE:FAIL");
  r[2] = req_for("db think JUDGE:THINK");
  r[3] = req_for("db score JUDGE:SCORE=5");
  r[4] = req_for("db error JUDGE:NOCHOICES");
}

static void test_sqlite(const judge_srv *s) {
  char path[] = "/tmp/verif-judge-cache-XXXXXX";
  close(mkstemp(path));
  unlink(path); /* the judge creates it */
  vf_judge_req r[5];
  fill_sqlite_batch(r);
  vf_judge *j = new_judge((judge_cfg){.url = s->url, .cache = path});
  run(j, r, 5);
  vf_judge_free(j);
  long before = judge_srv_stat(s, "requests");
  j = new_judge((judge_cfg){.url = s->url, .cache = path});
  fill_sqlite_batch(r);
  run(j, r, 5);
  CHECK(r[0].cached && r[0].pass && r[1].cached && !r[1].pass);
  CHECK(r[2].cached && r[2].status == VF_JUDGE_UNPARSED);
  CHECK(r[3].cached && r[3].score == 5);
  CHECK(!r[4].cached && r[4].status == VF_JUDGE_ERROR);
  vf_judge_stats st = stats(j);
  CHECKF(st.sqlite_hits == 4 && st.calls == 1, "sqlite hits %llu calls %llu",
         st.sqlite_hits, st.calls);
  CHECK(judge_srv_stat(s, "requests") - before == 1);
  run(j, r, 4); /* now from the LRU */
  CHECK(stats(j).cache_hits == 4 && stats(j).sqlite_hits == 4);
  vf_judge_free(j);
  /* another model, another template: other keys */
  j = new_judge((judge_cfg){.url = s->url, .cache = path, .model = "other"});
  run(j, r, 1);
  CHECK(!r[0].cached);
  vf_judge_free(j);
  j = new_judge((judge_cfg){.url = s->url, .cache = path, .tpl = "en"});
  run(j, r, 1);
  CHECK(!r[0].cached);
  vf_judge_free(j);
  unlink(path);
  char wal[64];
  snprintf(wal, sizeof wal, "%s-wal", path);
  unlink(wal);
  snprintf(wal, sizeof wal, "%s-shm", path);
  unlink(wal);
}

/* Four threads, one judge, concurrency 8 shared between them. */
static void test_threads(const judge_srv *s) {
  enum { T = 4, N = 40 };
  vf_judge *j = new_judge((judge_cfg){.url = s->url, .concurrency = 8});
  static vf_judge_req reqs[T][N];
  static char texts[T][N][48];
  thread_arg args[T];
  pthread_t th[T];
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < N; i++) {
      snprintf(texts[t][i], sizeof texts[t][i], "thread %d item %d", t, i);
      reqs[t][i] = req_for(texts[t][i]);
    }
    args[t] = (thread_arg){j, reqs[t], N, VF_EINTERNAL};
    pthread_create(&th[t], NULL, run_thread, &args[t]);
  }
  int ok = 0;
  for (int t = 0; t < T; t++) {
    pthread_join(th[t], NULL);
    CHECK(args[t].st == VF_OK);
    for (int i = 0; i < N; i++)
      ok += reqs[t][i].status == VF_JUDGE_OK && reqs[t][i].pass;
  }
  CHECKF(ok == T * N, "%d of %d judged", ok, T * N);
  long most = judge_srv_stat(s, "max_in_progress");
  CHECKF(most >= 1 && most <= 8, "server saw %ld at once (limit 8)", most);
  vf_judge_free(j);
}

int main(int argc, char **argv) {
  char server[1024];
  judge_srv fast, slow;
  judge_srv_path(argv[0], server, sizeof server);
  CHECK(judge_srv_start(&fast, server, NULL, 0) == 0);
  CHECK(judge_srv_start(&slow, server, NULL, 200) == 0);
  if (fast.port > 0 && slow.port > 0) {
    test_dedupe_in_batch(&slow);
    test_dedupe_across_threads(&slow);
    test_lru_eviction(&fast);
    test_unparsed_cached_errors_not(&fast);
    test_sqlite(&fast);
  }
  CHECK(judge_srv_stop(&fast) == 0);
  CHECK(judge_srv_stop(&slow) == 0);
  judge_srv threaded; /* its own server, so max_in_progress is this test's */
  CHECK(judge_srv_start(&threaded, server, NULL, 20) == 0);
  if (threaded.port > 0)
    test_threads(&threaded);
  CHECK(judge_srv_stop(&threaded) == 0);
  return vf_test_summary("judge_cache");
}
