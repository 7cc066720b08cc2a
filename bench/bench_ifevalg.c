/*
 * bench_ifevalg.c: IFEvalG throughput (`make bench`) on a generated
 * workload: 20,000 rows {"key", "prompt", "instruction_id_list", "kwargs",
 * "response"} of 1 to 3 of the 54 ids with valid random kwargs (seeded:
 * every run writes the same file) on the bundled GPT-4 responses.  Each row
 * is checked two ways, each with 1 thread and with every core, each run in
 * its own child process (peak memory is its max RSS):
 *   verify  as NeMo-Gym's /verify does: the row parsed, each instruction's
 *           checker built from its kwargs and run once (vf_follow_list);
 *   eval    as an evaluation does: IFEval's strict and loose rules
 *           (vf_prompt_eval).
 * With VERIF_IFEVALG_REF=DIR (a checkout of verifiable_instructions outside
 * the repository; VERIF_IFBENCH_REF too for eval, whose evaluation_lib it
 * uses) the reference is timed on the first 2,000 rows of the same file in
 * the same run (scripts/time-official-ifevalg.py, one core, as it runs),
 * the ratios printed (wall clock, all verif's cores against the reference;
 * and CPU time per prompt, one core against one) and every verdict of
 * those rows compared.  `bench_ifevalg FILE` keeps the workload in FILE.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks/checks.h"
#include "eval/eval.h"
#include "text/jsonl.h"

#define ROWS 20000
#define REF_ROWS 2000
#define MAX_IDS 3

/* ---- the workload ------------------------------------------------------------ */

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)((rng >> 33) % n);
}

static long long between(long long lo, long long hi) {
  return lo + rnd((unsigned)(hi - lo + 1));
}

static const char *const words[] = {"the",   "and",  "data", "model", "time",
                                    "water", "city", "I",    "is",    "it"};
static const char *const prompt =
    "Write a short essay about the history of the city, in English.";

/* Kwargs by id: "name=kind" pairs separated by ';', kind i:LO:HI (an
 * integer), r (a relation), w (a word), W (two words), p (the prompt), l (a
 * letter), s:A|B|... (one of those strings). */
static const struct {
  const char *id, *spec;
} specs[] = {
    {"change_case:capital_word_frequency",
     "capital_frequency=i:1:20;capital_relation=r"},
    {"combination:repeat_prompt", "prompt_to_repeat=p"},
    {"copy:copy", "prompt_to_repeat=p"},
    {"copy:copying_multiple", "prompt_to_repeat=p;N=i:2:3"},
    {"copy:copying_simple", "prompt_to_repeat=p"},
    {"copy:repeat_phrase", "phrase=s:The early bird catches the worm|"
                           "Time flies when having fun;small_n=i:2:3"},
    {"count:count_increment_word", "keyword1=w;keyword2=w"},
    {"count:counting_composition", "n_sent=i:2:3;n_words=i:2:6"},
    {"count:lowercase_counting", "N=i:10:400"},
    {"detectable_content:number_placeholders", "num_placeholders=i:1:4"},
    {"detectable_content:postscript", "postscript_marker=s:P.S.|P.P.S"},
    {"detectable_format:multiple_sections",
     "section_spliter=s:Section|SECTION;num_sections=i:1:5"},
    {"detectable_format:number_bullet_lists", "num_bullets=i:1:5"},
    {"detectable_format:number_highlighted_sections", "num_highlights=i:1:4"},
    {"first_word:first_word_answer", "first_word=w"},
    {"first_word:first_word_sent", "first_word=w"},
    {"keywords:exclude_word_harder", "keyword=w"},
    {"keywords:existence", "keywords=W"},
    {"keywords:forbidden_words", "forbidden_words=W"},
    {"keywords:frequency", "keyword=w;frequency=i:1:5;relation=r"},
    {"keywords:keyword_specific_position", "keyword=w;n=i:1:5;m=i:1:10"},
    {"keywords:letter_frequency", "letter=l;let_frequency=i:1:30;let_relation=r"},
    {"keywords:word_count_different_numbers", "keyword=w;frequency=i:1:5;relation=r"},
    {"keywords:word_once", "keyword=w"},
    {"language:response_language", "language=s:en|fr|de|es"},
    {"last_word:last_word_answer", "last_word=w"},
    {"last_word:last_word_sent", "last_word=w"},
    {"length_constraints:nth_paragraph_first_word",
     "num_paragraphs=i:3:5;nth_paragraph=i:1:3;first_word=w"},
    {"length_constraints:number_paragraphs", "num_paragraphs=i:1:5"},
    {"length_constraints:number_sentences", "num_sentences=i:1:20;relation=r"},
    {"length_constraints:number_words", "num_words=i:100:500;relation=r"},
    {"letters:letter_counting", "N=i:10:2000;relation=r"},
    {"letters:letter_counting2", "letter=l;let_frequency=i:1:30;let_relation=r"},
    {"new:copy_span_idx", "prompt_to_repeat=p;n_start=i:1:10;n_end=i:11:40"},
    {"startend:end_checker", "end_phrase=s:Is there anything else I can "
                             "help with?|Any other questions?"},
};

