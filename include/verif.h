/*
 * verif.h: the one public header of libverif.
 *
 * verif checks whether a response follows the constraints of its instruction,
 * with verdicts identical to the Python references (IFEval first).  A vf_ctx
 * holds the read-only data every checker needs (Punkt parameters, language
 * profiles); once created it may be shared by any number of threads.  Every
 * call that can fail returns a vf_status and fills a caller-owned vf_error,
 * so no error state is shared between threads.
 */
#ifndef VERIF_H
#define VERIF_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VF_BUILDING_LIBRARY)
#define VF_API __attribute__((visibility("default")))
#else
#define VF_API
#endif

#define VF_VERSION "0.1.0"

typedef enum vf_status {
  VF_OK = 0,
  VF_ENOMEM,      /* out of memory */
  VF_EINVAL,      /* invalid argument from the caller */
  VF_EUTF8,       /* text is not valid UTF-8 */
  VF_EJSON,       /* malformed JSON */
  VF_EUNKNOWN_ID, /* no checker has this instruction id */
  VF_EKWARG,      /* a kwarg is missing, unknown or of the wrong type */
  VF_EREGEX,      /* a pattern supplied in kwargs does not compile */
  VF_EIO,         /* a file could not be read or written */
  VF_EDATA,       /* bundled data (profiles, parameters) missing or corrupt */
  VF_EMISSING,    /* an input refers to something that is not there */
  VF_EINTERNAL,   /* a bug in verif: please report it */
  VF_STATUS_COUNT
} vf_status;

/* A caller-owned error report: the code and a message naming the file,
 * line, field or instruction id at fault. */
typedef struct vf_error {
  vf_status code;
  char msg[512];
} vf_error;

/* Short description of a status code ("out of memory", ...). */
VF_API const char *vf_strerror(vf_status code);

/* ---- context ---------------------------------------------------------- */

typedef struct vf_ctx vf_ctx;

/* Loads the data under data_dir (NULL: vf_data_dir()).  The context is
 * immutable afterwards. */
VF_API vf_status vf_ctx_new(vf_ctx **out, const char *data_dir, vf_error *err);

/* The bundled data's directory when none is named: $VERIF_DATA_DIR if set,
 * else share/verif beside the installed library or program (PREFIX/lib,
 * PREFIX/bin), else the one compiled in (the source tree's data/ for a
 * build, PREFIX/share/verif for `make install`). */
VF_API const char *vf_data_dir(void);
VF_API void vf_ctx_free(vf_ctx *ctx);

/* ---- single checkers ---------------------------------------------------- */

typedef struct vf_checker vf_checker;

/* The outcome of one check: pass is 1 or 0; on failure reason says why
 * (e.g. "found 212 words, needs at least 300"). */
typedef struct vf_verdict {
  int pass;
  char reason[256];
  int raised; /* 1 when the reference's check raises on this text (an
                 IndexError, a division by zero...): verif counts it as not
                 followed, as NeMo-Gym's servers do; reason names it */
} vf_verdict;

/* Checker families.  Every instruction id belongs to one or more families,
 * each the port of one reference:
 *   "ifeval"   google-research IFEval (25 ids)
 *   "ifevalg"  open-instruct's IFEvalG as NeMo-Gym runs it (the
 *              verifiable_instructions package: 54 ids, IFEval's 25 too)
 *   "tulu3"    Tulu 3 RLVR-IFeval's func_name checks (open-instruct's
 *              if_functions.py: 25 functions)
 * and more as they are added (vf_family_list names them all).  Families
 * that share an id may give it different behaviour (kwargs rules, defaults),
 * so an id is resolved:
 *   - qualified, "family/id": in that family only;
 *   - else, when a family is given: in that family only;
 *   - else in the families in the order above: the first that has it. */

