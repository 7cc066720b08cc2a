/*
 * serve.c: `verif serve`: the reward engine behind an HTTP server, for RL
 * trainers (verl, OpenRLHF, slime, TRL, NeMo-Gym) on other processes or
 * machines.  Parses the options (the scoring ones as `verif score` has
 * them), creates the engine, runs the server (src/server) until SIGTERM
 * or SIGINT, then drains the requests in flight and exits 0.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "server/server.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char help[] =
    "usage: verif serve (--judge-url URL --judge-model M | --no-judge)\n"
    "                   [--host H] [--port N] [--token T] [options]\n\n"
    "Serves rewards over HTTP, one engine behind every endpoint:\n"
    "  POST /v1/score    {\"items\": [item, ...]} -> {\"results\": [record, "
    "...]}\n"
    "                    (items and records as in `verif score`)\n"
    "  POST /get_reward  OpenRLHF: {\"query\", \"prompts\", \"labels\"} ->\n"
    "                    {\"rewards\", \"scores\", \"extra_logs\": {\"hard\", "
    "\"soft\",\n"
    "                    \"errors\"}, \"errors\", \"notes\"}\n"
    "  POST /reward      slime: {\"prompt\", \"response\", \"label\"} -> "
    "{\"reward\",\n"
    "                    \"hard\", \"soft\", \"checks\"[, \"error\"]}\n"
    "  POST /verify      NeMo-Gym instruction_following: the request plus\n"
    "                    reward, follow_all_instructions, "
    "follow_instruction_list,\n"
    "                    verifier_metadata (each instruction judged on its own)\n"
    "  POST /seed_session, POST /aggregate_metrics, GET /reverify_mode\n"
    "                    the rest of a NeMo-Gym resources server\n"
    "  GET  /healthz     {\"status\": \"ok\"}     GET /metrics  Prometheus "
    "text\n\n"
    "A label is a JSON string (or object) holding the constraints in any\n"
    "format `verif score` reads: a VerInstruct record, a verl ground_truth\n"
    "{\"checkers\", \"functions\"}, IFEval {\"instruction_id_list\", "
    "\"kwargs\"},\n"
    "or open-instruct's {\"instruction_id\", \"kwargs\"} / {\"func_name\", ...}.\n"
    "An OpenRLHF query is prompt + response: the response is what follows\n"
    "the prompt (found as a prefix, else inside the query, else the whole\n"
    "query, noted in \"notes\"), without the end markers <|im_end|>,\n"
    "<|eot_id|>, <|endoftext|>, </s> (and each --strip-token).  The\n"
    "instruction the judge and the [rule] functions see is the label's\n"
    "\"prompt\" if it has one, else the prompt's last user turn (ChatML,\n"
    "Llama 3, Gemma, DeepSeek, Phi-3 and Mistral templates are recognised).\n\n"
    "server options:\n"
    "  --host H             address to bind (default 127.0.0.1)\n"
    "  --port N             port (default 8765; 0 picks a free one); prints\n"
    "                       \"listening on http://H:N\" on stdout\n"
    "  --token T            require \"Authorization: Bearer T\" (default:\n"
    "                       $VERIF_TOKEN; /healthz is open); printable ASCII\n"
    "                       without spaces; an empty one is an error.  A\n"
    "                       connection idle for " STR(VF_SERVER_HANDSHAKE_TIMEOUT_S)
    " s before a request of it\n"
    "                       passes the token is closed\n"
    "  --max-body N         request body limit, bytes (K, M, G suffixes;\n"
    "                       default 64M); over it: 413\n"
    "  --max-inflight N     items admitted and not yet scored (default\n"
    "                       16384); past it: 503 with Retry-After; a request\n"
    "                       with more items than N: 413\n"
    "  --max-connections N  open connections (default 1024)\n"
    "  --request-timeout S  answer by then with what is scored, the rest as\n"
    "                       errors (default " STR(VF_SERVER_REQUEST_TIMEOUT_S)
    ": below slime's 120 s, so\n"
    "                       that slime gets an answer, not a re-post)\n"
    "  --error-reward X     reward of an item that cannot be scored, in the\n"
    "                       protocols that need numbers (default 0)\n"
    "  --strip-token T      another end marker to remove (repeatable)\n"
    "  --scorers N          threads calling the engine (default 4 x cores,\n"
    "                       at least 8); each call waits for its slowest item\n"
    "  --batch N            most items per engine call (default 64): a request\n"
    "                       is cut into calls of N, concurrent small requests\n"
    "                       are gathered into one; a request past its timeout\n"
    "                       loses the calls still running\n"
    "  --no-judge           serve without a judge: the [llm] constraints are\n"
    "                       not checked (soft \"unverified\") and a reward is\n"
    "                       the hard part alone.  verif serve will not start\n"
    "                       with neither this nor --judge-url, so that no\n"
    "                       trainer learns from rewards that silently ignore\n"
    "                       half the constraints\n"
    "scoring options (as in `verif score`):\n"
    "  --format, --family, --combine, --keep-reasoning, --workers, --jobs\n"
    "  (threads per engine call; default 1, as the scorers already run calls\n"
    "  in parallel),\n"
    "  --check-timeout, --isolation (row, the default: each item's code in a\n"
    "  fresh process of its own; shared: long-lived workers, faster, but an\n"
    "  item's code may change other items' verdicts: only for a dataset you\n"
    "  trust), --judge-url, --judge-model, --judge-concurrency,\n"
    "  --judge-timeout, --judge-retries, --judge-template,\n"
    "  --judge-template-file, --judge-cache, --on-judge-error\n"
    "  --judge-url-allow H  hosts (\"host\" or \"host:port\", comma-separated)\n"
    "                       an item may name as its own judge (\"judge_url\",\n"
    "                       \"judge_model\"), e.g. the model verl's reward loop\n"
    "                       hosts (verif_client.verl, use_reward_router=True);\n"
    "                       another host: 400, never contacted.  Default: none\n"
    "The judge's API key is read from VERIF_JUDGE_API_KEY (never sent to a\n"
    "per-request judge).\n\n"
    "Statuses: 400 malformed JSON or a wrong shape ({\"error\"} names the\n"
    "field), 401 wrong or missing token, 404 unknown path, 405 wrong method,\n"
    "413 body too large, 503 busy or shutting down (Retry-After); a request\n"
    "with two Content-Lengths, or Content-Length and Transfer-Encoding, is\n"
    "400 and its connection closed; a Transfer-Encoding but chunked, 501.\n"
    "Inside a\n"
    "200 an item that could not be scored is an error record (/v1/score) or\n"
    "gets --error-reward and is listed (\"errors\", \"error\").\n"
    "SIGTERM or SIGINT: stop accepting, answer every request in flight (each\n"
    "by its --request-timeout), exit 0; 1 if one could not be answered.\n";

enum { MAX_STRIP = 64 };

typedef struct opts {
  vf_server_opts so;
  vf_engine_opts eo;
  const char *strip[MAX_STRIP];
  bool no_judge; /* --no-judge: the explicit choice to serve without one */
} opts;

