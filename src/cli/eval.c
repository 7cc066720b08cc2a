/*
 * eval.c: `verif eval ifeval` and `verif eval ifbench`: drop-ins for
 * google-research's instruction_following_eval/evaluation_main and for
 * allenai/IFBench's run_eval.py (same flags, same output files, same report
 * on stdout), plus --jobs, --skip-missing, and an HTML report of one run or
 * two side by side (--html, --compare).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: verif eval ifeval|ifbench --input_data F --input_response_data F\n"
    "                                 --output_dir D [--jobs N] "
    "[--skip-missing]\n"
    "                                 [--html F [--compare R]]\n"
    "       verif eval ifeval|ifbench --help\n";

static const char common[] =
    "  --input_data F           the prompts\n"
    "  --input_response_data F  the responses\n"
    "  --output_dir D           where the two result files go (created)\n"
    "  --jobs N                 threads (default: all cores)\n"
    "  --skip-missing           evaluate the prompts that have a response and\n"
    "                           say how many were skipped (default: error)\n"
    "  --html F                 also write a self-contained HTML report:\n"
    "                           accuracy per category and per instruction,\n"
    "                           strict and loose, as charts and a table\n"
    "  --compare R              a second run shown beside the first: R is a\n"
    "                           responses file (evaluated into D/compare/) or\n"
    "                           the output directory of an earlier run; its\n"
    "                           report follows the first one on stdout\n"
    "  --label A, --compare-label B  the runs' names in the page (default:\n"
    "                           the file names)\n\n"
    "Flags may be written --flag=value or --flag value.\n";

static const char errors[] =
    "Blank lines (in either file) are not items: they are skipped and\n"
    "counted.\n\n"
    "Exit status: 0 every prompt evaluated; 1 some prompts skipped for want\n"
    "of a response (--skip-missing; the files hold the others); 2 the run\n"
    "failed, and no output file (nor the --output_dir it created) is left:\n"
    "a malformed JSON line, an unknown instruction id, a missing, unknown or\n"
    "mistyped kwarg (each named with file:line and field, once), a prompt\n"
    "without a response (its keys listed), an unreadable file.\n";

static const char help_ifeval[] =
    "usage: verif eval ifeval --input_data F --input_response_data F\n"
    "                         --output_dir D [--jobs N] [--skip-missing]\n\n"
    "Evaluates IFEval responses exactly as the official evaluation_main:\n"
    "reads the prompts (input_data.jsonl: key, prompt, instruction_id_list,\n"
    "kwargs) and the responses ({\"prompt\", \"response\"} lines, matched by\n"
    "prompt text), writes D/eval_results_strict.jsonl and\n"
    "D/eval_results_loose.jsonl (same fields, same line order, same bytes),\n"
    "and prints the official report: prompt- and instruction-level accuracy,\n"
    "then per category and per instruction id, strict then loose.\n\n";

static const char note_ifeval[] =
    "keywords:letter_frequency counts the given character; the reference\n"
    "replaces a non-letter (e.g. '#', '!') with a random letter.\n\n";

static const char help_ifbench[] =
    "usage: verif eval ifbench --input_data F --input_response_data F\n"
    "                          --output_dir D [--jobs N] [--skip-missing]\n\n"
    "Evaluates IFBench responses exactly as allenai/IFBench's run_eval.py (at\n"
    "commit c94da02): reads the prompts (IFBench_test.jsonl: key, prompt,\n"
    "instruction_id_list, kwargs) and the responses ({\"prompt\", \"response\"}\n"
    "lines, matched by prompt text), writes D/eval_results_strict.jsonl and\n"
    "D/eval_results_loose.jsonl (same fields, same line order, same bytes),\n"
    "and prints the official report, strict then loose.  Ids are IFBench's\n"
    "58 (family \"ifbench\").\n\n";

static const char note_ifbench[] =
    "Multi-turn rows (IFBench_multi-turn: the constraint comes in a later user\n"
    "turn) are scored on the model's last assistant turn: their responses\n"
    "line may give the conversation, {\"prompt\", \"messages\": [{\"role\",\n"
    "\"content\"}, ...]}, in place of \"response\".\n"
    "Where the reference's check raises (e.g. format:emoji on a sentence of\n"
    "punctuation only) its run stops; verif counts the instruction as not\n"
    "followed and says on stderr how many verdicts that decided.\n"
    "repeat:repeat_span with n_start 0 starts at word 0 (the reference draws a\n"
    "random start there); other kwargs the reference would draw at random\n"
    "are errors.\n\n";

typedef vf_status (*eval_fn)(const vf_ctx *, const vf_eval_opts *,
                             vf_eval_stats *, vf_error *);

static const struct bench {
  const char *name, *help, *note;
  eval_fn run;
} benches[] = {
    {"ifeval", help_ifeval, note_ifeval, vf_eval_ifeval},
    {"ifbench", help_ifbench, note_ifbench, vf_eval_ifbench},
};

static void print_help(const struct bench *b, FILE *f) {
  fputs(b->help, f);
  fputs(common, f);
  fputc('\n', f);
  fputs(b->note, f);
  fputs(errors, f);
}

static const struct bench *find_bench(const char *name) {
  for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
    if (!strcmp(benches[i].name, name))
      return &benches[i];
  return NULL;
}

static int parse_jobs(const char *jobs, vf_eval_opts *o) {
  char *end;
  long n = strtol(jobs, &end, 10);
  if (*end || n < 1 || n > 256) {
    fprintf(stderr, "verif eval: --jobs must be 1..256, got '%s'\n", jobs);
    return -1;
  }
  o->jobs = (int)n;
  return 0;
}

/* --html and --compare: the page and the second run. */
typedef struct html_opts {
  const char *html, *compare, *label, *compare_label;
} html_opts;