/* Builds a checker for instruction id with its kwargs (a JSON object, or
 * NULL/"" for none), looked up in family (NULL: none, see above).  Unknown
 * ids and families, and missing, unknown or mistyped kwargs are errors
 * naming the id and the field (VF_EUNKNOWN_ID, VF_EINVAL, VF_EKWARG).  A
 * checker is immutable and may be run from several threads at once. */
VF_API vf_status vf_checker_new_in(const vf_ctx *ctx, const char *family,
                                   const char *id, const char *kwargs_json,
                                   vf_checker **out, vf_error *err);

/* vf_checker_new_in(ctx, NULL, id, kwargs_json, out, err). */
VF_API vf_status vf_checker_new(const vf_ctx *ctx, const char *id,
                                const char *kwargs_json, vf_checker **out,
                                vf_error *err);
VF_API void vf_checker_free(vf_checker *chk);

/* Runs the checker on a response of len bytes (valid UTF-8, else VF_EUTF8).
 * This is the raw check_following() of the reference: no strip, no loose. */
VF_API vf_status vf_checker_run(const vf_checker *chk, const char *response,
                                size_t len, vf_verdict *out, vf_error *err);

/* The instruction id the checker was built for (unqualified), and the
 * family it was found in. */
VF_API const char *vf_checker_id(const vf_checker *chk);
VF_API const char *vf_checker_family(const vf_checker *chk);

/* Calls fn for every registered instruction id: family by family in
 * registry order, each family's ids in sorted order. */
VF_API void vf_checker_list(void (*fn)(void *ud, const char *family,
                                       const char *id, const char *summary),
                            void *ud);

/* Calls fn for every family, in registry order: its name, how many ids it
 * has and the reference it ports. */
VF_API void vf_family_list(void (*fn)(void *ud, const char *family,
                                      size_t nids, const char *summary),
                           void *ud);

/* ---- NeMo-Gym's instruction_following semantics -------------------------- */

/* One entry of an instruction list. */
typedef struct vf_follow {
  int followed;      /* 1 followed; 0 not, or the entry could not be checked */
  vf_status code;    /* VF_OK, or why the entry could not be checked */
  char reason[256];  /* why not followed, or the error; "" when followed */
} vf_follow;

/* Checks response against each entry of an instruction list as NeMo-Gym's
 * instruction_following server does (verify() in its app.py, Gym 07d6b0d):
 * entry i is (ids[i], kwargs[i]) for i < min(len(ids), len(kwargs)), as
 * Python's zip pairs them; a null kwargs entry is {}, null values are
 * dropped; an unknown or non-string id, kwargs that are not an object, a
 * missing, mistyped or random-fallback kwarg, or an error inside the check
 * make that entry not followed (with code and reason) and nothing else.
 * Ids resolve in family (NULL: "ifevalg", NeMo's registry; a qualified id
 * names its own).  ids_json and kwargs_json are JSON lists.  NeMo's reward
 * is then every entry followed (binary: 1.0 for an empty list) or the
 * fraction followed (grading_mode "fraction": 0.0 for an empty list).
 * *out (malloc'd, free() it) gets *n entries.  Fails only when a list is
 * not a JSON list (VF_EJSON) or memory runs out (VF_ENOMEM). */
VF_API vf_status vf_follow_instructions(const vf_ctx *ctx, const char *family,
                                        const char *ids_json,
                                        const char *kwargs_json,
                                        const char *response, size_t len,
                                        vf_follow **out, size_t *n,
                                        vf_error *err);

