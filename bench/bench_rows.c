/*
 * bench_rows.c: the price of the row boundary (`make bench`), side by side
 * in one run.  Workloads, from VerInstruct's [rule] functions
 * (tests/data/verinstruct/samples.jsonl: the records that have one) and
 * IFEval's GPT-4 responses (data/ifeval):
 *  - a GRPO step: 512 rows x 16 responses; row k is record k mod N judging
 *    16 responses (each of its functions on each response);
 *  - flat items: the same checks, one row per response (8192 rows).
 * Each runs through the row boundary (VF_ISOLATION_ROW, one process per
 * row), the shared pool (VF_ISOLATION_SHARED; its first pass compiles every
 * function, later ones find them cached), and the GRPO step also through
 * VerIF's released path (scripts/bench-verif-released.py: a Python loop
 * calling exec + check_following per check, one process).  Prints wall and
 * CPU time (every pool process included), the row boundary's cost per row,
 * and where a row process's time goes (its own report, vf_pool_costs).
 * Usage: bench_rows [PASSES [row|grpo]]  (default 3; best pass of each;
 * "row": only the row boundary on the GRPO step, e.g. under perf record;
 * "grpo": the GRPO step only)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pyexec/pyexec.h"

#define ROWS 512
#define GROUP 16
#define MAXREC 4096
#define MAXRESP 4096

typedef struct record {
  char *prompt;
  char *fn[32];
  size_t nfn;
} record;

typedef struct workload {
  vf_pycheck *c;
  size_t n;
  size_t *unit; /* checks per row */
  size_t nunit;
} workload;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- loading --------------------------------------------------------- */

static size_t load_records(const char *path, record *out) {
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (f && n < MAXREC && getline(&line, &cap, f) > 0) {
    json_t *r = json_loads(line, 0, NULL);
    json_t *ck = json_object_get(r, "checkers"), *fs = json_object_get(r, "functions");
    record *rec = &out[n];
    rec->nfn = 0;
    for (size_t i = 0; i < json_array_size(ck) && rec->nfn < 32; i++) {
      const char *c = json_string_value(json_array_get(ck, i));
      const char *fn = json_string_value(json_array_get(fs, i));
      if (c && fn && strncmp(c, "[rule]", 6) == 0)
        rec->fn[rec->nfn++] = strdup(fn);
    }
    const char *p = json_string_value(json_object_get(r, "prompt"));
    if (rec->nfn && p) {
      rec->prompt = strdup(p);
      n++;
    }
    json_decref(r);
  }
  free(line);
  if (f)
    fclose(f);
  return n;
}

static size_t load_responses(const char *path, char **out) {
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (f && n < MAXRESP && getline(&line, &cap, f) > 0) {
    json_t *r = json_loads(line, 0, NULL);
    const char *s = json_string_value(json_object_get(r, "response"));
    if (s)
      out[n++] = strdup(s);
    json_decref(r);
  }
  free(line);
  if (f)
    fclose(f);
  return n;
}

/* Row k: record k mod nrec, responses k*GROUP .. +GROUP; per_row responses
 * to a row (GROUP: a GRPO step; 1: flat items, ROWS*GROUP rows). */
static int build(workload *w, const record *rec, size_t nrec, char **resp,
                 size_t nresp, size_t per_row) {
  size_t total = 0;
  for (size_t k = 0; k < ROWS; k++)
    total += rec[k % nrec].nfn * GROUP;
  w->c = calloc(total, sizeof *w->c);
  w->unit = calloc(ROWS * GROUP / per_row, sizeof *w->unit);
  if (!w->c || !w->unit)
    return -1;
  w->n = w->nunit = 0;
  for (size_t k = 0; k < ROWS; k++) {
    const record *r = &rec[k % nrec];
    for (size_t j = 0; j < GROUP; j++) {
      const char *s = resp[(k * GROUP + j) % nresp];
      for (size_t i = 0; i < r->nfn; i++)
        w->c[w->n++] = (vf_pycheck){r->fn[i], strlen(r->fn[i]), r->prompt,
                                    strlen(r->prompt), s, strlen(s), 0, 0,
                                    ""};
      if (j % per_row == per_row - 1)
        w->unit[w->nunit++] = r->nfn * per_row;
    }
  }
  return 0;
}

/* ---- CPU of a pool ------------------------------------------------------ */

/* utime+stime (and cutime+cstime when children) of pid, in seconds. */
static double proc_cpu(pid_t pid, int children) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  size_t k = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[k] = '\0';
  char *p = strrchr(buf, ')');
  unsigned long long v[4] = {0};
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
                          "%llu %llu %llu",
                   &v[0], &v[1], &v[2], &v[3]) != 4)
    return 0;
  unsigned long long t = v[0] + v[1] + (children ? v[2] + v[3] : 0);
  return (double)t / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of a pool, by part: this process (the dispatcher thread,
 * while the caller waits), the zygote itself, the processes it reaped,
 * the live workers. */
