/*
 * score.c: `verif score`: JSONL items in, one JSON reward record out per
 * item (non-blank line), in input order; a progress bar on a terminal and a
 * summary at the end (on stderr); the exit status says whether every item
 * got its reward.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "text/text.h"

static const char help[] =
    "usage: verif score --input F [--output F] [options]\n\n"
    "Scores every item of a JSONL file and writes one JSON record per item,\n"
    "in input order.  An item is a line; blank lines are not items: they are\n"
    "skipped (no record) and counted in the summary.  Item formats (detected\n"
    "per line, or --format):\n"
    "  VerInstruct  {\"id\", \"prompt\", \"checkers\": [\"[rule] ...\", \"[llm] "
    "...\"],\n"
    "                \"functions\": [\"...python...\"]}\n"
    "  verl rows    {\"prompt\": [{\"role\": \"user\", \"content\": ...}],\n"
    "                \"reward_model\": {\"ground_truth\": \"<JSON: checkers, "
    "functions>\"}}\n"
    "  IFEval       {\"key\", \"prompt\", \"instruction_id_list\", \"kwargs\"}\n"
    "  open-instruct {\"messages\", \"ground_truth\": label}, or a bare label:\n"
    "               {\"instruction_id\": [...], \"kwargs\": [...]} (the ifevalg\n"
    "               family; a label may be JSON or a Python repr, or a list\n"
    "               holding one) or Tulu 3's {\"func_name\", kwargs...} (tulu3);\n"
    "               also as a verl row's ground_truth.  Scored as open-instruct\n"
    "               scores them: the answer after remove_thinking_section, the\n"
    "               reward the fraction of instructions followed\n"
    "each with \"response\" (one) or \"responses\" (a GRPO group).\n\n"
    "A [rule] checker is hard: its Python function check_following(prompt,\n"
    "response) runs in a sandboxed worker (verif passes the real prompt;\n"
    "VerIF's released code passes the string \"instruction\").  IFEval ids run\n"
    "natively.  An [llm] checker is soft: one judge call covers all of an\n"
    "item's [llm] constraints, and is not made when the hard part already\n"
    "fixes the reward (product with hard 0, all with a hard failure).  With\n"
    "no --judge-url the soft part is \"unverified\" and the reward is the\n"
    "hard part alone.\n\n"
    "  --input F          items (- for stdin)\n"
    "  --output F         records (default: stdout)\n"
    "  --format NAME      auto (default), verinstruct, verl, ifeval or\n"
    "                     openinstruct\n"
    "  --family NAME      checker family for instruction ids (default: the\n"
    "                     format's own, ifeval for IFEval rows); `verif check\n"
    "                     --list` lists them; an id written family/id always\n"
    "                     names its own\n"
    "  --combine HOW      product (default: hard mean x soft), average\n"
    "                     ((all hard passed + soft) / 2) or all (1 only if\n"
    "                     everything passes)\n"
    "  --keep-reasoning   score the whole response (default: only the text\n"
    "                     after the last </think>)\n"
    "  --jobs N           threads for native checks (default: all cores)\n"
    "  --workers N        Python checks running at once (default: all cores)\n"
    "  --check-timeout S  wall-clock limit per Python check (default: 1)\n"
    "  --isolation HOW    row (default): each item's functions run in a fresh\n"
    "                     sandboxed process of their own, so an item's code\n"
    "                     decides that item's verdicts and nothing else;\n"
    "                     shared: long-lived workers run every item's code,\n"
    "                     faster, but code that corrupts memory (or finds a\n"
    "                     hole in the in-process guards) can change other\n"
    "                     items' verdicts: only for a dataset you trust\n"
    "  --batch N          items per batch (default: 1024)\n"
    "  --judge-url A,B    OpenAI-compatible base URLs (e.g.\n"
    "                     http://127.0.0.1:8000/v1), spread by load\n"
    "  --judge-model M    model name (required with --judge-url)\n"
    "  --judge-concurrency N  requests in flight (default: 64)\n"
    "  --judge-timeout S  per request, retries included (default: 300)\n"
    "  --judge-retries N  on connection errors, 5xx, 429 (default: 3)\n"
    "  --judge-template T default (VerIF's prompt, byte for byte) or en\n"
    "  --judge-template-file F  a template with {instruction}, {response},\n"
    "                     {checkers}\n"
    "  --judge-cache F    keep verdicts in SQLite file F across runs\n"
    "  --on-judge-error W error (default: the reward is null, with why) or\n"
    "                     zero (soft = 0, VerIF's silent behaviour)\n"
    "  --judge-url-allow H  hosts (host or host:port, comma-separated) an\n"
    "                     item may name as its own judge (\"judge_url\",\n"
    "                     \"judge_model\"); default none: such items are errors\n"
    "The judge's API key is read from VERIF_JUDGE_API_KEY and never printed.\n\n"
    "Record: {\"id\", \"reward\", \"hard\": {\"score\", \"passed\", \"total\"},\n"
    "  \"soft\": {\"verdict\", \"status\": judged, unparsed, skipped,\n"
    "  unverified or error}, \"checks\": [{\"checker\", \"kind\",\n"
    "  \"verdict\", \"error\"}], \"error\"}; with \"responses\": {\"id\",\n"
    "  \"results\": [one record per response], \"error\"}.\n"
    "An item that cannot be scored (malformed line, mismatched lists, an\n"
    "untagged checker, a function that does not compile) gets reward null and\n"
    "\"error\" naming file:line and field; the others are still scored.  An\n"
    "exception in a check is that check's error and counts as not passed.\n"
    "Without --judge-url, the first item with [llm] constraints draws a\n"
    "warning and the summary counts them (\"soft unverified\").\n"
    "Exit status: 0 every item has its reward; 1 some records carry an error\n"
    "(all records are still written); 2 the run failed (bad options,\n"
    "unreadable input, a write error).\n";

typedef struct opts {
  const char *input, *output;
  vf_engine_opts eo;
  size_t batch;
} opts;

/* score's own options with a value; 1 consumed, 0 not ours, -1 bad. */
static int value_opt(opts *o, int argc, char **argv, int *i) {
  const char *v = NULL;
  double d;
  int r = cli_opt(argc, argv, i, "--input", &o->input);
  if (r == 0)
    r = cli_opt(argc, argv, i, "--output", &o->output);
  if (r != 0)
    return r;
  r = cli_opt(argc, argv, i, "--batch", &v);
  if (r != 0) {
    if (r < 0 || cli_number("score", "--batch", v, 1, 1e6, &d))
      return -1;
    o->batch = (size_t)d;
    return 1;
  }
  return cli_engine_opt("score", &o->eo, argc, argv, i);
}