/* Checks response against an IFBench instruction list as NeMo-Gym's IFBench
 * server does (resources_servers/ifbench/app.py, Gym 07d6b0d), strictly and
 * loosely: a blank response follows nothing; entry i is (ids[i], kwargs[i])
 * for i < min(len(ids), len(kwargs)), null kwargs {} and null values
 * dropped, resolved in family "ifbench" (a qualified id names its own); an
 * entry that cannot be built (unknown or non-string id, kwargs not an
 * object, a missing, mistyped or random-fallback kwarg) is followed in
 * neither mode, with code and reason; an exception inside the reference's
 * check makes that text not followed.  strict[i] is the response itself,
 * loose[i] any of IFBench's eight loose variants.  NeMo's rewards are then
 * binary: every entry followed (1.0 for an empty list), or fraction: the
 * share followed (0.0 for an empty list), from strict ("reward") and from
 * loose ("reward_loose").  *strict and *loose (malloc'd, free() both) get
 * *n entries.  Fails only when a list is not a JSON list (VF_EJSON), the
 * response is not UTF-8 (VF_EUTF8) or memory runs out (VF_ENOMEM). */
VF_API vf_status vf_follow_ifbench(const vf_ctx *ctx, const char *ids_json,
                                   const char *kwargs_json,
                                   const char *response, size_t len,
                                   vf_follow **strict, vf_follow **loose,
                                   size_t *n, vf_error *err);

/* ---- IFEval-style prompts --------------------------------------------- */

/* One prompt with its instructions, as in IFEval's input_data.jsonl. */
typedef struct vf_prompt vf_prompt;

/* Parses one input_data line ({"key", "prompt", "instruction_id_list",
 * "kwargs"}) and builds its checkers, in family "ifeval" (a qualified id
 * "family/id" names its own).  where names the source for error messages
 * (e.g. "input.jsonl:12"). */
VF_API vf_status vf_prompt_parse(const vf_ctx *ctx, const char *json,
                                 size_t len, const char *where,
                                 vf_prompt **out, vf_error *err);
VF_API void vf_prompt_free(vf_prompt *p);
VF_API const char *vf_prompt_text(const vf_prompt *p);
VF_API long long vf_prompt_key(const vf_prompt *p);
VF_API size_t vf_prompt_count(const vf_prompt *p);
VF_API const vf_checker *vf_prompt_checker(const vf_prompt *p, size_t i);

/* Evaluates a response under IFEval's strict and loose rules; strict[i] and
 * loose[i] (each vf_prompt_count() long) receive 1 or 0 per instruction. */
VF_API vf_status vf_prompt_eval(const vf_prompt *p, const char *response,
                                size_t len, unsigned char *strict,
                                unsigned char *loose, vf_error *err);

/* ---- the official IFEval evaluation ------------------------------------ */

/* Options of vf_eval_ifeval(), a drop-in for google-research's
 * evaluation_main: the same inputs, output files and report. */
typedef struct vf_eval_opts {
  const char *input_data;          /* input_data.jsonl */
  const char *input_response_data; /* {"prompt", "response"} lines */
  const char *output_dir;          /* eval_results_{strict,loose}.jsonl */
  int jobs;                        /* threads; 0 = all cores */
  int skip_missing;                /* evaluate prompts that have a response */
  FILE *report;                    /* the official report (NULL: none) */
  FILE *log;                       /* progress and notes (NULL: none) */
} vf_eval_opts;

typedef struct vf_eval_stats {
  size_t prompts;      /* evaluated */
  size_t skipped;      /* without a response (with skip_missing) */
  size_t blank_lines;  /* blank lines skipped in both files (not items) */
  size_t instructions; /* evaluated */
  double prompt_strict, instruction_strict, prompt_loose, instruction_loose;
  size_t raised_strict, raised_loose; /* verdicts "not followed" because the
                                         reference's check raises there */
} vf_eval_stats;

/* Runs the evaluation.  Any malformed line, unknown id, bad kwarg or (unless
 * skip_missing) prompt without a response is an error naming file, line and
 * field; with a log, each bad line is written there as it is found and the
 * returned error only counts them.  On error no output file is left behind
 * (nor the output directory, when the run created it).  Blank lines are not
 * items: skipped and counted.  stats may be NULL. */
VF_API vf_status vf_eval_ifeval(const vf_ctx *ctx, const vf_eval_opts *opts,
                                vf_eval_stats *stats, vf_error *err);