typedef struct cpu_parts {
  double parent, zygote, reaped, live;
} cpu_parts;

static cpu_parts pool_parts(vf_pool *p) {
  pid_t z, w[64];
  size_t n = vf_pool_pids(p, &z, w, 64);
  struct rusage ru;
  cpu_parts c = {0, 0, 0, 0};
  getrusage(RUSAGE_SELF, &ru);
  c.parent = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  c.zygote = proc_cpu(z, 0);
  c.reaped = proc_cpu(z, 1) - c.zygote;
  for (size_t i = 0; i < n; i++)
    c.live += proc_cpu(w[i], 0);
  return c;
}

static double pool_cpu(vf_pool *p) {
  cpu_parts c = pool_parts(p);
  return c.parent + c.zygote + c.reaped + c.live;
}

/* ---- runs -------------------------------------------------------------- */

typedef struct timing {
  double first, best, cpu; /* wall of the first pass, of the best; its CPU */
  cpu_parts part;          /* the best pass's CPU by part */
} timing;

static timing run(vf_pool *p, workload *w, int units, int passes) {
  timing t = {0, 1e9, 0, {0, 0, 0, 0}};
  vf_error err;
  for (int k = 0; k < passes; k++) {
    cpu_parts p0 = pool_parts(p);
    double c0 = pool_cpu(p), t0 = now();
    vf_status st = units ? vf_pool_run_units(p, w->c, w->n, w->unit,
                                             w->nunit, &err)
                         : vf_pool_run(p, w->c, w->n, &err);
    double dt = now() - t0, dc = pool_cpu(p) - c0;
    cpu_parts p1 = pool_parts(p);
    if (st != VF_OK)
      fprintf(stderr, "bench_rows: %s\n", err.msg);
    if (k == 0)
      t.first = dt;
    if (dt < t.best) {
      t.best = dt;
      t.cpu = dc;
      t.part = (cpu_parts){p1.parent - p0.parent, p1.zygote - p0.zygote,
                           p1.reaped - p0.reaped, p1.live - p0.live};
    }
  }
  return t;
}

/* Runs VerIF's released loop on the workload; its best pass, or -1. */
static double run_released(const workload *w, int passes) {
  char path[] = "/tmp/verif-bench-rows-XXXXXX", cmd[512];
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  for (size_t i = 0; f && i < w->n; i++) {
    json_t *o = json_pack("{s:s, s:s}", "function", w->c[i].code, "response",
                          w->c[i].response);
    char *s = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n", s);
    free(s);
    json_decref(o);
  }
  if (f)
    fclose(f);
  const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                          : "python3";
  snprintf(cmd, sizeof cmd, "%s scripts/bench-verif-released.py %s %d", py,
           path, passes);
  FILE *out = popen(cmd, "r");
  unsigned long n = 0;
  double s = -1;
  if (!out || fscanf(out, "%lu %lf", &n, &s) != 2)
    s = -1;
  if (out)
    pclose(out);
  unlink(path);
  return s;
}

/* ---- report ------------------------------------------------------------- */

static void line(const char *name, double wall, double cpu, size_t n,
                 size_t rows) {
  printf("  %-34s %8.3f s %9.0f checks/s", name, wall, (double)n / wall);
  if (cpu >= 0)
    printf("  CPU %7.3f s (%5.2f ms/row)", cpu, cpu * 1e3 / (double)rows);
  printf("\n");
}

static void parts(const char *name, timing t, size_t rows) {
  printf("    %s CPU per row: parent %.3f ms, zygote %.3f ms, finished "
         "processes %.3f ms, live ones %.3f ms\n", name,
         t.part.parent * 1e3 / (double)rows, t.part.zygote * 1e3 / (double)rows,
         t.part.reaped * 1e3 / (double)rows, t.part.live * 1e3 / (double)rows);
}

static void compare(const char *what, timing row, timing shared,
                    size_t rows) {
  parts("row boundary", row, rows);
  parts("shared pool", shared, rows);
  printf("  row boundary vs %s: +%.3f ms wall and +%.3f ms CPU per row "
         "(%.2fx wall)\n", what,
         (row.best - shared.best) * 1e3 / (double)rows,
         (row.cpu - shared.cpu) * 1e3 / (double)rows, row.best / shared.best);
}

