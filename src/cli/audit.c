/*
 * audit.c: `verif audit`: runs every verification function of a dataset
 * against a probe set and reports the ones that would mis-train a model:
 * one JSON record per constraint, a summary on stderr, optionally an HTML
 * report and a filtered copy of the dataset.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char help[] =
    "usage: verif audit --input F [--output F] [--html F] [--filter F]\n"
    "                   [options]\n\n"
    "Runs every [rule] function (in the sandbox) and every native checker of\n"
    "every item (any format verif score reads; responses are not needed)\n"
    "against a set of probes, and reports what would mis-train a model.\n\n"
    "Probes (at most --max-probes per function, all run on every audited\n"
    "function of the item): the empty response, whitespace only, a long\n"
    "real text (about 1500 words) with its plain, terse and sized forms and\n"
    "followed by the phrases a constraint quotes, the prompt echoed, each\n"
    "constraint's text echoed, the task restated inside <think> with no\n"
    "answer after it, and unrelated real responses sampled from IFEval's\n"
    "GPT-4 responses\n"
    "(data/ifeval; --probes F uses the \"response\" of F's lines instead).\n"
    "With --judge-url an LLM also writes, for each function, a response that\n"
    "satisfies its constraint and one that violates it (prompts in\n"
    "data/audit/).  A function runs once on each probe, a second time on 16\n"
    "probes of at most 4 KiB, and once more with `instruction` set to the\n"
    "literal \"instruction\" (as VerIF's released code calls it) when its\n"
    "code may read that argument.  Probes\n"
    "are passed as they are: no </think> stripping, no blank-response rule.\n\n"
    "Findings (each with the probe that shows it):\n"
    "  vacuous            passes every probe\n"
    "  never_passes       passes none (and does not always raise)\n"
    "  gameable           passes the empty, whitespace, prompt-echo,\n"
    "                     constraint-echo or <think>-only probe while no\n"
    "                     honest answer among the probes passes\n"
    "  raises             raises on a probe (the exception is given)\n"
    "  timeout            runs past --check-timeout\n"
    "  nondeterministic   two runs on one probe disagree\n"
    "  reads_instruction  verdicts change when `instruction` is the string\n"
    "                     \"instruction\" instead of the prompt\n"
    "  foreign_import     imports a module the sandbox does not have\n"
    "  tag_mismatch       [llm] with plain code, or [rule] calling llm_score\n"
    "  contradiction      no probe passes it together with another\n"
    "                     constraint of the item (joint probes tried)\n"
    "  duplicate          the same function text as an earlier checker\n"
    "                     whose constraint text differs\n"
    "  rejects_satisfying fails the LLM-written satisfying response\n"
    "  accepts_violating  passes the LLM-written violating response\n"
    "A vacuous function is not also reported gameable, and one that raises\n"
    "on every probe not also never_passes.  [llm] checkers get the tag check\n"
    "only.\n\n"
    "  --input F             items (- for stdin); blank lines are skipped\n"
    "  --output F            one JSON record per constraint (default:\n"
    "                        stdout): {line, id, index, checker, category,\n"
    "                        kind, audited, probes, passed, pass_rate,\n"
    "                        findings: [{kind, probe, detail, witness,\n"
    "                        witness_bytes}], error}\n"
    "  --html F              a self-contained report page (no network)\n"
    "  --filter F            the dataset without flagged checkers (items\n"
    "                        that cannot be read are left out)\n"
    "  --filter-policy P     drop (default): remove a flagged [rule] checker\n"
    "                        and its function; retag: make it an [llm]\n"
    "                        checker judged by the LLM (IFEval ids are\n"
    "                        dropped either way)\n"
    "  --filter-kinds K,...  the findings that flag a checker (default: all\n"
    "                        but contradiction and duplicate)\n"
    "  --probes F            JSONL with \"response\": the unrelated responses\n"
    "  --max-probes N        per function (default: 32)\n"
    "  --format NAME         auto (default), verinstruct, verl or ifeval\n"
    "  --family NAME         checker family of instruction ids (default: the\n"
    "                        format's own; verif check --list lists them)\n"
    "  --workers N           sandboxed Python processes at once (default:\n"
    "                        all cores)\n"
    "  --isolation I         row (default): each item's checks run in a fresh\n"
    "                        process of their own; shared: long-lived workers\n"
    "                        (only for code you trust)\n"
    "  --check-timeout S     wall-clock limit per check (default: 1)\n"
    "  --batch N             items read at a time (default: 256)\n"
    "  --judge-url A,B       OpenAI-compatible base URLs, for the written\n"
    "                        probes; --judge-model M is then required\n"
    "  --judge-concurrency N requests in flight (default: 16)\n"
    "  --judge-timeout S     per request, retries included (default: 300)\n"
    "The judge's API key is read from VERIF_JUDGE_API_KEY.\n\n"
    "Exit status: 0 every item audited (findings or not), 1 some items could\n"
    "not be read (each has an error record), 2 the run failed.\n";

typedef struct opts {
  vf_audit_opts a;
  vf_engine_opts eo; /* the shared --workers, --format, --judge-* parsers */
} opts;

