/*
 * bench_audit.c: `verif audit` at dataset scale (`make bench`).  The
 * workload: tests/data/verinstruct/samples.jsonl replicated to 22,000 rows
 * (30,250 [rule] functions), the built-in probes (at most 32 per function,
 * the corpus sampled), no judge.  Side by side in one run:
 *   - the default row isolation (each row's checks in one fresh process);
 *   - the shared pool (long-lived workers), the same work without the
 *     process per row;
 *   - process start alone: one unit per row holding one trivial check,
 *     22,000 of them, so its time is what the row boundary costs.
 * Prints seconds, checks/s, and the share of the row run's time that
 * process start accounts for, both ways (row - shared, and the trivial
 * units), against the goal of 120 s on the 2-core machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pyexec/pyexec.h"
#include "verif.h"

#define SAMPLES "tests/data/verinstruct/samples.jsonl"
#define ROWS 22000

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    for (size_t i = 0; i < ROWS; i++)
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

/* ROWS units of one trivial check each: the row boundary alone. */
static double starts(void) {
  static const char code[] = "def check_following(instruction, response):\n"
                             "    return True\n";
  vf_pool_opts po = {0};
  vf_pool *pool = NULL;
  vf_error err = {0};
  vf_pycheck *pc = calloc(ROWS, sizeof *pc);
  size_t *len = calloc(ROWS, sizeof *len);
  double t = -1;
  if (pc && len && !vf_pool_new(&po, &pool, &err)) {
    for (size_t i = 0; i < ROWS; i++) {
      pc[i] = (vf_pycheck){.code = code, .code_len = sizeof code - 1,
                           .prompt = "p", .prompt_len = 1,
                           .response = "r", .response_len = 1};
      len[i] = 1;
    }
    double t0 = now();
    if (!vf_pool_run_units(pool, pc, ROWS, len, ROWS, &err))
      t = now() - t0;
  }
  if (t < 0)
    fprintf(stderr, "bench_audit: %s\n", err.msg);
  vf_pool_free(pool);
  free(pc);
  free(len);
  return t;
}

int main(void) {
  char path[] = "/tmp/verif-bench-audit-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || close(fd) || replicate(path)) {
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
  vf_audit_stats row, shared;
  int rc = audit(ctx, path, VF_ISOLATION_ROW, &row) ||
           audit(ctx, path, VF_ISOLATION_SHARED, &shared);
  double st = rc ? -1 : starts();
  if (!rc && st >= 0) {
    printf("audit of %d rows (%zu [rule] functions, at most 32 probes each, "
           "no judge), %ld cores:\n", ROWS, row.audited, sysconf(_SC_NPROCESSORS_ONLN));
    printf("  row isolation (default): %7.1f s  %8.0f checks/s  %llu checks "
           "(goal: under 120 s)\n",
           row.seconds, (double)row.checks / row.seconds, row.checks);
    printf("  shared workers:          %7.1f s  %8.0f checks/s\n",
           shared.seconds, (double)shared.checks / shared.seconds);
    printf("  process start alone:     %7.1f s  (%d units of one trivial "
           "check, %.2f ms per row)\n",
           st, ROWS, 1e3 * st / ROWS);
    printf("  share of the row run spent on process start: %.0f%% (row - "
           "shared), %.0f%% (trivial units)\n",
           100 * (row.seconds - shared.seconds) / row.seconds,
           100 * st / row.seconds);
  }
  vf_ctx_free(ctx);
  unlink(path);
  return rc || st < 0;
}
