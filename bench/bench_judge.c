/*
 * bench_judge.c: the judge client against the test judge server answering
 * every request after 200 ms (run by `make bench`).  8,192 requests (512
 * prompts x 16 responses) at concurrency 256: wall time against the ideal
 * 8192/256 x 0.2 s = 6.4 s.  Then a second batch on the same judge where a
 * quarter of the requests are duplicates (half repeat the first batch: LRU;
 * half repeat each other: in-flight dedupe): calls made vs requests.  Then
 * the SQLite cache: the first batch again from a new judge instance.
 */
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../tests/judge_server/spawn.h"
#include "judge/judge.h"

enum { PROMPTS = 512, RESPONSES = 16, N = PROMPTS * RESPONSES, CONC = 256 };
#define LATENCY_S 0.2

typedef struct corpus {
  char *prompt[PROMPTS];
  char *response[N];
} corpus;

/* Two checker lists: batch 2's new requests use the second one. */
static const char *const checkers[2][3] = {
    {"[llm] Specific_Literary_Devices: Use analogies to explain the idea.",
     "[llm] Morphological_Constraints: Avoid jargon and bullet points.",
     "[llm] Specific_Sentence: Begin with 'There are several reasons.'"},
    {"[llm] Specific_Literary_Devices: Use metaphors to explain the idea.",
     "[llm] Morphological_Constraints: Avoid jargon and bullet points.",
     "[llm] Specific_Sentence: Begin with 'There are several reasons.'"}};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
         (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

static char *text(const char *fmt, int a, int b, size_t pad) {
  size_t n = pad + 128;
  char *s = malloc(n);
  if (!s)
    return NULL;
  int k = snprintf(s, n, fmt, a, b);
  for (size_t i = (size_t)k; i + 1 < n; i++)
    s[i] = "lorem ipsum dolor sit amet, "[i % 28];
  s[n - 1] = '\0';
  return s;
}

static int make_corpus(corpus *c) {
  for (int p = 0; p < PROMPTS; p++) {
    c->prompt[p] = text("Prompt %d (%d): explain a financial instrument. ",
                        p, 0, 600);
    for (int r = 0; r < RESPONSES && c->prompt[p]; r++) {
      c->response[p * RESPONSES + r] =
          text("Response %d to prompt %d. There are several reasons. ", r, p,
               1500);
      if (!c->response[p * RESPONSES + r])
        return -1;
    }
    if (!c->prompt[p])
      return -1;
  }
  return 0;
}

/* The request about (prompt, response) number k, with checker list set. */
static vf_judge_req req(const corpus *c, int k, int set) {
  return (vf_judge_req){.instruction = c->prompt[k / RESPONSES],
                        .instruction_len = strlen(c->prompt[k / RESPONSES]),
                        .response = c->response[k],
                        .response_len = strlen(c->response[k]),
                        .checkers = checkers[set],
                        .ncheckers = 3};
}

static vf_judge *new_judge(const char *url, const char *cache) {
  vf_error e = {0};
  vf_judge_opts o = {.urls = url, .model = "bench-judge",
                     .concurrency = CONC, .timeout_s = 120, .retries = -1,
                     .cache_file = cache};
  vf_judge *j = NULL;
  if (vf_judge_new(&o, &j, &e))
    fprintf(stderr, "bench_judge: %s\n", e.msg);
  return j;
}

typedef struct figures {
  double wall, cpu;
  size_t ok;
  vf_judge_stats d; /* the batch's share of the counters */
} figures;

static figures run(vf_judge *j, vf_judge_req *reqs, size_t n) {
  figures f = {0};
  vf_judge_stats before, after;
  vf_error e = {0};
  vf_judge_get_stats(j, &before);
  double t0 = now(), c0 = cpu_s();
  if (vf_judge_run(j, reqs, n, &e))
    fprintf(stderr, "bench_judge: %s\n", e.msg);
  f.wall = now() - t0;
  f.cpu = cpu_s() - c0;
  vf_judge_get_stats(j, &after);
  for (size_t i = 0; i < n; i++)
    f.ok += reqs[i].status == VF_JUDGE_OK;
  f.d.requests = after.requests - before.requests;
  f.d.calls = after.calls - before.calls;
  f.d.cache_hits = after.cache_hits - before.cache_hits;
  f.d.sqlite_hits = after.sqlite_hits - before.sqlite_hits;
  f.d.deduped = after.deduped - before.deduped;
  f.d.errors = after.errors - before.errors;
  return f;
}

static void print(const char *what, const figures *f, double ideal) {
  printf("%-34s %6llu requests  %5llu calls  %5llu lru  %5llu sqlite  "
         "%5llu dedupe  %llu errors\n",
         what, f->d.requests, f->d.calls, f->d.cache_hits, f->d.sqlite_hits,
         f->d.deduped, f->d.errors);
  if (ideal > 0)
    printf("%-34s wall %.2f s, ideal %.2f s: %.3fx; client CPU %.2f s\n", "",
           f->wall, ideal, f->wall / ideal, f->cpu);
  else
    printf("%-34s wall %.3f s; client CPU %.2f s\n", "", f->wall, f->cpu);
}

/* Batch 2: 6144 new requests, 1024 twins of new ones (in flight at the
 * same time: dedupe), 1024 repeats of batch 1 (LRU). */
static void second_batch(const corpus *c, vf_judge_req *reqs) {
  for (int i = 0; i < N; i++) {
    if (i % 8 == 6)
      reqs[i] = req(c, i / 8 * 8, 1);
    else if (i % 8 == 7)
      reqs[i] = req(c, (int)((i * 7919L) % N), 0);
    else
      reqs[i] = req(c, i, 1);
  }
}

static int bench(const judge_srv *s, const corpus *c) {
  vf_judge_req *reqs = calloc(N, sizeof *reqs);
  vf_judge *j = new_judge(s->url, NULL);
  if (!reqs || !j)
    return 1;
  for (int i = 0; i < N; i++)
    reqs[i] = req(c, i, 0);
  figures f1 = run(j, reqs, N);
  print("8192 distinct, concurrency 256", &f1, N / (double)CONC * LATENCY_S);
  second_batch(c, reqs);
  figures f2 = run(j, reqs, N);
  print("8192 with a quarter duplicates", &f2,
        (double)f2.d.calls / CONC * LATENCY_S);
  printf("%-34s calls/requests = %.3f\n", "", (double)f2.d.calls / N);
  vf_judge_free(j);
  free(reqs);
  return f1.ok == N && f2.ok == N ? 0 : 1;
}

static int bench_sqlite(const judge_srv *s, const corpus *c) {
  char path[] = "/tmp/verif-bench-judge-XXXXXX";
  close(mkstemp(path));
  unlink(path);
  vf_judge_req *reqs = calloc(N, sizeof *reqs);
  vf_judge *j = new_judge(s->url, path);
  if (!reqs || !j)
    return 1;
  for (int i = 0; i < N; i++)
    reqs[i] = req(c, i, 0);
  figures f1 = run(j, reqs, N);
  print("8192 distinct, SQLite cache on", &f1, N / (double)CONC * LATENCY_S);
  vf_judge_free(j);
  j = new_judge(s->url, path);
  figures f2 = run(j, reqs, N);
  print("the same, new judge, from SQLite", &f2, 0);
  vf_judge_free(j);
  free(reqs);
  char side[64];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
  return f1.ok == N && f2.ok == N ? 0 : 1;
}

int main(int argc, char **argv) {
  char exe[1024];
  judge_srv s;
  static corpus c;
  judge_srv_path(argv[0], exe, sizeof exe);
  if (make_corpus(&c) || judge_srv_start(&s, exe, NULL, 200) != 0) {
    fprintf(stderr, "bench_judge: cannot start %s\n", exe);
    return 1;
  }
  printf("judge: test server with 200 ms latency, %d prompts x %d responses\n",
         PROMPTS, RESPONSES);
  int rc = bench(&s, &c);
  rc |= bench_sqlite(&s, &c);
  printf("server: %ld requests, %ld connections, at most %ld at once\n",
         judge_srv_stat(&s, "requests"), judge_srv_stat(&s, "connections"),
         judge_srv_stat(&s, "max_in_progress"));
  judge_srv_stop(&s);
  for (int i = 0; i < PROMPTS; i++)
    free(c.prompt[i]);
  for (int i = 0; i < N; i++)
    free(c.response[i]);
  return rc;
}