/* One value of a spec kind. */
static json_t *value_of(const char *kind) {
  static const char *const rel[] = {"less than", "at least"};
  char buf[200];
  switch (kind[0]) {
  case 'i': {
    long long lo = strtoll(kind + 2, NULL, 10);
    long long hi = strtoll(strchr(kind + 2, ':') + 1, NULL, 10);
    return json_integer(between(lo, hi));
  }
  case 'r': return json_string(rel[rnd(2)]);
  case 'w': return json_string(words[rnd(10)]);
  case 'W': return json_pack("[ss]", words[rnd(10)], words[rnd(10)]);
  case 'p': return json_string(prompt);
  case 'l':
    snprintf(buf, sizeof buf, "%c", 'a' + (int)rnd(26));
    return json_string(buf);
  default: { /* s:A|B|...: one of them */
    const char *opt = kind + 2;
    for (unsigned k = rnd(4); k > 0 && strchr(opt, '|'); k--)
      opt = strchr(opt, '|') + 1;
    size_t len = strcspn(opt, "|");
    snprintf(buf, sizeof buf, "%.*s", (int)len, opt);
    return json_string(buf);
  }
  }
}

static json_t *kwargs_of(const char *id) {
  json_t *kw = json_object();
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    if (strcmp(specs[i].id, id))
      continue;
    char spec[300];
    snprintf(spec, sizeof spec, "%s", specs[i].spec);
    for (char *p = spec; p;) {
      char *end = strchr(p, ';'), *eq = strchr(p, '=');
      if (end)
        *end = '\0';
      *eq = '\0';
      json_object_set_new(kw, p, value_of(eq + 1));
      p = end ? end + 1 : NULL;
    }
  }
  return kw;
}

/* The bundled GPT-4 responses. */
static json_t *responses(void) {
  json_t *all = json_array();
  FILE *f = fopen("data/ifeval/input_response_data_gpt4_20231107_145030.jsonl",
                  "r");
  char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    json_t *o = json_loads(line, 0, NULL);
    json_array_append(all, json_object_get(o, "response"));
    json_decref(o);
  }
  free(line);
  if (f)
    fclose(f);
  return all;
}

static int write_workload(const char *path) {
  size_t nids;
  const vf_checkdef *defs = vf_ifevalg_table(&nids);
  json_t *resp = responses();
  FILE *out = fopen(path, "w");
  if (!out || json_array_size(resp) == 0)
    return -1;
  for (size_t r = 0; r < ROWS; r++) {
    json_t *ids = json_array(), *kws = json_array();
    for (unsigned k = 0, n = 1 + rnd(MAX_IDS); k < n; k++) {
      const char *id = defs[rnd((unsigned)nids)].id;
      json_array_append_new(ids, json_string(id));
      json_array_append_new(kws, kwargs_of(id));
    }
    json_t *row = json_pack("{s:I, s:s, s:o, s:o, s:O}", "key", (json_int_t)r,
                            "prompt", prompt, "instruction_id_list", ids,
                            "kwargs", kws, "response",
                            json_array_get(resp, r % json_array_size(resp)));
    json_dumpf(row, out, JSON_COMPACT);
    fputc('\n', out);
    json_decref(row);
  }
  json_decref(resp);
  return fclose(out);
}

/* ---- verif's run ------------------------------------------------------------- */

/* The two ways a row is checked: as NeMo-Gym's /verify checks it (each
 * instruction once, vf_follow_list), and as an evaluation does (IFEval's
 * strict and loose rules, vf_prompt_eval, as IFEval's and IFBench's
 * evaluation_lib run them). */
enum { VERIFY, EVAL };
static const char *const mode_name[] = {"verify (NeMo-Gym /verify)",
                                        "eval (strict + loose)"};

typedef struct work {
  const vf_ctx *ctx;
  char **rows;
  size_t n, first, step;
  int mode;
  unsigned char *verdicts; /* rows x 2 x MAX_IDS: 0, 1, or 2 (no entry) */
  int failed;
} work;

static json_t *parse(const char *line) {
  size_t len = strlen(line);
  json_t *row = vf_jsonl_tree(line, len); /* NULL: ask jansson */
  return row ? row : json_loadb(line, len, 0, NULL);
}