/* The same for IFBench: a drop-in for allenai/IFBench's run_eval.py (at
 * c94da02): input_data is IFBench_test.jsonl ({"key", "prompt",
 * "instruction_id_list", "kwargs"}; keys may be strings), ids resolve in
 * family "ifbench", the output files and report are run_eval.py's.  A
 * responses line may give, instead of "response", the conversation
 * ("messages": [{"role", "content"}, ...]) of a multi-turn row: its last
 * assistant turn is scored.  Where the reference's check raises (its run
 * would stop), the instruction is not followed and stats counts it
 * (raised_strict, raised_loose; also said on log). */
VF_API vf_status vf_eval_ifbench(const vf_ctx *ctx, const vf_eval_opts *opts,
                                 vf_eval_stats *stats, vf_error *err);

/* ---- scoring: the reward engine ---------------------------------------- */

/* How the hard part (mean of the [rule] checks) and the soft verdict of the
 * [llm] constraints combine into one reward. */
typedef enum vf_combine {
  VF_COMBINE_PRODUCT, /* hard mean x soft (the released VerIF code) */
  VF_COMBINE_AVERAGE, /* (all hard passed + soft) / 2 (the paper) */
  VF_COMBINE_ALL      /* 1 only when everything passes */
} vf_combine;

/* Item formats; AUTO detects the format of every line on its own. */
typedef enum vf_format {
  VF_FORMAT_AUTO,
  VF_FORMAT_VERINSTRUCT,
  VF_FORMAT_VERL,
  VF_FORMAT_IFEVAL,
  VF_FORMAT_OPENINSTRUCT /* open-instruct's ground truths, RLVR-IFeval rows */
} vf_format;

/* How dataset-supplied Python code is isolated (README, "The sandbox"). */
typedef enum vf_isolation {
  VF_ISOLATION_ROW,   /* each item's checks in a fresh process of their own */
  VF_ISOLATION_SHARED /* long-lived workers shared by all items: a row's
                         code can then change other rows' verdicts; only for
                         datasets whose code the user trusts */
} vf_isolation;

typedef struct vf_engine_opts {
  vf_combine combine;
  vf_format format;
  const char *family;     /* checker family of instruction ids (NULL: each
                             format's own; see vf_checker_new_in) */
  int keep_reasoning;     /* score the whole text, not just after </think> */
  int threads;            /* native check threads; 0 = all cores */
  int workers;            /* sandboxed Python workers; 0 = all cores */
  double check_timeout_s; /* per Python check; 0 = 1 s */
  size_t memory_mb;       /* per Python worker; 0 = 1024 */
  vf_isolation isolation; /* VF_ISOLATION_ROW unless set */
  /* The LLM judge for [llm] constraints; judge_urls NULL: none, and the soft
   * part is "unverified". */
  const char *judge_urls;          /* comma-separated base URLs (.../v1) */
  const char *judge_model;
  const char *judge_api_key;       /* callers read VERIF_JUDGE_API_KEY */
  const char *judge_template;      /* NULL/"default" (VerIF's), "en" */
  const char *judge_template_file; /* overrides judge_template */
  const char *judge_cache;         /* SQLite file of verdicts, or NULL */
  int judge_concurrency;           /* 0 = 64 */
  double judge_timeout_s;          /* 0 = 300 */
  int judge_retries;               /* 0 = 3, < 0 = none */
  int judge_error_zero; /* a failed judge call scores soft 0 (VerIF's way)
                           instead of making the reward null */
  /* Hosts an item may name as its own judge ("judge_url", with an optional
   * "judge_model"): comma-separated "host" or "host:port"; NULL: an item
   * naming a judge is an error.  Such judges get no API key. */
  const char *judge_url_allow;
} vf_engine_opts;

typedef struct vf_engine vf_engine;

/* The engine owns the sandbox pool (started on first use) and a running
 * summary.  It may be shared by threads: vf_engine_score is thread-safe. */