/* ---- progress ------------------------------------------------------------- */

typedef struct progress {
  bool on;
  size_t total, done;
  struct timespec t0;
} progress;

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_show(const progress *p) {
  if (!p->on)
    return;
  double el = since(&p->t0), rate = el > 0 ? p->done / el : 0;
  char bar[31];
  size_t fill = p->total ? p->done * 30 / p->total : 0;
  for (size_t i = 0; i < 30; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[30] = '\0';
  if (p->total)
    fprintf(stderr, "\r[%s] %zu/%zu items  %.0f items/s  ETA %.0f s  ", bar,
            p->done, p->total, rate,
            rate > 0 ? (double)(p->total - p->done) / rate : 0.0);
  else
    fprintf(stderr, "\r%zu items  %.0f items/s  ", p->done, rate);
}

/* The items of a file: its lines that are not blank. */
static size_t count_items(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  char buf[65536];
  size_t n = 0;
  bool inked = false; /* the current line has a non-blank byte */
  for (size_t got = fread(buf, 1, sizeof buf, f); got > 0;
       got = fread(buf, 1, sizeof buf, f)) {
    for (size_t i = 0; i < got; i++) {
      if (buf[i] == '\n') {
        n += inked;
        inked = false;
      } else if (!strchr(" \t\r", buf[i])) {
        inked = true;
      }
    }
  }
  fclose(f);
  return n + inked;
}

/* ---- the run -------------------------------------------------------------- */

typedef struct lines {
  char **text;
  size_t *len;
  char **where;
  size_t n;
  size_t blank; /* blank lines skipped so far: they are not items */
} lines;

static void free_lines(lines *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->text[i]);
    free(l->where[i]);
  }
  l->n = 0;
}

