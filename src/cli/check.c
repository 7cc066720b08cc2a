/*
 * check.c: `verif check --id ID [--kwargs JSON]`: reads one response on
 * stdin, prints PASS or FAIL with the reason, and exits 0 (follows), 1 (does
 * not) or 2 (error).  `verif check --list` lists the instruction ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: verif check --id ID [--kwargs JSON] < response.txt\n"
    "       verif check --list\n\n"
    "Checks the response read from standard input against one constraint,\n"
    "exactly as the reference's check_following(response) would (no strip,\n"
    "no loose variants).\n\n"
    "  --id ID        instruction id, e.g. length_constraints:number_words\n"
    "  --kwargs JSON  its arguments, e.g. '{\"num_words\": 300, \"relation\": "
    "\"at least\"}'\n"
    "  --list         print every instruction id with a one-line summary\n\n"
    "Prints PASS, or FAIL: <why> (e.g. \"found 212 words, needs at least "
    "300\").\n"
    "Exit status: 0 the response follows the constraint, 1 it does not,\n"
    "2 an error (unknown id, bad kwargs, invalid UTF-8 input, ...).\n";

static void list_one(void *ud, const char *id, const char *summary) {
  (void)ud;
  printf("%-46s %s\n", id, summary);
}

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    char *p = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
    if (!p) {
      free(buf);
      return NULL;
    }
    buf = p, cap *= 2;
  }
  *len = n;
  return buf;
}

int cmd_check(int argc, char **argv) {
  const char *id = NULL, *kwargs = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return EXIT_PASS;
    }
    if (!strcmp(argv[i], "--list")) {
      vf_checker_list(list_one, NULL);
      return EXIT_PASS;
    }
    int r = cli_opt(argc, argv, &i, "--id", &id);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--kwargs", &kwargs);
    if (r < 0)
      return EXIT_ERROR;
    if (r > 0)
      continue;
    fprintf(stderr, "verif check: unknown option '%s'\n%s", argv[i], help);
    return EXIT_ERROR;
  }
  if (!id) {
    fprintf(stderr, "verif check: --id is required\n%s", help);
    return EXIT_ERROR;
  }
  vf_ctx *ctx = cli_ctx();
  if (!ctx)
    return EXIT_ERROR;
  vf_error err = {0};
  vf_checker *chk = NULL;
  vf_verdict v;
  size_t len = 0;
  char *resp = NULL;
  int rc = EXIT_ERROR;
  if (vf_checker_new(ctx, id, kwargs, &chk, &err)) {
    cli_error(&err);
    goto done;
  }
  resp = read_all(stdin, &len);
  if (!resp || ferror(stdin)) {
    fprintf(stderr, "verif check: cannot read the response from stdin\n");
    goto done;
  }
  if (vf_checker_run(chk, resp, len, &v, &err)) {
    fprintf(stderr, "verif: stdin: %s\n", err.msg);
    goto done;
  }
  if (v.pass)
    printf("PASS\n");
  else
    printf("FAIL: %s\n", v.reason);
  rc = v.pass ? EXIT_PASS : EXIT_FAIL;
done:
  free(resp);
  vf_checker_free(chk);
  vf_ctx_free(ctx);
  return rc;
}