static int parse_kinds(const char *v, unsigned *out) {
  *out = 0;
  char *copy = strdup(v), *save = NULL;
  if (!copy)
    return -1;
  int rc = 0;
  for (char *t = strtok_r(copy, ",", &save); t && !rc;
       t = strtok_r(NULL, ",", &save)) {
    int k = 0;
    while (k < VF_AUDIT_KIND_COUNT &&
           strcmp(t, vf_audit_kind_name((vf_audit_kind)k)))
      k++;
    if (k == VF_AUDIT_KIND_COUNT) {
      fprintf(stderr, "verif audit: --filter-kinds: unknown finding '%s'\n", t);
      rc = -1;
    }
    *out |= 1u << k;
  }
  free(copy);
  return rc || !*out ? -1 : 0;
}

static int number(const char *name, const char *v, double lo, double hi,
                  double *d) {
  return cli_number("audit", name, v, lo, hi, d);
}

static int policy_opt(opts *o, const char *v) {
  static const char *const pol[] = {"drop", "retag"};
  int c = cli_enum(v, pol, 2);
  if (c < 0) {
    fprintf(stderr, "verif audit: --filter-policy must be drop or retag\n");
    return -1;
  }
  o->a.policy = (vf_audit_policy)c;
  return 1;
}

/* --filter-policy, --filter-kinds, --max-probes, --batch. */
static int valued_opt(opts *o, const char *name, const char *v) {
  double d;
  if (!strcmp(name, "--filter-policy"))
    return policy_opt(o, v);
  if (!strcmp(name, "--filter-kinds"))
    return parse_kinds(v, &o->a.filter_kinds) ? -1 : 1;
  if (!strcmp(name, "--max-probes")) {
    if (number(name, v, 8, 1000, &d))
      return -1;
    o->a.max_probes = (int)d;
    return 1;
  }
  if (number(name, v, 1, 1e6, &d))
    return -1;
  o->a.batch = (size_t)d;
  return 1;
}

/* audit's own options with a value; 1 consumed, 0 not ours, -1 bad. */
static int own_opt(opts *o, int argc, char **argv, int *i) {
  const char *const strs[] = {"--input", "--output", "--html", "--filter",
                              "--probes"};
  const char **dst[] = {&o->a.input, &o->a.output, &o->a.html, &o->a.filter,
                        &o->a.probes};
  for (size_t k = 0; k < sizeof strs / sizeof *strs; k++) {
    int r = cli_opt(argc, argv, i, strs[k], dst[k]);
    if (r)
      return r;
  }
  const char *const vals[] = {"--filter-policy", "--filter-kinds",
                              "--max-probes", "--batch"};
  for (size_t k = 0; k < sizeof vals / sizeof *vals; k++) {
    const char *v = NULL;
    int r = cli_opt(argc, argv, i, vals[k], &v);
    if (r)
      return r < 0 ? -1 : valued_opt(o, vals[k], v);
  }
  return 0;
}

/* The shared options audit does not take. */
static bool not_for_audit(const char *a) {
  static const char *const no[] = {
      "--combine",        "--keep-reasoning",      "--jobs",
      "--judge-template", "--judge-template-file", "--judge-cache",
      "--on-judge-error", "--judge-retries"};
  for (size_t k = 0; k < sizeof no / sizeof *no; k++)
    if (!strncmp(a, no[k], strlen(no[k])) &&
        (a[strlen(no[k])] == '\0' || a[strlen(no[k])] == '='))
      return true;
  return false;
}

static int parse(opts *o, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return 1;
    }
    int r = own_opt(o, argc, argv, &i);
    if (r == 0 && !not_for_audit(argv[i]))
      r = cli_engine_opt("audit", &o->eo, argc, argv, &i);
    if (r < 0)
      return -1;
    if (r == 0) {
      fprintf(stderr,
              "verif audit: unknown option '%s' (verif audit "
              "--help)\n",
              argv[i]);
      return -1;
    }
  }
  if (!o->a.input) {
    fprintf(stderr, "verif audit: --input is required (verif audit --help)\n");
    return -1;
  }
  if (cli_engine_finish("audit", &o->eo))
    return -1;
  o->a.format = o->eo.format;
  o->a.family = o->eo.family;
  o->a.isolation = o->eo.isolation;
  o->a.workers = o->eo.workers;
  o->a.check_timeout_s = o->eo.check_timeout_s;
  o->a.judge_urls = o->eo.judge_urls;
  o->a.judge_model = o->eo.judge_model;
  o->a.judge_api_key = o->eo.judge_api_key;
  o->a.judge_concurrency = o->eo.judge_concurrency;
  o->a.judge_timeout_s = o->eo.judge_timeout_s;
  if (!o->a.output)
    o->a.output = "-";
  return 0;
}

int cmd_audit(int argc, char **argv) {
  opts o = {{0}, {0}};
  int r = parse(&o, argc, argv);
  if (r)
    return r > 0 ? EXIT_PASS : EXIT_ERROR;
  o.a.log = stderr;
  o.a.progress = isatty(STDERR_FILENO);
  vf_ctx *ctx = cli_ctx();
  if (!ctx)
    return EXIT_ERROR;
  vf_audit_stats st;
  vf_error err = {0};
  vf_status s = vf_audit_run(ctx, &o.a, &st, &err);
  vf_ctx_free(ctx);
  if (s) {
    fprintf(stderr, "verif audit: %s\n",
            err.msg[0] ? err.msg : vf_strerror(err.code));
    return EXIT_ERROR;
  }
  return st.item_errors ? EXIT_FAIL : EXIT_PASS;
}
