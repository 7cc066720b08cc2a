/*
 * bench_ifbench.c: IFBench evaluation throughput (`make bench`).
 * Replicates IFBench's July 2025 test prompts and sample responses
 * (tests/data/ifbench/) to 50,274 prompts in a temporary directory (in
 * /dev/shm when it can: no disk in the figure), then
 * runs the whole official evaluation (parse, strict + loose, both output
 * files, report) once with 1 thread and once with every core, each in its
 * own child process so that its peak memory (max RSS) is its own.
 *
 * With VERIF_IFBENCH_REF (a checkout of allenai/IFBench at c94da02) and
 * VERIF_SYLLAPY_REF (mholtzscher/syllapy at v0.7.2) set, IFBench's own
 * evaluator is timed first, in the same run (scripts/official-ifbench.py
 * time, /usr/bin/python3, one core), and each figure is also given as a
 * multiple of its throughput: wall clock (verif's threads against the
 * reference's one core) and CPU time per prompt (all of verif's threads
 * summed against the reference's), the steadier figure on a loaded machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verif.h"

#define DATA "tests/data/ifbench/"

static int replicate(const char *src, const char *dst, int times) {
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  if (!in || !out) {
    if (in)
      fclose(in);
    if (out)
      fclose(out);
    return -1;
  }
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 20;
      buf = realloc(buf, cap);
    }
    size_t r = fread(buf + n, 1, cap - n, in);
    if (r == 0)
      break;
    n += r;
  }
  for (int t = 0; t < times; t++)
    fwrite(buf, 1, n, out);
  free(buf);
  fclose(in);
  return fclose(out);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds this process has used so far, every thread's, user + system. */
static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Child: one evaluation; writes "seconds cpu_seconds prompts" to the
 * pipe. */
static void child(int fd, const char *dir, int jobs) {
  char in[600], resp[600], out[600];
  snprintf(in, sizeof in, "%s/input_data.jsonl", dir);
  snprintf(resp, sizeof resp, "%s/responses.jsonl", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  vf_ctx *ctx;
  vf_error err;
  if (vf_ctx_new(&ctx, NULL, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    _exit(1);
  }
  FILE *devnull = fopen("/dev/null", "w");
  vf_eval_opts o = {in, resp, out, jobs, 0, devnull, NULL};
  vf_eval_stats st;
  double t0 = now(), c0 = cpu_now(); /* as bench_ifeval: after the context;
                  the tagger, which the run loads when it first needs it,
                  counts */
  if (vf_eval_ifbench(ctx, &o, &st, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    _exit(1);
  }
  double t = now() - t0, c = cpu_now() - c0;
  char line[100];
  int k = snprintf(line, sizeof line, "%.6f %.6f %zu\n", t, c, st.prompts);
  if (write(fd, line, (size_t)k) != k)
    _exit(1);
  vf_ctx_free(ctx);
  _exit(0);
}

/* Reads a child's one line from fd and reaps it; its rusage in *ru. */
static ssize_t collect(int fd, pid_t pid, char *line, size_t cap,
                       struct rusage *ru, int *status) {
  ssize_t n = read(fd, line, cap - 1);
  close(fd);
  line[n > 0 ? n : 0] = '\0';
  wait4(pid, status, 0, ru);
  return n;
}

/* IFBench's own evaluator's wall and CPU ms per prompt, as timed by
 * scripts/official-ifbench.py; 0 when it is not configured or does not run. */
typedef struct ref_ms {
  double wall, cpu;
} ref_ms;

static ref_ms official_ms(void) {
  ref_ms none = {0, 0};
  const char *ref = getenv("VERIF_IFBENCH_REF");
  const char *syl = getenv("VERIF_SYLLAPY_REF");
  if (!ref || !*ref || !syl || !*syl) {
    printf("official IFBench evaluator: not timed (set VERIF_IFBENCH_REF and "
           "VERIF_SYLLAPY_REF to checkouts of allenai/IFBench at c94da02 and "
           "mholtzscher/syllapy at v0.7.2)\n");
    return none;
  }
  int p[2];
  if (pipe(p))
    return none;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    dup2(p[1], 1);
    char *argv[] = {"/usr/bin/python3", "scripts/official-ifbench.py", "time",
                    (char *)ref, (char *)syl, "3", NULL};
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  char line[400];
  struct rusage ru;
  int status;
  collect(p[0], pid, line, sizeof line, &ru, &status);
  const char *eq = strstr(line, "= "), *cpu = strstr(line, "CPU ");
  ref_ms r = {eq ? strtod(eq + 2, NULL) : 0, cpu ? strtod(cpu + 4, NULL) : 0};
  if (r.wall > 0 && r.cpu > 0) {
    printf("%s", line);
    return r;
  }
  printf("official IFBench evaluator: could not run it (see "
         "scripts/official-ifbench.py)\n");
  return none;
}

static int run(const char *dir, int jobs, ref_ms ref) {
  int p[2];
  if (pipe(p))
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(p[1], dir, jobs);
  }
  close(p[1]);
  char line[100];
  struct rusage ru;
  int status;
  ssize_t n = collect(p[0], pid, line, sizeof line, &ru, &status);
  double secs, cpu;
  size_t prompts;
  if (n <= 0 || sscanf(line, "%lf %lf %zu", &secs, &cpu, &prompts) != 3 ||
      !WIFEXITED(status) || WEXITSTATUS(status))
    return -1;
  double us = secs / prompts * 1e6, cus = cpu / prompts * 1e6;
  printf("ifbench eval, %2d thread%s: %zu prompts in %.3f s = %8.0f prompts/s "
         "(%.2f us/prompt, CPU %.2f us/prompt), peak memory %.1f MiB",
         jobs, jobs == 1 ? " " : "s", prompts, secs, prompts / secs, us, cus,
         ru.ru_maxrss / 1024.0);
  if (ref.wall > 0)
    printf(", %.0fx the official evaluator (wall), %.0fx (CPU per prompt)",
           ref.wall * 1e3 / us, ref.cpu * 1e3 / cus);
  printf("\n");
  return 0;
}

static void remove_dir(const char *dir) {
  static const char *const files[] = {"input_data.jsonl", "responses.jsonl",
                                      "out/eval_results_strict.jsonl",
                                      "out/eval_results_loose.jsonl", "out"};
  char path[700];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    if (unlink(path))
      rmdir(path);
  }
  rmdir(dir);
}

int main(void) {
  int times = 171; /* 294 x 171 = 50,274 prompts */
  /* in memory (tmpfs) where there is one: the reference's timing writes
   * no file, so the disk is no part of either figure; verif still writes
   * both output files */
  char shm[] = "/dev/shm/verif-bench-ifbench-XXXXXX";
  char tmpl[] = "/tmp/verif-bench-ifbench-XXXXXX", dst[600];
  char *dir = mkdtemp(shm);
  if (!dir)
    dir = mkdtemp(tmpl);
  if (!dir)
    return 1;
  printf("files in %s\n", dir);
  snprintf(dst, sizeof dst, "%s/input_data.jsonl", dir);
  int rc = replicate(DATA "IFBench_test_2025-07_8a66c06.jsonl", dst, times);
  snprintf(dst, sizeof dst, "%s/responses.jsonl", dir);
  rc = rc || replicate(DATA "sample_output.jsonl", dst, times);
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  ref_ms ref = {0, 0};
  if (!rc)
    ref = official_ms();
  if (!rc)
    rc = run(dir, 1, ref) || run(dir, cores, ref);
  remove_dir(dir);
  if (rc)
    fprintf(stderr, "bench: failed\n");
  return rc ? 1 : 0;
}