/* Bytes with an optional K, M or G (binary) suffix. */
static int parse_size(const char *name, const char *v, size_t *out) {
  char *end;
  double d = strtod(v, &end);
  double mult = !*end ? 1 : !strcmp(end, "K") ? 1024.0
                : !strcmp(end, "M")           ? 1048576.0
                : !strcmp(end, "G")           ? 1073741824.0
                                              : -1;
  if (!*v || mult < 0 || d < 1 || d * mult > 1e12) {
    fprintf(stderr, "verif serve: %s must be a size (e.g. 65536, 64M), got "
                    "'%s'\n", name, v);
    return -1;
  }
  *out = (size_t)(d * mult);
  return 0;
}

/* The string options; 1 consumed, 0 not ours, -1 bad. */
static int string_opt(opts *o, int argc, char **argv, int *i) {
  static const struct {
    const char *name;
    size_t off;
  } strs[] = {
      {"--host", offsetof(opts, so.host)},
      {"--token", offsetof(opts, so.token)},
  };
  for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
    int r = cli_opt(argc, argv, i, strs[k].name,
                    (const char **)((char *)o + strs[k].off));
    if (r != 0)
      return r;
  }
  const char *v = NULL;
  int r = cli_opt(argc, argv, i, "--strip-token", &v);
  if (r > 0 && (o->so.n_strip >= MAX_STRIP || !*v))
    return fprintf(stderr, "verif serve: --strip-token: at most %d, none "
                           "empty\n", MAX_STRIP), -1;
  if (r > 0)
    o->strip[o->so.n_strip++] = v;
  return r;
}

/* --max-body. */
static int size_opt(opts *o, int argc, char **argv, int *i) {
  const char *v = NULL;
  int r = cli_opt(argc, argv, i, "--max-body", &v);
  if (r != 0)
    return r < 0 || parse_size("--max-body", v, &o->so.max_body) ? -1 : 1;
  return 0;
}

