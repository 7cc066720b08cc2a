/*
 * cli.h: what the verif command's subcommands share.  Each subcommand is
 * one file with one entry point, registered in main.c's sorted table; the
 * command uses only the public API (include/verif.h).
 */
#ifndef VF_CLI_H
#define VF_CLI_H

#include "verif.h"

/* Exit codes of every subcommand. */
enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_ERROR = 2 };

int cmd_audit(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Matches "--name value" or "--name=value" at argv[*i]; advances *i past
 * the value.  Returns 1 on a match, 0 otherwise, -1 if the value is
 * missing (after printing why). */
int cli_opt(int argc, char **argv, int *i, const char *name,
            const char **value);

/* The scoring and judge options shared by score and serve (--format,
 * --combine, --keep-reasoning, --jobs, --workers, --check-timeout and the
 * --judge-* ones): 1 consumed argv[*i] (and its value), 0 not one of them,
 * -1 bad value (after printing why, prefixed with "verif <cmd>"). */
int cli_engine_opt(const char *cmd, vf_engine_opts *eo, int argc, char **argv,
                   int *i);
/* Checks the combination and reads VERIF_JUDGE_API_KEY; 0 or -1. */
int cli_engine_finish(const char *cmd, vf_engine_opts *eo);

/* Parses a number in [lo, hi] (0), or prints why and returns -1. */
int cli_number(const char *cmd, const char *name, const char *v, double lo,
               double hi, double *out);
/* Index of v in names, or -1. */
int cli_enum(const char *v, const char *const *names, int n);

/* Prints "verif: <msg>" to stderr for an error. */
void cli_error(const vf_error *err);

/* Creates the context (data from vf_data_dir()). */
vf_ctx *cli_ctx(void);

#endif
