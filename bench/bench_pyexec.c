/*
 * bench_pyexec.c: sandboxed Python checks per second (`make bench`).
 * The workload: every [rule] function of VerInstruct's samples.jsonl on
 * every IFEval GPT-4 response (about 150,000 checks, response-major as a
 * reward server sees them: one response, its functions), run through the
 * default pool (one worker per core, sandbox included).  One warm-up pass,
 * then timed passes.  Prints checks/s and the peak memory (VmHWM) of the
 * verif process (which holds the 150,000 vf_pycheck records, about 80 MiB
 * of them), the zygote and each worker.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pyexec/pyexec.h"

typedef struct fn {
  const char *prompt, *code;
} fn;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends rule functions of one samples.jsonl record. */
static size_t add_rules(json_t *rec, fn *out, size_t n, size_t cap) {
  json_t *ck = json_object_get(rec, "checkers");
  json_t *fs = json_object_get(rec, "functions");
  const char *prompt = json_string_value(json_object_get(rec, "prompt"));
  for (size_t i = 0; i < json_array_size(ck) && n < cap; i++) {
    const char *c = json_string_value(json_array_get(ck, i));
    const char *f = json_string_value(json_array_get(fs, i));
    if (c && f && prompt && strncmp(c, "[rule]", 6) == 0)
      out[n++] = (fn){strdup(prompt), strdup(f)};
  }
  return n;
}

static size_t load_rules(const char *path, fn *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f)
    fprintf(stderr, "bench_pyexec: cannot open %s: %s\n", path,
            strerror(errno));
  char *line = NULL;
  size_t lcap = 0, n = 0;
  while (f && getline(&line, &lcap, f) > 0) {
    json_t *rec = json_loads(line, 0, NULL);
    n = add_rules(rec, out, n, cap);
    json_decref(rec);
  }
  free(line);
  if (f)
    fclose(f);
  return n;
}

static size_t load_responses(const char *path, char **out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f)
    fprintf(stderr, "bench_pyexec: cannot open %s: %s\n", path,
            strerror(errno));
  char *line = NULL;
  size_t lcap = 0, n = 0;
  while (f && n < cap && getline(&line, &lcap, f) > 0) {
    json_t *rec = json_loads(line, 0, NULL);
    const char *r = json_string_value(json_object_get(rec, "response"));
    if (r)
      out[n++] = strdup(r);
    json_decref(rec);
  }
  free(line);
  if (f)
    fclose(f);
  return n;
}

/* A "Key:   N kB" field of a /proc/<pid> file, in MiB (-1: unknown). */
static long proc_mib(pid_t pid, const char *file, const char *key) {
  char path[64], line[256];
  long kb = -1;
  size_t kl = strlen(key);
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0)
      kb = strtol(line + kl, NULL, 10);
  if (f)
    fclose(f);
  return kb < 0 ? -1 : kb / 1024;
}

static void report_memory(vf_pool *pool) {
  pid_t z, w[256];
  size_t nw = vf_pool_pids(pool, &z, w, 256);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("peak RSS (VmHWM): verif process %ld MiB, zygote %ld MiB",
         ru.ru_maxrss / 1024, proc_mib(z, "status", "VmHWM:"));
  for (size_t i = 0; i < nw; i++)
    printf(", worker %zu %ld MiB", i, proc_mib(w[i], "status", "VmHWM:"));
  printf("\nproportional set size now (Pss, shared pages split): zygote %ld "
         "MiB", proc_mib(z, "smaps_rollup", "Pss:"));
  for (size_t i = 0; i < nw; i++)
    printf(", worker %zu %ld MiB", i, proc_mib(w[i], "smaps_rollup", "Pss:"));
  printf("\n");
}

int main(int argc, char **argv) {
  static fn fns[4096];
  static char *resp[4096];
  const char *p1 = "tests/data/verinstruct/samples.jsonl";
  const char *p2 = "data/ifeval/input_response_data_gpt4_20231107_145030.jsonl";
  vf_pool *pool;
  vf_error err;
  vf_pool_opts o = {.isolation = VF_ISOLATION_SHARED}; /* bench_rows: rows */
  double t0 = now();
  /* The pool first, so its processes do not inherit the workload's pages. */
  if (vf_pool_new(&o, &pool, &err)) {
    fprintf(stderr, "bench_pyexec: %s\n", err.msg);
    return 1;
  }
  printf("pool start: %.1f ms\n", (now() - t0) * 1e3);
  size_t nf = load_rules(p1, fns, 4096), nr = load_responses(p2, resp, 4096);
  size_t n = nf * nr, passes = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 3;
  vf_pycheck *c = calloc(n ? n : 1, sizeof *c);
  if (!n || !c) {
    fprintf(stderr, "bench_pyexec: no workload in %s and %s\n", p1, p2);
    return 1;
  }
  for (size_t r = 0; r < nr; r++)
    for (size_t i = 0; i < nf; i++)
      c[r * nf + i] = (vf_pycheck){fns[i].code, strlen(fns[i].code),
                                   fns[i].prompt, strlen(fns[i].prompt),
                                   resp[r], strlen(resp[r]), 0, 0, ""};
  vf_pool_run(pool, c, n, &err); /* warm-up: compile caches */
  double best = 0;
  for (size_t k = 0; k < passes; k++) {
    t0 = now();
    vf_pool_run(pool, c, n, &err);
    double rate = (double)n / (now() - t0);
    best = rate > best ? rate : best;
    printf("pass %zu: %zu checks (%zu functions x %zu responses) in %.3f s: "
           "%.0f checks/s\n", k + 1, n, nf, nr, now() - t0, rate);
  }
  size_t t = 0, e = 0;
  for (size_t i = 0; i < n; i++) {
    t += c[i].verdict == VF_PY_TRUE;
    e += c[i].verdict == VF_PY_ERROR;
  }
  vf_pool_stats st;
  vf_pool_get_stats(pool, &st);
  printf("best: %.0f checks/s; verdicts: %zu true, %zu errors; restarts %llu\n",
         best, t, e, st.restarts);
  report_memory(pool);
  vf_pool_free(pool);
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru); /* the zygote, which waited for workers */
  printf("peak RSS of any pool process over the run (zygote and every worker, "
         "replaced ones included): %ld MiB\n", ru.ru_maxrss / 1024);
  return 0;
}
