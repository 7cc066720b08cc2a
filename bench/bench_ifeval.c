/*
 * bench_ifeval.c: IFEval evaluation throughput (`make bench`).
 * Replicates the bundled GPT-4 set (prompts and responses) to at least
 * 50,000 prompts in a temporary directory, then runs the whole official
 * evaluation (parse, strict + loose, both output files, report) once with
 * 1 thread and once with every core, each in its own child process so that
 * its peak memory (max RSS) is its own.  Prints prompts/s and peak memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verif.h"

static int replicate(const char *src, const char *dst, int times) {
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  if (!in || !out)
    return -1;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (size_t r; (r = fread(buf + n, 1, cap - n, in)) > 0 || cap == n;) {
    n += r;
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 20;
      buf = realloc(buf, cap);
    }
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

/* Child: one evaluation; writes "seconds prompts" to the pipe. */
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
  vf_eval_opts o = {in, resp, out, jobs, 1, devnull, NULL};
  vf_eval_stats st;
  double t0 = now();
  if (vf_eval_ifeval(ctx, &o, &st, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    _exit(1);
  }
  double t = now() - t0;
  char line[100];
  int k = snprintf(line, sizeof line, "%.6f %zu\n", t, st.prompts);
  if (write(fd, line, (size_t)k) != k)
    _exit(1);
  vf_ctx_free(ctx);
  _exit(0);
}

static int run(const char *dir, int jobs) {
  int p[2];
  if (pipe(p))
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(p[1], dir, jobs);
  }
  close(p[1]);
  char line[100] = {0};
  ssize_t n = read(p[0], line, sizeof line - 1);
  close(p[0]);
  int status;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  double secs;
  size_t prompts;
  if (n <= 0 || sscanf(line, "%lf %zu", &secs, &prompts) != 2 ||
      !WIFEXITED(status) || WEXITSTATUS(status))
    return -1;
  printf("ifeval eval, %2d thread%s: %zu prompts in %.3f s = %9.0f prompts/s "
         "(%.2f us/prompt), peak memory %.1f MiB\n",
         jobs, jobs == 1 ? " " : "s", prompts, secs, prompts / secs,
         secs / prompts * 1e6, ru.ru_maxrss / 1024.0);
  return 0;
}

int main(int argc, char **argv) {
  const char *data = argc > 1 ? argv[1] : "data/ifeval";
  int times = 93; /* 541 x 93 = 50,313 prompts */
  char tmpl[] = "/tmp/verif-bench-XXXXXX", src[600], dst[600];
  char *dir = mkdtemp(tmpl);
  if (!dir)
    return 1;
  snprintf(src, sizeof src, "%s/input_data.jsonl", data);
  snprintf(dst, sizeof dst, "%s/input_data.jsonl", dir);
  int rc = replicate(src, dst, times);
  snprintf(src, sizeof src, "%s/input_response_data_gpt4_20231107_145030.jsonl",
           data);
  snprintf(dst, sizeof dst, "%s/responses.jsonl", dir);
  rc = rc || replicate(src, dst, times);
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (!rc)
    rc = run(dir, 1) || run(dir, cores);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) {
  }
  if (rc)
    fprintf(stderr, "bench: failed\n");
  return rc ? 1 : 0;
}
