/*
 * audit.h: what the files of src/audit (verif audit) share.  The audit reads
 * items in batches, gives each item a probe set (probes.c, from the corpus
 * of corpus.c and the LLM-written responses of gen.c), runs every checker of
 * the item on every probe (exec.c: [rule] functions in the sandbox, one
 * row's checks together; native checkers in process), turns the verdicts
 * into findings (findings.c, with the code scans of scan.c and the
 * dataset-wide duplicate table of dup.c) and writes them (record.c: JSONL,
 * the summary, --filter; page.c: the HTML report).  audit.c drives it.
 */
#ifndef VF_AUDIT_H
#define VF_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pyexec/pyexec.h"
#include "reward/reward.h"
#include "text/text.h"

/* ---- verdicts ------------------------------------------------------------ */

/* One run of one function on one probe. */
enum { AU_FAIL = 0, AU_PASS = 1, AU_ERROR = 2, AU_TIMEOUT = 3, AU_NOTRUN = 4 };

/* ---- probes -------------------------------------------------------------- */

typedef enum au_pclass {
  AU_P_EMPTY,      /* "" */
  AU_P_BLANK,      /* whitespace only */
  AU_P_LONG,       /* a very long real text */
  AU_P_PLAIN,      /* the same, plain: short sentences, one per
                      paragraph, no punctuation but the full stops */
  AU_P_TERSE,      /* its first 600 words in sentences of at most 4 */
  AU_P_SIZED,      /* the first owner words of the plain text (owner: a
                      number the item's constraints name) */
  AU_P_WIDE,       /* the plain text's words of at least owner chars */
  AU_P_PROMPT,     /* the item's prompt, echoed */
  AU_P_CONSTRAINT, /* one constraint's text, echoed (owner) */
  AU_P_QUOTED,     /* the long text, then the phrases constraint owner
                      quotes: an honest answer that uses the words it asks
                      for */
  AU_P_THINK,      /* the task restated inside <think>, no answer after */
  AU_P_CORPUS,     /* an unrelated real response (owner: its index) */
  AU_P_USER,       /* a --probes response (owner: its line) */
  AU_P_SATISFY,    /* LLM-written to satisfy constraint owner */
  AU_P_VIOLATE,    /* LLM-written to violate constraint owner */
  AU_P_JOINT       /* a passing probe of owner + one of owner2 */
} au_pclass;

/* Gaming probes: a function that passes one rewards no real answer. */
bool au_probe_gaming(au_pclass c);

/* Honest answers: texts a model could write in earnest (the corpus, the
 * long text, its plain and sized forms, the long text with a constraint's
 * quoted phrases, LLM-written satisfying ones; not the wide probe, a list
 * of long words). */
bool au_probe_honest(au_pclass c);

/* text made plain: every character but letters, digits, '-' and '\''
 * dropped, sentences (ended by . ! ? or a line break, or by a comma,
 * colon, quote or bracket once they hold hard / 2 words) cut after at most
 * hard words, each ending with '.', one per paragraph.  NULL on ENOMEM;
 * *words receives the word count. */
char *au_plainify(const char *text, size_t len, size_t hard, size_t *out_len,
                  size_t *words);

/* Words per sentence of the plain probe, and of the terse one. */
#define AU_PLAIN_WORDS 14
#define AU_TERSE_WORDS 4
#define AU_TERSE_TEXT_WORDS 600

typedef struct au_probe {
  au_pclass cls;
  int owner, owner2;
  const char *text;
  size_t len;
  char *own; /* malloc'd text this probe owns (text points into it) */
} au_probe;

/* "empty", "constraint_echo[2]", "corpus[17]", "joint[0+3]"... */
void au_probe_name(const au_probe *p, char *out, size_t n);

/* ---- one constraint of an item, as audited ------------------------------- */

typedef struct au_finding {
  vf_audit_kind kind;
  int probe;    /* the witness (index into the row's probes), or -1 */
  char *detail; /* malloc'd sentence */
} au_finding;

typedef struct au_fn {
  const vf_constraint *c; /* in the row's item */
  const char *code;       /* the function's text ([llm] ones too), or NULL */
  size_t code_len;
  bool audited;           /* run against the probes */
  bool calls_llm;         /* the code calls the judge (llm_score, ...) */
  bool reads_instruction; /* the code may read its first argument */
  bool timed_out;
  uint8_t *v1, *v2, *vi;    /* per probe: run 1, run 2, `instruction` run */
  int err_probe, imp_probe; /* first error / import error, or -1 */
  char *err, *imp;          /* their messages */
  size_t passed;            /* probes passed in run 1 */
  au_finding *f;
  size_t nf;
} au_fn;

/* One input line. */
typedef struct au_row {
  vf_item it;
  size_t line;
  const char *text; /* the line (owned by the batch) */
  size_t text_len;
  char where[320];
  au_probe *p;
  size_t np, capp;
  size_t nphase1; /* probes before the joint ones */
  au_fn *fn;      /* it.nc of them */
  char **ktext;   /* per constraint: the text echoed (malloc'd) */
} au_row;

/* ---- the corpus (corpus.c) ----------------------------------------------- */

typedef struct au_corpus {
  char **text;
  size_t *len;
  size_t n;
  bool user;      /* from --probes (AU_P_USER) rather than the bundled file */
  char *longtext; /* the long probe */
  size_t longlen;
  char *plain; /* the plain probe (au_plainify of the long one) */
  size_t plainlen;
  size_t *word_end; /* plain[0..word_end[i]) holds i + 1 words */
  char *terse;      /* the terse probe */
  size_t terselen;
  size_t plainwords;
} au_corpus;

/* Reads the "response" of every line of path (the bundled IFEval GPT-4
 * responses, or --probes) and builds the long probe from them. */