VF_API vf_status vf_engine_new(const vf_ctx *ctx, const vf_engine_opts *opts,
                               vf_engine **out, vf_error *err);
VF_API void vf_engine_free(vf_engine *e);

/* Scores n items, each one JSONL line (items[i], lens[i] bytes); where[i]
 * names its origin for messages ("file:line"; NULL: "item <i>").  out[i]
 * always receives a malloc'd one-line JSON record (no newline): id, reward,
 * hard, soft, checks, error (or results, one per response, for an item
 * with "responses").  An item that cannot be scored gets a record whose
 * error says why; the call itself fails only when the engine does. */
VF_API vf_status vf_engine_score(vf_engine *e, const char *const *items,
                                 const size_t *lens,
                                 const char *const *where, size_t n,
                                 char **out, vf_error *err);

/* Writes the running summary (items, mean reward, pass rate per checker
 * category, errors by kind) as text to f. */
VF_API void vf_engine_report(vf_engine *e, FILE *f);

/* The engine's counters since vf_engine_new (for metrics). */
typedef struct vf_engine_stats {
  unsigned long long responses, rewarded, item_errors;
  unsigned long long rule_pass, rule_fail, rule_error; /* hard checks */
  unsigned long long soft_judged, soft_unparsed, soft_error, soft_unverified,
      soft_none,    /* no [llm] constraint */
      soft_spared;  /* no call: the hard part fixed the reward */
  unsigned long long py_checks, py_errors, py_timeouts, py_crashes,
      py_restarts;  /* the sandbox pool */
  unsigned long long judge_requests, judge_calls, judge_cache_hits,
      judge_sqlite_hits, judge_deduped, judge_retries, judge_unparsed,
      judge_errors; /* the judge client (0 without one) */
} vf_engine_stats;

VF_API void vf_engine_get_stats(vf_engine *e, vf_engine_stats *out);

/* ---- HTML reports of benchmark runs ------------------------------------ */

/* One evaluated run: dir holds the eval_results_strict.jsonl and
 * eval_results_loose.jsonl that vf_eval_ifeval (or vf_eval_ifbench) wrote;
 * label names it in the page ("model A"). */
typedef struct vf_eval_page_run {
  const char *label;
  const char *dir;
} vf_eval_page_run;

/* Writes one self-contained HTML page (no network, scripts inline) to path:
 * prompt- and instruction-level accuracy, per-category and per-instruction
 * accuracy as charts, strict and loose, each of the n runs (1 or 2) side by
 * side, and a sortable table per instruction id. */
VF_API vf_status vf_eval_html(const vf_ctx *ctx, const char *path,
                              const vf_eval_page_run *runs, size_t n,
                              vf_error *err);

/* ---- auditing verification functions ------------------------------------ */

/* What vf_audit_run can find about one verification function (a [rule]
 * function, or a native checker instance).  The names are those of the
 * JSONL records (vf_audit_kind_name). */
typedef enum vf_audit_kind {
  VF_AUDIT_VACUOUS,            /* passes every probe */
  VF_AUDIT_NEVER_PASSES,       /* passes no probe */
  VF_AUDIT_GAMEABLE,           /* passes the empty, blank, echoed or
                                  reasoning-only response */
  VF_AUDIT_RAISES,             /* raises on a probe */
  VF_AUDIT_TIMEOUT,            /* runs past the check timeout */
  VF_AUDIT_NONDETERMINISTIC,   /* two runs of one probe disagree */
  VF_AUDIT_READS_INSTRUCTION,  /* verdicts change when `instruction` is the
                                  literal "instruction" (VerIF's code) */
  VF_AUDIT_FOREIGN_IMPORT,     /* imports a module the sandbox lacks */
  VF_AUDIT_TAG_MISMATCH,       /* [llm] yet plain code, or [rule] yet
                                  calls the judge */
  VF_AUDIT_CONTRADICTION,      /* no probe satisfies it and another
                                  constraint of its item together */
  VF_AUDIT_DUPLICATE,          /* the same function text under another
                                  checker */
  VF_AUDIT_REJECTS_SATISFYING, /* fails a response written to satisfy it */
  VF_AUDIT_ACCEPTS_VIOLATING,  /* passes a response written to violate it */
  VF_AUDIT_KIND_COUNT
} vf_audit_kind;