/* Stores the value of numeric option k. */
static void set_num(opts *o, int k, double d) {
  switch (k) {
  case 0: o->so.port = (int)d; break;
  case 1: o->so.max_inflight = (size_t)d; break;
  case 2: o->so.max_connections = (unsigned)d; break;
  case 3: o->so.request_timeout_s = d; break;
  case 4: o->so.error_reward = d; break;
  case 5: o->so.scorers = (int)d; break;
  default: o->so.batch = (size_t)d; break;
  }
}

static int number_opt(opts *o, int argc, char **argv, int *i) {
  static const struct {
    const char *name;
    double lo, hi;
  } nums[] = {{"--port", 0, 65535},
              {"--max-inflight", 1, 1e8},
              {"--max-connections", 1, 100000},
              {"--request-timeout", 0.001, 86400},
              {"--error-reward", -1e9, 1e9},
              {"--scorers", 1, 1024},
              {"--batch", 1, 65536}};
  const char *v = NULL;
  double d;
  for (int k = 0; k < (int)(sizeof nums / sizeof nums[0]); k++) {
    int r = cli_opt(argc, argv, i, nums[k].name, &v);
    if (r == 0)
      continue;
    if (r < 0 || cli_number("serve", nums[k].name, v, nums[k].lo, nums[k].hi, &d))
      return -1;
    set_num(o, k, d);
    return 1;
  }
  return 0;
}

/* A judge, or the explicit --no-judge: 0; else says why and -1. */
static int check_judge(const opts *o) {
  if (o->no_judge && o->eo.judge_urls)
    return fprintf(stderr, "verif serve: --no-judge and --judge-url exclude "
                           "each other\n"), -1;
  if (!o->no_judge && !o->eo.judge_urls)
    return fprintf(stderr,
                   "verif serve: no judge: give --judge-url URL --judge-model "
                   "M (the [llm] constraints need one), or --no-judge to "
                   "serve rewards from the hard constraints alone ([llm] "
                   "constraints unverified)\n"), -1;
  return 0;
}

/* 0 to go on, EXIT_PASS after --help, EXIT_ERROR on a bad option. */
static int parse_args(opts *o, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return EXIT_PASS + 100;
    }
    if (!strcmp(argv[i], "--no-judge")) {
      o->no_judge = true;
      continue;
    }
    int r = string_opt(o, argc, argv, &i);
    if (r == 0)
      r = size_opt(o, argc, argv, &i);
    if (r == 0)
      r = number_opt(o, argc, argv, &i);
    if (r == 0)
      r = cli_engine_opt("serve", &o->eo, argc, argv, &i);
    if (r < 0)
      return EXIT_ERROR;
    if (r == 0) {
      fprintf(stderr, "verif serve: unknown option '%s' (see --help)\n",
              argv[i]);
      return EXIT_ERROR;
    }
  }
  return check_judge(o) || cli_engine_finish("serve", &o->eo) ? EXIT_ERROR : 0;
}

/* ---- the engine as the server's scorer ------------------------------------ */

static vf_status engine_score(void *ud, const char *const *items,
                              const size_t *lens, const char *const *where,
                              size_t n, char **out, vf_error *err) {
  return vf_engine_score(ud, items, lens, where, n, out, err);
}

