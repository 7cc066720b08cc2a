/*
 * check.c: `verif check --id ID [--kwargs JSON] [--family F]`: reads one
 * response on stdin, prints PASS or FAIL with the reason, and exits 0
 * (follows), 1 (does not) or 2 (error).  `verif check --list [--family F]`
 * lists the checker families and their instruction ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: verif check --id ID [--kwargs JSON] [--family F] < response.txt\n"
    "       verif check --list [--family F]\n\n"
    "Checks the response read from standard input against one constraint,\n"
    "exactly as the reference's check_following(response) would (no strip,\n"
    "no loose variants).\n\n"
    "  --id ID        instruction id, e.g. length_constraints:number_words,\n"
    "                 or family/id, e.g. ifevalg/paragraphs:paragraphs\n"
    "  --kwargs JSON  its arguments, e.g. '{\"num_words\": 300, \"relation\": "
    "\"at least\"}'\n"
    "  --family F     the checker family to look ID up in (default: the\n"
    "                 first family in --list order that has it)\n"
    "  --list         print every family, then its instruction ids with a\n"
    "                 one-line summary (with --family: that family only)\n\n"
    "Families are ports of different references; where two share an id they\n"
    "may treat it differently (kwargs, defaults), so the family matters.\n\n"
    "Prints PASS, or FAIL: <why> (e.g. \"found 212 words, needs at least "
    "300\").\n"
    "Exit status: 0 the response follows the constraint, 1 it does not,\n"
    "2 an error (unknown id or family, bad kwargs, invalid UTF-8 input, ...).\n";

typedef struct list_state {
  const char *family; /* only this one, or NULL */
  const char *last;   /* the family whose header was printed last */
  int known;          /* family is a registered one */
} list_state;

static void find_family(void *ud, const char *family, size_t nids,
                        const char *summary) {
  list_state *ls = ud;
  ls->known |= !strcmp(ls->family, family);
}

static void list_family(void *ud, const char *family, size_t nids,
                        const char *summary) {
  list_state *ls = ud;
  if (!ls->family || !strcmp(ls->family, family))
    printf("family %-8s %3zu ids  %s\n", family, nids, summary);
}

static void list_one(void *ud, const char *family, const char *id,
                     const char *summary) {
  list_state *ls = ud;
  if (ls->family && strcmp(ls->family, family))
    return;
  if (!ls->last || strcmp(ls->last, family))
    printf("\n%s:\n", family);
  ls->last = family;
  printf("  %-46s %s\n", id, summary);
}

/* --list: the families, then each family's ids. */
static int list(const char *family) {
  list_state ls = {family, NULL, !family};
  if (family)
    vf_family_list(find_family, &ls);
  if (!ls.known) {
    fprintf(stderr, "verif check: unknown family '%s' (run verif check "
                    "--list)\n", family);
    return EXIT_ERROR;
  }
  vf_family_list(list_family, &ls);
  vf_checker_list(list_one, &ls);
  return EXIT_PASS;
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

/* Builds the checker, runs it on stdin, prints the verdict. */
static int check(const char *family, const char *id, const char *kwargs) {
  vf_ctx *ctx = cli_ctx();
  if (!ctx)
    return EXIT_ERROR;
  vf_error err = {0};
  vf_checker *chk = NULL;
  vf_verdict v;
  size_t len = 0;
  char *resp = NULL;
  int rc = EXIT_ERROR;
  if (vf_checker_new_in(ctx, family, id, kwargs, &chk, &err)) {
    cli_error(&err);
    goto done;
  }
  resp = read_all(stdin, &len);
  if (!resp || ferror(stdin)) {
    fprintf(stderr, "verif check: cannot read the response from stdin: %s\n",
            strerror(errno));
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

int cmd_check(int argc, char **argv) {
  const char *id = NULL, *kwargs = NULL, *family = NULL;
  int want_list = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return EXIT_PASS;
    }
    if (!strcmp(argv[i], "--list")) {
      want_list = 1;
      continue;
    }
    int r = cli_opt(argc, argv, &i, "--id", &id);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--kwargs", &kwargs);
    if (r == 0)
      r = cli_opt(argc, argv, &i, "--family", &family);
    if (r < 0)
      return EXIT_ERROR;
    if (r > 0)
      continue;
    fprintf(stderr, "verif check: unknown option '%s'\n%s", argv[i], help);
    return EXIT_ERROR;
  }
  if (want_list)
    return list(family);
  if (!id) {
    fprintf(stderr, "verif check: --id is required\n%s", help);
    return EXIT_ERROR;
  }
  return check(family, id, kwargs);
}