/* "vacuous", "never_passes", ...; NULL when out of range. */
VF_API const char *vf_audit_kind_name(vf_audit_kind k);

/* What --filter does with a flagged [rule] checker. */
typedef enum vf_audit_policy {
  VF_AUDIT_DROP, /* removes the checker and its function */
  VF_AUDIT_RETAG /* makes it an [llm] checker (the judge's) */
} vf_audit_policy;

typedef struct vf_audit_opts {
  const char *input;  /* items, any format verif score reads ("-": stdin) */
  const char *output; /* one JSON record per constraint, or NULL */
  const char *html;   /* the report page, or NULL */
  const char *filter; /* the dataset without flagged checkers, or NULL */
  vf_audit_policy policy;
  unsigned filter_kinds; /* bit (1u << kind) flags a checker for --filter;
                            0: the default set (all but contradiction and
                            duplicate) */
  const char *probes; /* JSONL lines with "response", used instead of the
                         bundled corpus, or NULL */
  int max_probes;     /* per function; 0 = 32 */
  vf_format format;
  const char *family; /* checker family of instruction ids (NULL: each
                         format's own) */
  int workers;            /* sandboxed Python workers; 0 = all cores */
  double check_timeout_s; /* per Python check; 0 = 1 s */
  size_t memory_mb;       /* per Python worker; 0 = 1024 */
  size_t batch;           /* items read at a time; 0 = 256 */
  vf_isolation isolation; /* VF_ISOLATION_ROW (default): each item's checks
                             in a fresh process of their own */
  /* With a judge, each function also gets a response written to satisfy
   * it and one written to violate it (the prompts under data/audit/). */
  const char *judge_urls;
  const char *judge_model;
  const char *judge_api_key;
  int judge_concurrency;   /* 0 = 16 */
  double judge_timeout_s;  /* 0 = 300 */
  FILE *log;               /* summary and progress, or NULL */
  int progress;            /* redraw a progress line on log */
} vf_audit_opts;

typedef struct vf_audit_stats {
  size_t items, item_errors;   /* lines read; lines that could not be read */
  size_t constraints;          /* records written */
  size_t rule, native, llm;    /* ... by kind of checker */
  size_t audited;              /* run against the probes */
  size_t flagged;              /* with at least one finding */
  size_t findings[VF_AUDIT_KIND_COUNT]; /* constraints with each finding */
  unsigned long long checks;   /* function runs (sandboxed and native) */
  size_t generated;            /* LLM-written probes */
  double seconds;
  double sandbox_seconds;      /* wall time waiting on the sandbox */
  /* VF_ISOLATION_ROW: the processes forked for rows, their CPU time (the
   * zygote's spawning included, until each exited) and the part of it
   * that is the process's start and end (spawn, setup until ready, exit),
   * from the processes' own reports; zeros under VF_ISOLATION_SHARED. */
  unsigned long long processes;
  double process_cpu_s, start_cpu_s;
} vf_audit_stats;

/* Runs every checker of every item against the probe set and writes what
 * it finds (see `verif audit --help`).  An item that cannot be read gets an
 * error record and the others are audited; the call fails only on I/O
 * errors, a missing corpus or a sandbox that cannot start.  stats may be
 * NULL. */
VF_API vf_status vf_audit_run(const vf_ctx *ctx, const vf_audit_opts *o,
                              vf_audit_stats *stats, vf_error *err);

#ifdef __cplusplus
}
#endif
#endif /* VERIF_H */