/* One row as /verify checks it: its entries' verdicts into v[0..]. */
static int verify_row(const vf_ctx *ctx, const json_t *row, unsigned char *v) {
  const json_t *text = json_object_get(row, "response");
  vf_follow *f = NULL;
  size_t n = 0;
  vf_error err;
  if (vf_follow_list(ctx, "ifevalg", json_object_get(row, "instruction_id_list"),
                     json_object_get(row, "kwargs"), json_string_value(text),
                     json_string_length(text), &f, &n, &err))
    return -1;
  for (size_t k = 0; k < n && k < MAX_IDS; k++)
    v[k] = (unsigned char)f[k].followed;
  free(f);
  return 0;
}

/* One row as an evaluation checks it: strict into v[0..], loose into
 * v[MAX_IDS..]. */
static int eval_row(const vf_ctx *ctx, const json_t *row, unsigned char *v) {
  const json_t *text = json_object_get(row, "response");
  vf_prompt *p;
  vf_error err;
  if (vf_prompt_from_json(ctx, "ifevalg", row, "bench", &p, &err))
    return -1;
  int rc = vf_prompt_eval(p, json_string_value(text), json_string_length(text),
                          v, v + MAX_IDS, &err) ? -1 : 0;
  vf_prompt_free(p);
  return rc;
}

static void *run_rows(void *arg) {
  work *w = arg;
  for (size_t i = w->first; i < w->n; i += w->step) {
    json_t *row = parse(w->rows[i]);
    unsigned char *v = w->verdicts + i * 2 * MAX_IDS;
    if (!row || (w->mode == VERIFY ? verify_row : eval_row)(w->ctx, row, v))
      w->failed = 1;
    json_decref(row);
  }
  return NULL;
}

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char **read_rows(const char *path, size_t *n) {
  FILE *f = fopen(path, "r");
  char **rows = calloc(ROWS, sizeof *rows), *line = NULL;
  size_t cap = 0;
  *n = 0;
  while (f && rows && *n < ROWS && getline(&line, &cap, f) > 0)
    rows[(*n)++] = strdup(line);
  free(line);
  if (f)
    fclose(f);
  return rows;
}

/* The first REF_ROWS rows' verdicts, as the reference script writes them:
 * "1,0" (verify) or "1,0|1,1" (eval: strict|loose). */
static void write_verdicts(const char *path, const unsigned char *v, int mode,
                           char **rows) {
  FILE *f = fopen(path, "w");
  for (size_t i = 0; f && i < REF_ROWS; i++) {
    json_t *row = parse(rows[i]);
    size_t n = json_array_size(json_object_get(row, "instruction_id_list"));
    json_decref(row);
    for (int part = 0; part <= (mode == EVAL); part++)
      for (size_t k = 0; k < n; k++)
        fprintf(f, "%s%d", k ? "," : part ? "|" : "",
                v[i * 2 * MAX_IDS + (size_t)part * MAX_IDS + k]);
    fputc('\n', f);
  }
  if (f)
    fclose(f);
}

/* Child: the workload in one mode with `threads` threads; writes "seconds
 * rows" to fd and (1 thread) the first rows' verdicts to vpath. */
static void child(int fd, const char *path, const char *vpath, int mode,
                  int threads) {
  vf_ctx *ctx;
  vf_error err;
  size_t n;
  char **rows = read_rows(path, &n);
  if (vf_ctx_new(&ctx, NULL, &err) || n != ROWS)
    _exit(1);
  unsigned char *v = calloc(n * 2 * MAX_IDS, 1);
  work w[64];
  pthread_t t[64];
  double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  for (int i = 0; i < threads; i++) {
    w[i] = (work){ctx, rows, n, (size_t)i, (size_t)threads, mode, v, 0};
    pthread_create(&t[i], NULL, run_rows, &w[i]);
  }
  int failed = 0;
  for (int i = 0; i < threads; i++)
    pthread_join(t[i], NULL), failed |= w[i].failed;
  double secs = clock_s(CLOCK_MONOTONIC) - t0;
  double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  if (threads == 1)
    write_verdicts(vpath, v, mode, rows);
  char line[100];
  int k = snprintf(line, sizeof line, "%.6f %.6f %zu\n", secs, cpu, n);
  if (failed || write(fd, line, (size_t)k) != k)
    _exit(1);
  _exit(0);
}

/* Runs one configuration; returns its rows/s (0 on failure) and the CPU
 * time per row (all threads, the timed part only) in *cpu_us. */
