/*
 * eval.c: `verif eval ifeval`: a drop-in for google-research's
 * instruction_following_eval/evaluation_main (same flags, same output files,
 * same report on stdout), plus --jobs and --skip-missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: verif eval ifeval --input_data F --input_response_data F\n"
    "                         --output_dir D [--jobs N] [--skip-missing]\n\n"
    "Evaluates IFEval responses exactly as the official evaluation_main:\n"
    "reads the prompts (input_data.jsonl: key, prompt, instruction_id_list,\n"
    "kwargs) and the responses ({\"prompt\", \"response\"} lines, matched by\n"
    "prompt text), writes D/eval_results_strict.jsonl and\n"
    "D/eval_results_loose.jsonl (same fields, same line order, same bytes),\n"
    "and prints the official report: prompt- and instruction-level accuracy,\n"
    "then per category and per instruction id, strict then loose.\n\n"
    "  --input_data F           the prompts\n"
    "  --input_response_data F  the responses\n"
    "  --output_dir D           where the two result files go (created)\n"
    "  --jobs N                 threads (default: all cores)\n"
    "  --skip-missing           evaluate the prompts that have a response and\n"
    "                           say how many were skipped (default: error)\n\n"
    "Flags may be written --flag=value or --flag value.\n"
    "keywords:letter_frequency counts the given character; the reference\n"
    "replaces a non-letter (e.g. '#', '!') with a random letter.\n\n"
    "Errors (exit status 2, no output files left): a malformed JSON line, an\n"
    "unknown instruction id, a missing/unknown/mistyped kwarg (each named with\n"
    "file:line and field), a prompt without a response (its keys listed),\n"
    "unreadable files.  Exit status 0 on success.\n";

int cmd_eval(int argc, char **argv) {
  vf_eval_opts o = {.report = stdout, .log = stderr};
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_ERROR : EXIT_PASS;
  }
  if (strcmp(argv[1], "ifeval") != 0) {
    fprintf(stderr, "verif eval: unknown benchmark '%s' (known: ifeval)\n",
            argv[1]);
    return EXIT_ERROR;
  }
  for (int i = 2; i < argc; i++) {
    const char *jobs = NULL;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return EXIT_PASS;
    }
    if (!strcmp(argv[i], "--skip-missing") || !strcmp(argv[i], "--skip_missing")) {
      o.skip_missing = 1;
      continue;
    }
    int r = cli_opt(argc, argv, &i, "--input_data", &o.input_data);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--input_response_data",
                  &o.input_response_data);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--output_dir", &o.output_dir);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--jobs", &jobs);
    if (r < 0)
      return EXIT_ERROR;
    if (r > 0) {
      if (jobs) {
        char *end;
        long n = strtol(jobs, &end, 10);
        if (*end || n < 1 || n > 256) {
          fprintf(stderr, "verif eval: --jobs must be 1..256, got '%s'\n", jobs);
          return EXIT_ERROR;
        }
        o.jobs = (int)n;
      }
      continue;
    }
    fprintf(stderr, "verif eval: unknown option '%s'\n%s", argv[i], help);
    return EXIT_ERROR;
  }
  if (!o.input_data || !o.input_response_data || !o.output_dir) {
    fprintf(stderr, "verif eval: --input_data, --input_response_data and "
                    "--output_dir are required\n");
    return EXIT_ERROR;
  }
  vf_ctx *ctx = cli_ctx();
  if (!ctx)
    return EXIT_ERROR;
  vf_error err = {0};
  vf_status st = vf_eval_ifeval(ctx, &o, NULL, &err);
  if (st)
    cli_error(&err);
  vf_ctx_free(ctx);
  return st ? EXIT_ERROR : EXIT_PASS;
}