static int html_opt(html_opts *h, int argc, char **argv, int *i) {
  const char *const names[] = {"--html", "--compare", "--label",
                               "--compare-label"};
  const char **dst[] = {&h->html, &h->compare, &h->label, &h->compare_label};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    int r = cli_opt(argc, argv, i, names[k], dst[k]);
    if (r)
      return r;
  }
  return 0;
}

/* "dir/gpt4.jsonl" -> "gpt4.jsonl" (a directory's own name for dirs). */
static const char *base_name(const char *path, char *buf, size_t n) {
  snprintf(buf, n, "%s", path);
  size_t len = strlen(buf);
  while (len > 1 && buf[len - 1] == '/')
    buf[--len] = '\0';
  const char *slash = strrchr(buf, '/');
  return slash && slash[1] ? slash + 1 : buf;
}

/* Evaluates the second run (unless R is an earlier run's directory) and
 * writes the page; 0 or -1 (after saying why). */
static int write_html(const vf_ctx *ctx, const struct bench *b,
                      const vf_eval_opts *o, const html_opts *h) {
  char la[256], lb[256], dir[1100];
  vf_eval_page_run runs[2] = {
      {h->label ? h->label : base_name(o->input_response_data, la, sizeof la),
       o->output_dir},
      {NULL, NULL}};
  vf_error err = {0};
  struct stat sb;
  if (h->compare) {
    runs[1].label = h->compare_label ? h->compare_label
                                     : base_name(h->compare, lb, sizeof lb);
    runs[1].dir = h->compare;
    if (stat(h->compare, &sb) || !S_ISDIR(sb.st_mode)) {
      vf_eval_opts second = *o;
      snprintf(dir, sizeof dir, "%s/compare", o->output_dir);
      second.input_response_data = h->compare;
      second.output_dir = dir;
      runs[1].dir = dir;
      if (o->report)
        fprintf(o->report, "\n== %s\n", runs[1].label);
      if (b->run(ctx, &second, NULL, &err)) {
        cli_error(&err);
        return -1;
      }
    }
  }
  if (vf_eval_html(ctx, h->html, runs, h->compare ? 2 : 1, &err)) {
    cli_error(&err);
    return -1;
  }
  return 0;
}

/* The flags after the benchmark's name: 0, 1 (--help printed), -1. */
static int parse_flags(int argc, char **argv, const struct bench *b,
                       vf_eval_opts *o, html_opts *h) {
  for (int i = 2; i < argc; i++) {
    const char *jobs = NULL;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      print_help(b, stdout);
      return 1;
    }
    if (!strcmp(argv[i], "--skip-missing") || !strcmp(argv[i], "--skip_missing")) {
      o->skip_missing = 1;
      continue;
    }
    int r = html_opt(h, argc, argv, &i);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--input_data", &o->input_data);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--input_response_data",
                  &o->input_response_data);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--output_dir", &o->output_dir);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--jobs", &jobs);
    if (r < 0 || (jobs && parse_jobs(jobs, o)))
      return -1;
    if (r > 0)
      continue;
    fprintf(stderr, "verif eval: unknown option '%s'\n", argv[i]);
    print_help(b, stderr);
    return -1;
  }
  return 0;
}

int cmd_eval(int argc, char **argv) {
  vf_eval_opts o = {.report = stdout, .log = stderr};
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_ERROR : EXIT_PASS;
  }
  const struct bench *b = find_bench(argv[1]);
  if (!b) {
    fprintf(stderr, "verif eval: unknown benchmark '%s' (known: ifeval, "
                    "ifbench)\n", argv[1]);
    return EXIT_ERROR;
  }
  html_opts h = {0};
  int r = parse_flags(argc, argv, b, &o, &h);
  if (r)
    return r > 0 ? EXIT_PASS : EXIT_ERROR;
  if (!o.input_data || !o.input_response_data || !o.output_dir) {
    fprintf(stderr, "verif eval: --input_data, --input_response_data and "
                    "--output_dir are required\n");
    return EXIT_ERROR;
  }
  if (h.compare && !h.html) {
    fprintf(stderr, "verif eval: --compare needs --html\n");
    return EXIT_ERROR;
  }
  vf_ctx *ctx = cli_ctx();
  if (!ctx)
    return EXIT_ERROR;
  vf_error err = {0};
  vf_eval_stats stats = {0};
  vf_status st = b->run(ctx, &o, &stats, &err);
  if (st)
    cli_error(&err);
  else if (h.html && write_html(ctx, b, &o, &h))
    st = VF_EIO;
  vf_ctx_free(ctx);
  return st ? EXIT_ERROR : stats.skipped ? EXIT_FAIL : EXIT_PASS;
}
