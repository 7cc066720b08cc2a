/*
 * pyexec.h: the sandboxed executor for dataset-supplied Python verification
 * code (VerInstruct's `check_following(instruction, response)` functions).
 *
 * A vf_pool owns one zygote process (forked from the caller, the only place
 * CPython is initialised) and a pool of sandboxed workers forked from it.
 * The reward engine hands it batches of checks; each check gets exactly one
 * verdict or error, whatever the code does.  Used by reward/ and the tests.
 */
#ifndef VF_PYEXEC_H
#define VF_PYEXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "verif.h"

typedef enum { VF_PY_TRUE = 1, VF_PY_FALSE = 0, VF_PY_ERROR = -1 } vf_py_verdict;

typedef enum {
  VF_PYERR_NONE,
  VF_PYERR_EXCEPTION, /* the code raised (any BaseException) */
  VF_PYERR_COMPILE,   /* the module text does not compile */
  VF_PYERR_NOFUNC,    /* no callable check_following after running it */
  VF_PYERR_TIMEOUT,   /* past the per-check wall-clock limit */
  VF_PYERR_CRASH,     /* the worker died running it (twice) */
  VF_PYERR_LIMIT      /* out of the sandbox's memory, or input too large */
} vf_pyerr_kind;

/* One check.  check_following(instruction, response) is called with the
 * real prompt as `instruction` (the released VerIF code passes the literal
 * string "instruction"; verif passes the prompt, which the constraint texts
 * were written against).  The verdict is Python truthiness of the result. */
typedef struct vf_pycheck {
  const char *code;
  size_t code_len; /* the function's module text (imports, then a def) */
  const char *prompt;
  size_t prompt_len;
  const char *response;
  size_t response_len;   /* all valid UTF-8 (caller validated) */
  vf_py_verdict verdict; /* out */
  vf_pyerr_kind error_kind; /* out */
  char error[512]; /* out: "ZeroDivisionError: division by zero", ... */
} vf_pycheck;

/* llm bridge callback: fn is "llm_score"/"llm_judge"/"llm_extract",
 * args_json a JSON array of the positional args (and the kwargs object as a
 * last element if any); returns 0 and a malloc'd JSON reply in *reply_json
 * (the Python value to return), or -1 and a malloc'd message in *reply_json
 * (raised as RuntimeError).  Called on the thread that called vf_pool_run
 * for the check making the call; while it runs, that check's clock stops. */
typedef int (*vf_llm_fn)(void *ud, const char *fn, const char *args_json,
                         char **reply_json);

typedef struct vf_pool_opts {
  int workers;            /* 0 = one per core */
  double check_timeout_s; /* 0 = 1.0 */
  size_t memory_mb;       /* per worker address space; 0 = 1024 */
  vf_llm_fn llm;          /* NULL: llm_call raises "no judge configured" */
  void *llm_ud;
} vf_pool_opts;

typedef struct vf_pool vf_pool;

/* Forks the zygote, initialises Python there, starts the workers and waits
 * until every one is sandboxed and ready.  Fails (never runs unsandboxed)
 * when the sandbox cannot be installed; err then says why.  Create pools
 * before starting threads where possible: the zygote is a fork. */
vf_status vf_pool_new(const vf_pool_opts *o, vf_pool **out, vf_error *err);

/* Stops every process of the pool.  No vf_pool_run may be in progress. */
void vf_pool_free(vf_pool *p);

/* Runs n checks; returns when every one has its verdict (or error).
 * Thread-safe: concurrent calls share the workers. */
vf_status vf_pool_run(vf_pool *p, vf_pycheck *checks, size_t n, vf_error *err);

typedef struct vf_pool_stats {
  unsigned long long checks, errors, timeouts, crashes, restarts;
  unsigned long long tainted; /* workers replaced because a check changed
                                 state shared with later checks */
  char last_taint[160];       /* what the last such check changed */
} vf_pool_stats;

void vf_pool_get_stats(vf_pool *p, vf_pool_stats *out);

/* Process ids of the zygote and of up to cap live workers (for tests and
 * diagnostics); returns the number of workers written. */
size_t vf_pool_pids(vf_pool *p, pid_t *zygote, pid_t *workers, size_t cap);

#endif /* VF_PYEXEC_H */