static void breakdown(const vf_pool_costs *a, const vf_pool_costs *b) {
  double sp = (double)(b->spawns - a->spawns), u = (double)(b->units - a->units);
  double comp = (double)(b->compiles - a->compiles);
  double oc = (double)(b->other_checks - a->other_checks);
  if (sp < 1 || u < 1)
    return;
  printf("where a row process's time goes (mean of %.0f processes; their own "
         "report):\n", u);
  printf("  zygote: spawn %.0f us, of which fork() %.0f us\n",
         (b->spawn_s - a->spawn_s) / sp * 1e6, (b->fork_s - a->fork_s) / sp * 1e6);
  printf("  child until ready: %.0f us (after-fork %.0f us, sandbox %.0f us, "
         "%.0f minor faults)\n", (b->setup_s - a->setup_s) / u * 1e6,
         (b->afterfork_s - a->afterfork_s) / u * 1e6,
         (b->sandbox_s - a->sandbox_s) / u * 1e6,
         (double)(b->setup_faults - a->setup_faults) / u);
  printf("  compiling: %.0f us per function, %.1f functions per row\n",
         comp ? (b->compile_s - a->compile_s) / comp * 1e6 : 0, comp / u);
  printf("  first check of a row: %.0f us (compiling excluded); the others "
         "%.0f us each; %.0f minor faults per row while checking\n",
         (b->first_check_s - a->first_check_s) / u * 1e6,
         oc ? (b->other_checks_s - a->other_checks_s) / oc * 1e6 : 0,
         (double)(b->check_faults - a->check_faults) / u);
  double ex = (double)(b->exited - a->exited);
  double seen = ((b->setup_s - a->setup_s) + (b->compile_s - a->compile_s) +
                 (b->first_check_s - a->first_check_s) +
                 (b->other_checks_s - a->other_checks_s)) / u;
  double done = (b->done_s - a->done_s) / u;
  if (ex >= 1)
    printf("  a process's whole CPU (wait4): %.0f us: %.0f us until its last "
           "result (%.0f us of it outside the phases above: receiving the "
           "batch, bookkeeping), %.0f us after (exit)\n",
           (b->exited_s - a->exited_s) / ex * 1e6, done * 1e6,
           (done - seen) * 1e6,
           (b->exited_s - a->exited_s) / ex * 1e6 - done * 1e6);
}

static vf_pool *pool(vf_isolation iso) {
  vf_pool_opts o = {0};
  vf_pool *p = NULL;
  vf_error err;
  o.isolation = iso;
  if (vf_pool_new(&o, &p, &err))
    fprintf(stderr, "bench_rows: %s\n", err.msg);
  return p;
}

int main(int argc, char **argv) {
  static record rec[MAXREC];
  static char *resp[MAXRESP];
  int passes = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 3;
  passes = passes < 1 ? 1 : passes;
  vf_pool *row = pool(VF_ISOLATION_ROW), *shared = pool(VF_ISOLATION_SHARED);
  size_t nrec = load_records("tests/data/verinstruct/samples.jsonl", rec);
  size_t nresp = load_responses(
      "data/ifeval/input_response_data_gpt4_20231107_145030.jsonl", resp);
  workload grpo, flat;
  if (!row || !shared || !nrec || !nresp ||
      build(&grpo, rec, nrec, resp, nresp, GROUP) ||
      build(&flat, rec, nrec, resp, nresp, 1)) {
    fprintf(stderr, "bench_rows: no pools or no workload (run from the "
                    "repository root)\n");
    return 1;
  }
  vf_pool_stats s0, s1;
  printf("GRPO step: %d rows x %d responses, %zu checks (functions of %zu "
         "VerInstruct records), best of %d; %s\n", ROWS, GROUP, grpo.n, nrec,
         passes, "2 processes at once in each pool (one per core)");
  vf_pool_get_stats(row, &s0);
  timing r = run(row, &grpo, 1, passes);
  vf_pool_get_stats(row, &s1);
  if (argc > 2 && strcmp(argv[2], "row") == 0) {
    line("row boundary (one process per row)", r.best, r.cpu, grpo.n, ROWS);
    breakdown(&s0.costs, &s1.costs);
    vf_pool_free(row);
    vf_pool_free(shared);
    return 0;
  }
  timing sh = run(shared, &grpo, 0, passes);
  double rel = run_released(&grpo, passes > 2 ? 2 : passes);
  line("row boundary (one process per row)", r.best, r.cpu, grpo.n, ROWS);
  line("shared pool, cached (best pass)", sh.best, sh.cpu, grpo.n, ROWS);
  line("shared pool, first pass", sh.first, -1, grpo.n, ROWS);
  if (rel > 0)
    line("VerIF released loop (1 process)", rel, -1, grpo.n, ROWS);
  compare("the shared pool", r, sh, ROWS);
  breakdown(&s0.costs, &s1.costs);
  if (argc > 2 && strcmp(argv[2], "grpo") == 0) {
    vf_pool_free(row);
    vf_pool_free(shared);
    return 0;
  }
  printf("flat items: %d rows x 1 response, the same %zu checks\n",
         ROWS * GROUP, flat.n);
  timing fr = run(row, &flat, 1, passes), fs = run(shared, &flat, 0, passes);
  line("row boundary (one process per row)", fr.best, fr.cpu, flat.n,
       ROWS * GROUP);
  line("shared pool, cached (best pass)", fs.best, fs.cpu, flat.n,
       ROWS * GROUP);
  compare("the shared pool", fr, fs, ROWS * GROUP);
  vf_pool_free(row);
  vf_pool_free(shared);
  return 0;
}