/* True for a line of spaces, tabs and carriage returns only. */
static bool blank_line(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!s[i] || !strchr(" \t\r", s[i]))
      return false;
  return true;
}

/* Reads up to cap items: the next lines that are not blank (those are
 * counted in l->blank and skipped; line numbers still count them). */
static int read_lines(FILE *in, const char *name, size_t *lineno, lines *l,
                      size_t cap) {
  while (l->n < cap) {
    char *line = NULL;
    size_t c = 0;
    ssize_t len = getline(&line, &c, in);
    if (len < 0) {
      free(line);
      break;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = '\0';
    if (++*lineno == 1)
      len = (ssize_t)vf_utf8_strip_bom(line, (size_t)len);
    if (blank_line(line, (size_t)len)) {
      free(line);
      l->blank++;
      continue;
    }
    char where[600];
    snprintf(where, sizeof where, "%s:%zu", name, *lineno);
    l->text[l->n] = line;
    l->len[l->n] = (size_t)len;
    l->where[l->n] = strdup(where);
    if (!l->where[l->n]) {
      free(line);
      return -1;
    }
    l->n++;
  }
  return 0;
}

/* True when one response's record has soft.status "unverified". */
static bool soft_unverified(const json_t *rec) {
  const char *st = json_string_value(
      json_object_get(json_object_get(rec, "soft"), "status"));
  return st && !strcmp(st, "unverified");
}

/* True when a record (or one of a group's) left its [llm] part unverified. */
static bool unverified(const char *rec) {
  json_t *r = json_loads(rec, 0, NULL), *one;
  size_t i;
  bool found = soft_unverified(r);
  json_array_foreach(json_object_get(r, "results"), i, one) {
    found |= soft_unverified(one);
  }
  json_decref(r);
  return found;
}

/* Once per run, loudly: the first item whose [llm] constraints were not
 * checked because no judge is configured (the summary counts them all). */
static void warn_unverified(vf_engine *e, const lines *l, char **recs,
                            bool *warned) {
  vf_engine_stats st;
  vf_engine_get_stats(e, &st);
  if (*warned || st.soft_unverified == 0)
    return;
  for (size_t i = 0; i < l->n && !*warned; i++) {
    if (!recs[i] || !unverified(recs[i]))
      continue;
    fprintf(stderr, "verif score: WARNING: %s has [llm] constraints and no "
                    "judge is configured (--judge-url): they are NOT "
                    "checked, and the reward is the hard part alone (1.0 "
                    "when there is none).  Every such response is counted "
                    "in the summary (\"soft unverified\").\n",
            l->where[i]);
    *warned = true;
  }
}

/* What a run saw: for the exit status and the closing lines. */
typedef struct outcome {
  int rc;       /* EXIT_ERROR once the run itself failed */
  bool warned;  /* the unverified warning was given */
  size_t blank; /* blank lines skipped */
} outcome;

/* Scores one batch and writes its records in order. */
static void score_batch(vf_engine *e, lines *l, char **recs, FILE *out,
                        const char *out_name, outcome *oc) {
  vf_error err = {0};
  if (vf_engine_score(e, (const char *const *)l->text, l->len,
                      (const char *const *)l->where, l->n, recs, &err)) {
    cli_error(&err);
    oc->rc = EXIT_ERROR;
  }
  warn_unverified(e, l, recs, &oc->warned);
  for (size_t i = 0; i < l->n; i++) {
    if (recs[i] && oc->rc != EXIT_ERROR && fprintf(out, "%s\n", recs[i]) < 0) {
      fprintf(stderr, "verif score: write error on %s: %s\n", out_name,
              strerror(errno));
      oc->rc = EXIT_ERROR;
    }
    free(recs[i]);
    recs[i] = NULL;
  }
}

static outcome run(vf_engine *e, const opts *o, FILE *in, FILE *out) {
  lines l = {calloc(o->batch, sizeof(char *)), calloc(o->batch, sizeof(size_t)),
             calloc(o->batch, sizeof(char *)), 0, 0};
  char **recs = calloc(o->batch, sizeof(char *));
  progress p = {isatty(STDERR_FILENO) != 0, 0, 0, {0, 0}};
  const char *name = strcmp(o->input, "-") ? o->input : "stdin";
  const char *out_name = o->output ? o->output : "stdout";
  size_t lineno = 0;
  outcome oc = {EXIT_PASS, false, 0};
  clock_gettime(CLOCK_MONOTONIC, &p.t0);
  if (p.on && strcmp(o->input, "-"))
    p.total = count_items(o->input);
  if (!l.text || !l.len || !l.where || !recs)
    oc.rc = EXIT_ERROR;
  while (oc.rc == EXIT_PASS) {
    if (read_lines(in, name, &lineno, &l, o->batch) || l.n == 0)
      break;
    score_batch(e, &l, recs, out, out_name, &oc);
    p.done += l.n;
    progress_show(&p);
    free_lines(&l);
  }
  if (p.on)
    fputc('\n', stderr);
  if (ferror(in)) {
    fprintf(stderr, "verif score: read error on %s: %s\n", name,
            strerror(errno));
    oc.rc = EXIT_ERROR;
  }
  if (fflush(out)) {
    fprintf(stderr, "verif score: write error on %s: %s\n", out_name,
            strerror(errno));
    oc.rc = EXIT_ERROR;
  }
  oc.blank = l.blank;
  free_lines(&l);
  free(l.text);
  free(l.len);
  free(l.where);
  free(recs);
  return oc;
}

/* 0: every item has its reward; 1: some records carry an error (all were
 * written); 2 (rc): the run itself failed. */
static int exit_status(vf_engine *e, int rc) {
  if (rc != EXIT_PASS || !e)
    return EXIT_ERROR;
  vf_engine_stats st;
  vf_engine_get_stats(e, &st);
  return st.item_errors || st.rewarded < st.responses ? EXIT_FAIL : EXIT_PASS;
}

int cmd_score(int argc, char **argv) {
  opts o = {.batch = 1024};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return EXIT_PASS;
    }
    int r = value_opt(&o, argc, argv, &i);
    if (r < 0)
      return EXIT_ERROR;
    if (r == 0) {
      fprintf(stderr, "verif score: unknown option '%s'\n%s", argv[i], help);
      return EXIT_ERROR;
    }
  }
  if (!o.input) {
    fprintf(stderr, "verif score: --input is required\n%s", help);
    return EXIT_ERROR;
  }
  if (cli_engine_finish("score", &o.eo))
    return EXIT_ERROR;
  FILE *in = strcmp(o.input, "-") ? fopen(o.input, "rb") : stdin;
  FILE *out = in && o.output ? fopen(o.output, "wb") : stdout;
  if (!in || !out) {
    fprintf(stderr, "verif score: cannot open %s: %s\n",
            !in ? o.input : o.output, strerror(errno));
    if (in && in != stdin)
      fclose(in);
    return EXIT_ERROR;
  }
  vf_ctx *ctx = cli_ctx();
  vf_engine *e = NULL;
  vf_error err = {0};
  outcome oc = {EXIT_ERROR, false, 0};
  if (ctx && vf_engine_new(ctx, &o.eo, &e, &err) == VF_OK)
    oc = run(e, &o, in, out);
  else if (ctx)
    cli_error(&err);
  if (e)
    vf_engine_report(e, stderr);
  if (oc.blank)
    fprintf(stderr, "blank lines skipped: %zu (blank lines are not items)\n",
            oc.blank);
  int rc = oc.rc;
  if (out != stdout && fclose(out)) {
    fprintf(stderr, "verif score: write error on %s: %s\n", o.output,
            strerror(errno));
    rc = EXIT_ERROR;
  }
  rc = exit_status(e, rc);
  if (in != stdin)
    fclose(in);
  vf_engine_free(e);
  vf_ctx_free(ctx);
  return rc;
}
