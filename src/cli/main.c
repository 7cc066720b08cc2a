/*
 * main.c: the verif command: dispatches to a subcommand found in a sorted
 * table, and holds the helpers every subcommand shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct subcommand {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} subcommands[] = {
    {"audit", cmd_audit, "find the verification functions that would mis-train a model"},
    {"check", cmd_check, "check one response (stdin) against one constraint"},
    {"eval", cmd_eval, "evaluate a benchmark (ifeval, ifbench), as its official script"},
    {"score", cmd_score, "score JSONL items (VerInstruct, verl, IFEval): rewards out"},
    {"serve", cmd_serve, "serve rewards over HTTP (verl, OpenRLHF, slime, TRL, NeMo-Gym)"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: verif <command> [options]   (verif <command> --help)\n\n"
             "verif %s: instruction-following verification with the "
             "verdicts of the\nPython references (IFEval).\n\ncommands:\n",
          VF_VERSION);
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
  fprintf(f, "\nenvironment:\n  VERIF_DATA_DIR  where the bundled data lives "
             "(now: %s)\n", vf_data_dir());
}

static int cmp_name(const void *key, const void *elem) {
  return strcmp(key, ((const struct subcommand *)elem)->name);
}

int cli_opt(int argc, char **argv, int *i, const char *name,
            const char **value) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0)
    return 0;
  if (a[n] == '=') {
    *value = a + n + 1;
    return 1;
  }
  if (a[n] != '\0')
    return 0;
  if (*i + 1 >= argc) {
    fprintf(stderr, "verif: option %s needs a value\n", name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

void cli_error(const vf_error *err) {
  fprintf(stderr, "verif: %s\n", err->msg[0] ? err->msg : vf_strerror(err->code));
}

vf_ctx *cli_ctx(void) {
  vf_ctx *ctx = NULL;
  vf_error err = {0};
  if (vf_ctx_new(&ctx, NULL, &err)) {
    cli_error(&err);
    return NULL;
  }
  return ctx;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_ERROR : EXIT_PASS;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("verif %s\n", VF_VERSION);
    return EXIT_PASS;
  }
  const struct subcommand *c =
      bsearch(argv[1], subcommands, sizeof subcommands / sizeof subcommands[0],
              sizeof subcommands[0], cmp_name);
  if (!c) {
    fprintf(stderr, "verif: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_ERROR;
  }
  return c->run(argc - 1, argv + 1);
}
