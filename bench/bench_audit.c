/*
 * bench_audit.c: `verif audit` at dataset scale (`make bench`).  The
 * workload: tests/data/verinstruct/samples.jsonl replicated to 22,000 rows
 * (30,250 [rule] functions), the built-in probes (at most 32 per function,
 * the corpus sampled), no judge.  Side by side in one run:
 *   - the default row isolation (each row's checks in one fresh process);
 *   - the shared pool (long-lived workers), the same work without the
 *     process per row;
 * Prints seconds, checks/s, CPU time (every process of the pool
 * included) and the load average, and the share of the row run that
 * process start and end account for, both ways: the processes' own
 * reports (vf_audit_stats.start_cpu_s against the run's CPU) and row -
 * shared wall time; the goal is 120 s on the 2-core machine.
 * Usage: bench_audit [ROWS]  (default 22000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "verif.h"

#define SAMPLES "tests/data/verinstruct/samples.jsonl"
#define ROWS 22000

static size_t rows = ROWS;

static double tv_s(struct timeval t) {
  return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* Writes ROWS lines, the samples over and over, to path. */
static int replicate(const char *path) {
  FILE *in = fopen(SAMPLES, "r"), *out = fopen(path, "w");
  char *line = NULL, **lines = NULL;
  size_t cap = 0, n = 0;
  int rc = -1;
  while (in && getline(&line, &cap, in) > 0) {
    char **l = realloc(lines, (n + 1) * sizeof *l);
    if (!l)
      break;
    lines = l;
    lines[n++] = strdup(line);
  }
  if (in && out && n) {
    for (size_t i = 0; i < rows; i++)
      fputs(lines[i % n], out);
    rc = 0;
  }
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  free(lines);
  free(line);
  if (in)
    fclose(in);
  if (out && fclose(out))
    rc = -1;
  return rc;
}

static int audit(const vf_ctx *ctx, const char *input, vf_isolation iso,
                 vf_audit_stats *st) {
  vf_audit_opts o = {.input = input, .isolation = iso};
  vf_error err = {0};
  if (vf_audit_run(ctx, &o, st, &err)) {
    fprintf(stderr, "bench_audit: %s\n", err.msg);
    return -1;
  }
  return 0;
}

static double cpu_now(void) {
  struct rusage self, kids;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  return tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(kids.ru_utime) +
         tv_s(kids.ru_stime);
}

static void report(const char *what, const vf_audit_stats *s, double cpu) {
  printf("  %-24s %7.1f s  %8.0f checks/s  CPU %7.1f s (all processes)\n",
         what, s->seconds, (double)s->checks / s->seconds, cpu);
}

int main(int argc, char **argv) {
  if (argc > 1)
    rows = (size_t)strtoul(argv[1], NULL, 10);
  char path[] = "/tmp/verif-bench-audit-XXXXXX";
  int fd = mkstemp(path);
  if (!rows || fd < 0 || close(fd) || replicate(path)) {
    fprintf(stderr, "bench_audit: cannot write %s\n", path);
    return 1;
  }
  vf_ctx *ctx = NULL;
  vf_error err = {0};
  if (vf_ctx_new(&ctx, NULL, &err)) {
    fprintf(stderr, "bench_audit: %s\n", err.msg);
    unlink(path);
    return 1;
  }
  double load0[3] = {0}, load1[3] = {0};
  getloadavg(load0, 3);
  vf_audit_stats row, shared;
  double c0 = cpu_now();
  int rc = audit(ctx, path, VF_ISOLATION_ROW, &row);
  double c1 = cpu_now();
  rc = rc || audit(ctx, path, VF_ISOLATION_SHARED, &shared);
  double c2 = cpu_now();
  getloadavg(load1, 3);
  if (!rc) {
    printf("audit of %zu rows (%zu [rule] functions, at most 32 probes each, "
           "no judge), %ld cores, load average %.1f before, %.1f after "
           "(1 min):\n",
           rows, row.audited, sysconf(_SC_NPROCESSORS_ONLN), load0[0],
           load1[0]);
    report("row isolation (default)", &row, c1 - c0);
    printf("    %llu checks, %llu row processes; goal: under 120 s\n",
           row.checks, row.processes);
    report("shared workers", &shared, c2 - c1);
    double cpu = c1 - c0;
    printf("  process start and end (spawn, setup until ready, exit; the "
           "processes' own reports): %.1f s CPU, %.2f ms per process, %.0f%% "
           "of the row run's CPU; row - shared: %.0f%% of its wall time\n",
           row.start_cpu_s,
           row.processes ? 1e3 * row.start_cpu_s / (double)row.processes : 0,
           cpu > 0 ? 100 * row.start_cpu_s / cpu : 0,
           100 * (row.seconds - shared.seconds) / row.seconds);
  }
  vf_ctx_free(ctx);
  unlink(path);
  return rc;
}
