/*
 * engine_opts.c: the scoring and judge options that `verif score` and
 * `verif serve` share, parsed in one place into a vf_engine_opts, plus the
 * small value parsers (numbers in a range, one of a few names) both use.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_enum(const char *v, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (!strcmp(v, names[i]))
      return i;
  return -1;
}

int cli_number(const char *cmd, const char *name, const char *v, double lo,
               double hi, double *out) {
  char *end;
  *out = strtod(v, &end);
  if (*v && !*end && *out >= lo && *out <= hi)
    return 0;
  fprintf(stderr, "verif %s: %s must be a number in %g..%g, got '%s'\n", cmd,
          name, lo, hi, v);
  return -1;
}

static int string_opt(vf_engine_opts *eo, int argc, char **argv, int *i) {
  static const struct {
    const char *name;
    size_t off;
  } strs[] = {
      {"--judge-url", offsetof(vf_engine_opts, judge_urls)},
      {"--judge-model", offsetof(vf_engine_opts, judge_model)},
      {"--judge-template", offsetof(vf_engine_opts, judge_template)},
      {"--judge-template-file", offsetof(vf_engine_opts, judge_template_file)},
      {"--judge-cache", offsetof(vf_engine_opts, judge_cache)},
      {"--family", offsetof(vf_engine_opts, family)},
      {"--judge-url-allow", offsetof(vf_engine_opts, judge_url_allow)},
  };
  for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
    int r = cli_opt(argc, argv, i, strs[k].name,
                    (const char **)((char *)eo + strs[k].off));
    if (r != 0)
      return r;
  }
  return 0;
}

/* --format, --combine, --on-judge-error, --isolation. */
static int choice_opt(const char *cmd, vf_engine_opts *eo, int argc,
                      char **argv, int *i) {
  static const struct {
    const char *name;
    const char *const names[5];
    int n;
  } ch[] = {{"--format", {"auto", "verinstruct", "verl", "ifeval",
                          "openinstruct"}, 5},
            {"--combine", {"product", "average", "all"}, 3},
            {"--on-judge-error", {"error", "zero"}, 2},
            {"--isolation", {"row", "shared"}, 2}};
  for (int k = 0; k < 4; k++) {
    const char *v = NULL;
    int r = cli_opt(argc, argv, i, ch[k].name, &v);
    if (r == 0)
      continue;
    int c = r > 0 ? cli_enum(v, ch[k].names, ch[k].n) : -1;
    if (c < 0) {
      fprintf(stderr, "verif %s: %s must be one of:", cmd, ch[k].name);
      for (int j = 0; j < ch[k].n; j++)
        fprintf(stderr, " %s", ch[k].names[j]);
      fputc('\n', stderr);
      return -1;
    }
    if (k == 0)
      eo->format = (vf_format)c;
    else if (k == 1)
      eo->combine = (vf_combine)c;
    else if (k == 2)
      eo->judge_error_zero = c == 1;
    else
      eo->isolation = (vf_isolation)c;
    return 1;
  }
  return 0;
}

static void set_num(vf_engine_opts *eo, int k, double d) {
  switch (k) {
  case 0: eo->threads = (int)d; break;
  case 1: eo->workers = (int)d; break;
  case 2: eo->check_timeout_s = d; break;
  case 3: eo->judge_concurrency = (int)d; break;
  case 4: eo->judge_timeout_s = d; break;
  default: eo->judge_retries = d == 0 ? -1 : (int)d; break; /* 0: none */
  }
}

static int number_opt(const char *cmd, vf_engine_opts *eo, int argc,
                      char **argv, int *i) {
  static const struct {
    const char *name;
    double lo, hi;
  } nums[] = {{"--jobs", 1, 256},
              {"--workers", 1, 256},
              {"--check-timeout", 0.001, 3600},
              {"--judge-concurrency", 1, 4096},
              {"--judge-timeout", 0.001, 86400},
              {"--judge-retries", 0, 100}};
  for (int k = 0; k < (int)(sizeof nums / sizeof nums[0]); k++) {
    const char *v = NULL;
    double d;
    int r = cli_opt(argc, argv, i, nums[k].name, &v);
    if (r == 0)
      continue;
    if (r < 0 || cli_number(cmd, nums[k].name, v, nums[k].lo, nums[k].hi, &d))
      return -1;
    set_num(eo, k, d);
    return 1;
  }
  return 0;
}

int cli_engine_opt(const char *cmd, vf_engine_opts *eo, int argc, char **argv,
                   int *i) {
  if (!strcmp(argv[*i], "--keep-reasoning")) {
    eo->keep_reasoning = 1;
    return 1;
  }
  int r = string_opt(eo, argc, argv, i);
  if (r == 0)
    r = choice_opt(cmd, eo, argc, argv, i);
  if (r == 0)
    r = number_opt(cmd, eo, argc, argv, i);
  return r;
}

int cli_engine_finish(const char *cmd, vf_engine_opts *eo) {
  if (eo->judge_urls && !eo->judge_model) {
    fprintf(stderr, "verif %s: --judge-model is required with --judge-url\n",
            cmd);
    return -1;
  }
  eo->judge_api_key = getenv("VERIF_JUDGE_API_KEY");
  return 0;
}
