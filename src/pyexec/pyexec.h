/*
 * pyexec.h: the sandboxed executor for dataset-supplied Python verification
 * code (VerInstruct's `check_following(instruction, response)` functions).
 *
 * A vf_pool owns one zygote process (forked from the caller, the only place
 * CPython is initialised) and sandboxed processes forked from it.  Callers
 * hand it checks grouped in units (a unit is one dataset row: its functions
 * over the responses it judges); each check gets exactly one verdict or
 * error, whatever the code does.  Used by reward/, audit and the tests.
 *
 * The trust boundary (VF_ISOLATION_ROW, the default): every unit runs in a
 * process of its own, fresh from the zygote, that receives only that unit's
 * texts, reports only on its own channel and result page (the parent
 * accepts results only for the checks it sent there), and is killed when
 * the unit is done.  A unit's code can decide that unit's verdicts and
 * nothing else.  VF_ISOLATION_SHARED instead runs any checks in long-lived
 * workers and relies on in-process guards, which code able to corrupt
 * memory defeats: only for code the user trusts (a dataset they wrote).
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
  int workers;            /* processes running checks at once; 0 = cores */
  double check_timeout_s; /* 0 = 1.0 */
  size_t memory_mb;       /* per worker address space; 0 = 1024 */
  vf_llm_fn llm;          /* NULL: llm_call raises "no judge configured" */
  void *llm_ud;
  vf_isolation isolation; /* verif.h; VF_ISOLATION_ROW unless set */
} vf_pool_opts;

typedef struct vf_pool vf_pool;

/* Starts the zygote (a fresh exec of the running program, /proc/self/exe,
 * with an empty environment: the program must contain libverif, linked
 * statically or as a shared library it loads at start; a constructor there
 * turns that exec into the zygote), initialises Python there, starts the
 * workers and waits until every one is sandboxed and ready.  Fails (never
 * runs unsandboxed) when the zygote cannot start or the sandbox cannot be
 * installed; err then says why.  Safe to call from a threaded program. */
vf_status vf_pool_new(const vf_pool_opts *o, vf_pool **out, vf_error *err);

/* Stops every process of the pool.  No vf_pool_run may be in progress. */
void vf_pool_free(vf_pool *p);

/* Runs n checks, each a unit of its own (in VF_ISOLATION_ROW, one process
 * per check: use vf_pool_run_units for rows of several checks); returns
 * when every one has its verdict (or error).  Thread-safe: concurrent calls
 * share the processes. */
vf_status vf_pool_run(vf_pool *p, vf_pycheck *checks, size_t n, vf_error *err);

/* Runs n checks cut into nunits units: unit k is the next unit_len[k]
 * checks (every unit_len[k] >= 1, their sum n).  In VF_ISOLATION_ROW each
 * unit runs in processes that run nothing else: one fresh process, or a
 * fresh one per crash or timeout of its own code; a unit larger than one
 * batch (VF_BATCH_MAX checks) goes to the same process batch after batch.
 * Checks of one unit run in order within its process, so a check may see
 * what earlier checks of its unit left behind, never another unit's.  In
 * VF_ISOLATION_SHARED the units are ignored.  Returns VF_EINVAL (and runs
 * nothing) when the lengths do not add up; otherwise VF_OK once every check
 * has its verdict or error.  Thread-safe, like vf_pool_run. */
vf_status vf_pool_run_units(vf_pool *p, vf_pycheck *checks, size_t n,
                            const size_t *unit_len, size_t nunits,
                            vf_error *err);

/* Where a row process's CPU time goes, summed over processes, as the
 * zygote and the processes themselves report it (diagnostics for
 * benchmarks; a process's own figures come from code it ran, so nothing
 * relies on them).  Not included: the kernel's work at exit, the parent's. */
typedef struct vf_pool_costs {
  unsigned long long spawns; /* processes forked */
  double spawn_s, fork_s;    /* zygote: the whole spawn, fork() alone */
  unsigned long long units;  /* processes that reported the rest */
  double afterfork_s;        /* PyOS_AfterFork_Child */
  double sandbox_s;          /* rlimits, no_new_privs, seccomp */
  double setup_s;            /* first instruction to ready, both above in */
  unsigned long long setup_faults;
  double compile_s;
  unsigned long long compiles;
  double first_check_s; /* each unit's first check, compiling excluded */
  double other_checks_s;
  unsigned long long other_checks;
  unsigned long long check_faults; /* minor faults while running checks */
  double done_s; /* CPU of each process when it sent its last result */
  unsigned long long exited; /* processes reaped by the zygote */
  double exited_s;           /* their whole CPU time, exit included */
} vf_pool_costs;

typedef struct vf_pool_stats {
  unsigned long long checks, errors, timeouts, crashes;
  unsigned long long restarts; /* processes replaced because they failed,
                                  timed out or retired (not a row process
                                  ending with its unit) */
  unsigned long long units;    /* processes given a unit (VF_ISOLATION_ROW;
                                  a unit that crashed counts again) */
  unsigned long long tainted; /* shared workers replaced because a check
                                 changed state shared with later checks */
  char last_taint[160];       /* what the last such check changed */
  vf_pool_costs costs;        /* VF_ISOLATION_ROW */
} vf_pool_stats;

void vf_pool_get_stats(vf_pool *p, vf_pool_stats *out);

/* The isolation the pool was made with. */
vf_isolation vf_pool_isolation(const vf_pool *p);

/* Process ids of the zygote and of up to cap live workers (for tests and
 * diagnostics; in VF_ISOLATION_ROW the ready spares and the processes
 * running units); returns the number of workers written. */
size_t vf_pool_pids(vf_pool *p, pid_t *zygote, pid_t *workers, size_t cap);

#endif /* VF_PYEXEC_H */