static double run(const char *path, const char *vpath, int mode, int threads,
                  double *cpu_us) {
  int p[2];
  fflush(stdout); /* the child must not print the parent's lines again */
  if (pipe(p))
    return 0;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    child(p[1], path, vpath, mode, threads);
  }
  close(p[1]);
  char line[100] = {0};
  ssize_t got = read(p[0], line, sizeof line - 1);
  close(p[0]);
  int status;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  double secs, cpu;
  size_t rows;
  if (got <= 0 || sscanf(line, "%lf %lf %zu", &secs, &cpu, &rows) != 3 ||
      !WIFEXITED(status) || WEXITSTATUS(status))
    return 0;
  *cpu_us = cpu / (double)rows * 1e6;
  printf("%s, verif %2d thread%s: %zu prompts in %.3f s = %8.0f prompts/s "
         "(%.1f us/prompt; CPU %.1f us/prompt), peak memory %.1f MiB\n",
         mode_name[mode], threads, threads == 1 ? " " : "s", rows, secs,
         (double)rows / secs, secs / (double)rows * 1e6, *cpu_us,
         (double)ru.ru_maxrss / 1024.0);
  return (double)rows / secs;
}

/* ---- the reference, side by side --------------------------------------------- */

/* Lines of one verdict file equal to the other's, and lines compared. */
static void agreement(const char *a, const char *b, size_t *same,
                      size_t *rows) {
  FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
  char la[64], lb[64];
  *same = *rows = 0;
  while (fa && fb && fgets(la, sizeof la, fa) && fgets(lb, sizeof lb, fb)) {
    (*rows)++;
    *same += !strcmp(la, lb);
  }
  if (fa)
    fclose(fa);
  if (fb)
    fclose(fb);
}

/* Times the reference on the first REF_ROWS rows in one mode; prints it
 * with the ratios to verif's best wall-clock rate and CPU time. */
static void reference(const char *ref, const char *path, const char *dir,
                      const char *mine, int mode, double fast, double cpu_us) {
  char cmd[2000], out[700], line[200] = {0};
  snprintf(out, sizeof out, "%s/ref-verdicts.txt", dir);
  const char *ifb = getenv("VERIF_IFBENCH_REF");
  if (mode == EVAL && !(ifb && *ifb)) {
    printf("%s, reference: not timed (VERIF_IFBENCH_REF=a checkout of IFBench "
           "for its evaluation_lib)\n", mode_name[mode]);
    return;
  }
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 scripts/time-official-ifevalg.py '%s' '%s' %d "
           "'%s' %s '%s' 2>/dev/null",
           ref, path, REF_ROWS, out, mode == EVAL ? "eval" : "verify",
           mode == EVAL ? ifb : "");
  FILE *p = popen(cmd, "r");
  double secs = 0, cpu = 0;
  size_t rows = 0, same, compared;
  if (p && fgets(line, sizeof line, p) &&
      sscanf(line, "%lf %lf %zu", &secs, &cpu, &rows) != 3)
    rows = 0;
  if (p)
    pclose(p);
  if (!rows || secs <= 0) {
    printf("reference: could not run scripts/time-official-ifevalg.py (needs "
           "python3-nltk python3-langdetect python3-absl "
           "python3-immutabledict and VERIF_IFEVALG_REF=a checkout)\n");
    return;
  }
  agreement(out, mine, &same, &compared);
  printf("%s, reference (Python, 1 core): %zu prompts in %.2f s = %.0f "
         "prompts/s (CPU %.0f us/prompt); verif all cores / reference = "
         "%.0fx, CPU per prompt %.0fx; verdicts agree on %zu/%zu prompts\n",
         mode_name[mode], rows, secs, (double)rows / secs,
         cpu / (double)rows * 1e6, fast / ((double)rows / secs),
         cpu / (double)rows * 1e6 / cpu_us, same, compared);
}

int main(int argc, char **argv) {
  char tmpl[] = "/tmp/verif-bench-ifevalg-XXXXXX", path[600], mine[600];
  char *dir = mkdtemp(tmpl);
  if (!dir)
    return 1;
  snprintf(path, sizeof path, "%s", argc > 1 ? argv[1] : "");
  if (argc <= 1) /* else the workload is kept where asked */
    snprintf(path, sizeof path, "%s/workload.jsonl", dir);
  snprintf(mine, sizeof mine, "%s/verdicts.txt", dir);
  int rc = write_workload(path);
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  const char *ref = getenv("VERIF_IFEVALG_REF");
  for (int mode = VERIFY; !rc && mode <= EVAL; mode++) {
    double fast = 0, cpu1 = 0, cpun = 0;
    rc = run(path, mine, mode, 1, &cpu1) <= 0 ||
         (fast = run(path, mine, mode, cores, &cpun)) <= 0;
    if (!rc && ref && *ref)
      reference(ref, path, dir, mine, mode, fast, cpu1);
  }
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) {
  }
  if (rc)
    fprintf(stderr, "bench_ifevalg: failed\n");
  return rc ? 1 : 0;
}