vf_status au_corpus_load(au_corpus *c, const char *path, bool user,
                         vf_error *err);
void au_corpus_free(au_corpus *c);

/* ---- the LLM-written probes (gen.c) -------------------------------------- */

typedef enum { AU_GEN_SATISFY, AU_GEN_VIOLATE } au_gen_mode;

/* Writes one response for prompt; returns 0 and a malloc'd *reply, or -1
 * with why in err. */
typedef int (*au_gen_fn)(void *ud, au_gen_mode mode, const char *prompt,
                         size_t len, char **reply, vf_error *err);

typedef struct au_gen {
  au_gen_fn fn;
  void *ud;
  char *tpl[2]; /* the prompt templates, by mode */
  int concurrency;
  unsigned long long made, failed;
  char last_error[256];
} au_gen;

/* Loads data_dir/audit/{satisfy,violate}.txt. */
vf_status au_gen_init(au_gen *g, const char *data_dir, au_gen_fn fn, void *ud,
                      int concurrency, vf_error *err);
void au_gen_free(au_gen *g);

/* Asks for a satisfying and a violating response for every audited
 * function of the n rows; adds them as probes.  Failures are counted and
 * leave the probe out. */
void au_gen_rows(au_gen *g, au_row *rows, size_t n);

/* ---- probe sets (probes.c) ----------------------------------------------- */

/* Adds probe (text not owned unless own); 0 or -1 (ENOMEM). */
int au_row_add_probe(au_row *r, au_pclass cls, int owner, int owner2,
                     const char *text, size_t len, char *own);

/* Phase one's probes for a parsed row: the fixed ones, the constraint
 * echoes and a sample of the corpus, at most max - reserve in all (reserve:
 * room left for generated and joint probes).  0 or -1. */
int au_row_probes(au_row *r, const au_corpus *c, int max, int reserve);

/* The text echoed for constraint k: the checker text after its tag, or an
 * IFEval id with its kwargs' values.  malloc'd. */
char *au_constraint_text(const vf_item *it, size_t k);

void au_row_free(au_row *r);

/* ---- code scans (scan.c) ------------------------------------------------- */

/* The code calls llm_score, llm_judge, llm_extract or imports llm_call. */
bool au_scan_calls_llm(const char *code, size_t len);

/* The code may read check_following's first argument (its name appears
 * after the def, or locals/vars/inspect/_getframe is used).  True when no
 * def is found (the run will tell). */
bool au_scan_reads_first_arg(const char *code, size_t len);

/* Appends the top-level module name of every import statement to *names
 * (each malloc'd, duplicates skipped); returns the count or -1. */
int au_scan_imports(const char *code, size_t len, char ***names, size_t *n,
                    size_t *cap);

/* ---- running (exec.c) ---------------------------------------------------- */

typedef struct au_exec {
  vf_pool *pool;
  int threads;
  unsigned long long checks;
  double pool_seconds; /* wall time inside the sandbox */
  /* module availability, by name: 1 importable, 0 not, learnt by probes */
  char **mod;
  signed char *mod_ok;
  size_t nmod, capmod;
} au_exec;

/* Runs phase one (probes [0, nphase1)) of the n rows: every audited
 * function twice, and a third time with `instruction` = "instruction"
 * where it may read it; also learns the modules the rows import.  Fails
 * only when the sandbox does. */
vf_status au_exec_phase1(au_exec *x, au_row *rows, size_t n, vf_error *err);

/* Runs the joint probes [nphase1, np) on their two owners, once. */
vf_status au_exec_joint(au_exec *x, au_row *rows, size_t n, vf_error *err);

/* 1 importable in the sandbox, 0 not, -1 unknown. */
int au_exec_module_ok(const au_exec *x, const char *name);

void au_exec_free(au_exec *x);

/* ---- findings (findings.c) ----------------------------------------------- */

/* Joint probes per candidate pair: a then b as they are and made terse,
 * and three overlays (findings.c). */
#define AU_JOINT_PER_PAIR 5

/* Adds the joint probes for the row's constraint pairs that no probe passes
 * together (each function gets at most budget of them).  0 or -1. */
int au_find_joint_candidates(au_row *r, int budget);

/* The findings of every function of the row that come from its own runs
 * and code, then the row's contradictions. */
int au_find_row(au_row *r, const au_exec *x);

/* Appends a finding (detail printf-style); 0 or -1. */
int au_add_finding(au_fn *f, vf_audit_kind k, int probe, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- duplicates (dup.c) -------------------------------------------------- */

typedef struct au_dup au_dup;
au_dup *au_dup_new(void);
void au_dup_free(au_dup *d);

/* Registers every [rule] function of the row, in input order, and adds a
 * duplicate finding to those whose text an earlier checker with another
 * constraint text had.  0 or -1. */
int au_dup_row(au_dup *d, au_row *r);

/* ---- output (record.c, page.c) ------------------------------------------- */

/* The JSONL record of constraint k of row r; with full, the source and
 * every finding's whole witness too (for the page).  NULL on ENOMEM. */
json_t *au_record(const au_row *r, size_t k, bool full);

/* The record of a row that could not be read. */
json_t *au_error_record(const au_row *r);

/* The row as --filter writes it (NULL: unchanged, write the line as read);
 * *err on ENOMEM. */
char *au_filter_row(const au_row *r, vf_audit_policy policy, unsigned kinds,
                    bool *changed, int *err);

/* The kinds that flag a checker for --filter by default. */
unsigned au_default_filter_kinds(void);

/* Writes the audit's HTML page from the full records. */
vf_status au_page_write(const vf_ctx *ctx, const char *path, const char *input,
                        json_t *records, const vf_audit_stats *st,
                        const char *probe_note, vf_error *err);

#endif