/* The engine's counters for /metrics, in Prometheus text. */
static void engine_metrics(void *ud, FILE *f) {
  vf_engine_stats st;
  vf_engine_get_stats(ud, &st);
  const struct {
    const char *name;
    unsigned long long v;
  } rows[] = {
      {"verif_engine_responses_total", st.responses},
      {"verif_engine_rewarded_total", st.rewarded},
      {"verif_engine_item_errors_total", st.item_errors},
      {"verif_engine_hard_checks_total{verdict=\"pass\"}", st.rule_pass},
      {"verif_engine_hard_checks_total{verdict=\"fail\"}", st.rule_fail},
      {"verif_engine_hard_checks_total{verdict=\"error\"}", st.rule_error},
      {"verif_engine_soft_total{status=\"judged\"}", st.soft_judged},
      {"verif_engine_soft_total{status=\"unparsed\"}", st.soft_unparsed},
      {"verif_engine_soft_total{status=\"error\"}", st.soft_error},
      {"verif_engine_soft_total{status=\"unverified\"}", st.soft_unverified},
      {"verif_engine_soft_total{status=\"none\"}", st.soft_none},
      {"verif_engine_soft_total{status=\"spared\"}", st.soft_spared},
      {"verif_sandbox_checks_total", st.py_checks},
      {"verif_sandbox_errors_total", st.py_errors},
      {"verif_sandbox_timeouts_total", st.py_timeouts},
      {"verif_sandbox_crashes_total", st.py_crashes},
      {"verif_sandbox_restarts_total", st.py_restarts},
      {"verif_judge_requests_total", st.judge_requests},
      {"verif_judge_calls_total", st.judge_calls},
      {"verif_judge_cache_hits_total", st.judge_cache_hits},
      {"verif_judge_sqlite_hits_total", st.judge_sqlite_hits},
      {"verif_judge_deduplicated_total", st.judge_deduped},
      {"verif_judge_retries_total", st.judge_retries},
      {"verif_judge_unparsed_total", st.judge_unparsed},
      {"verif_judge_errors_total", st.judge_errors},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    fprintf(f, "%s %llu\n", rows[i].name, rows[i].v);
}

/* ---- the run -------------------------------------------------------------- */

/* Serves until SIGTERM/SIGINT (blocked in every thread, taken here). */
static int serve(opts *o, vf_engine *e, const sigset_t *stop) {
  vf_server *s = NULL;
  vf_error err = {0};
  o->so.score = engine_score;
  o->so.score_ud = e;
  o->so.scorer_metrics = engine_metrics;
  o->so.strip_tokens = o->strip;
  o->so.log = stderr;
  o->so.judge_url_allow = o->eo.judge_url_allow;
  if (vf_server_new(&o->so, &s, &err)) {
    cli_error(&err);
    return EXIT_ERROR;
  }
  if (o->no_judge)
    fprintf(stderr, "verif serve: --no-judge: [llm] constraints are not "
                    "checked; rewards are the hard part alone\n");
  int v6 = strchr(o->so.host, ':') != NULL; /* a literal IPv6 address */
  printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", o->so.host,
         v6 ? "]" : "", vf_server_port(s));
  fflush(stdout);
  int sig = 0;
  sigwait(stop, &sig);
  fprintf(stderr, "verif serve: %s: draining the requests in flight\n",
          sig == SIGINT ? "SIGINT" : "SIGTERM");
  long lost = vf_server_drain(s, 0); /* each request's deadline, + grace */
  if (lost)
    fprintf(stderr, "verif serve: %ld request%s still unanswered (a client "
                    "not reading its answer?)\n", lost, lost > 1 ? "s" : "");
  int rc = lost ? EXIT_FAIL : EXIT_PASS;
  if (vf_server_free(s, 30)) {
    fprintf(stderr, "verif serve: a scorer is still busy; exiting anyway\n");
    fflush(NULL);
    _exit(rc);
  }
  return rc;
}

/* An empty or unsendable token would turn authentication off or lock
 * every client out: refused before anything starts.  0 or EXIT_ERROR. */
static int check_token(const char *token, const char *from) {
  if (!token)
    return 0;
  const char *why = !*token ? "is empty (leave it unset to serve without "
                              "authentication)"
                            : NULL;
  for (const char *t = token; !why && *t; t++)
    if (*t < 0x21 || *t > 0x7e)
      why = "must be printable ASCII without spaces";
  if (!why)
    return 0;
  fprintf(stderr, "verif serve: %s: the token %s\n", from, why);
  return EXIT_ERROR;
}

int cmd_serve(int argc, char **argv) {
  opts o = {.so = {.host = "127.0.0.1", .port = 8765}};
  const char *env_token = getenv("VERIF_TOKEN");
  o.so.token = env_token;
  int rc = parse_args(&o, argc, argv);
  if (rc)
    return rc == EXIT_PASS + 100 ? EXIT_PASS : rc;
  rc = check_token(o.so.token,
                   o.so.token == env_token ? "VERIF_TOKEN" : "--token");
  if (rc)
    return rc;
  if (o.eo.threads <= 0)
    o.eo.threads = 1; /* the scorers are the parallelism */
  /* Blocked before the engine starts its threads, so that every thread
   * inherits the mask and only sigwait takes the signals. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  vf_ctx *ctx = cli_ctx();
  vf_engine *e = NULL;
  vf_error err = {0};
  rc = EXIT_ERROR;
  if (ctx && vf_engine_new(ctx, &o.eo, &e, &err) == VF_OK)
    rc = serve(&o, e, &stop);
  else if (ctx)
    cli_error(&err);
  if (e && rc == EXIT_PASS)
    vf_engine_report(e, stderr);
  vf_engine_free(e);
  vf_ctx_free(ctx);
  return rc;
}
