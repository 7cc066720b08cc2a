/*
 * pyside.h: the Python half of pyexec, shared by the files that run inside
 * the zygote and the workers (zygote.c, worker.c, pyenv.c, guard.c,
 * pyrun.c, llmcall.c).  Nothing here runs in the verif process itself.
 * Include it first: Python.h must come before any system header.
 */
#ifndef VF_PYEXEC_PYSIDE_H
#define VF_PYEXEC_PYSIDE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pyexec/pyexec_int.h"

/* Set by the audit hook, the wrappers around state-changing functions and
 * pyrun.c (MemoryError): this worker's shared state may be changed, so it
 * reports the current check and exits to be replaced. */
typedef struct vf_taint {
  int flag;
  char why[160];
} vf_taint;

/* The interpreter environment built once in the zygote and inherited by
 * every worker: borrowed-for-life references and the taint flag the hooks
 * write (heap memory, so its address is stable across fork). */
typedef struct vf_guard vf_guard;

typedef struct vf_pyenv {
  PyObject *builtins;      /* the builtins dict */
  PyObject *s_builtins;    /* "__builtins__" */
  PyObject *s_check;       /* "check_following" */
  PyObject *llm_module;    /* llm_call */
  PyObject *gc_collect;    /* gc.collect, the original */
  PyObject *random_inst;   /* random._inst */
  PyObject *random_seed;   /* _random.Random.seed, the C method */
  vf_taint taint;
  size_t memory_bytes;
  vf_guard *guard; /* the worker's snapshot, once taken */
  unsigned long long gc_runs; /* garbage collections so far (gc.callbacks) */
} vf_pyenv;

/* ---- pyenv.c ----------------------------------------------------------- */

/* Initialises CPython (isolated, no site, no signal handlers), pre-imports
 * what verification code uses, replaces stdio with inert objects and
 * freezes the heap; vf_lockdown comes next.  Returns the environment, or
 * NULL with why[] filled. */
vf_pyenv *vf_pyenv_init(size_t memory_bytes, char *why, size_t n);

/* Seeds random's generator afresh from the kernel (every worker, at
 * start: the zygote's state must not be every row's); 0 or -1. */
int vf_pyenv_reseed(vf_pyenv *env);

/* Marks the worker tainted (first reason wins). */
void vf_pyenv_taint(vf_pyenv *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- lockdown.c -------------------------------------------------------- */

enum { VF_LOCK_ALLOW_CODE = 1 }; /* tests only: allow code-object building */

/* Arms the denials, wrappers and audit hook (lockdown.c's header) in the
 * zygote, after the pre-imports and before any fork; 0, or -1 with a
 * Python exception. */
int vf_lockdown(vf_pyenv *env, unsigned flags);

/* ---- llmcall.c --------------------------------------------------------- */

/* Registers the built-in module llm_call (before Py_Initialize). */
int vf_llmcall_register(void);

/* Points llm_call at the worker's channel (after fork). */
void vf_llmcall_set_channel(PyObject *module, int fd);

/* ---- guard.c ----------------------------------------------------------- */

/* Snapshots everything a check could change for the next one: builtins,
 * sys.modules, every module namespace and the dicts, lists, sets, class
 * namespaces, instance dicts, closures and defaults those hold.  NULL on
 * out of memory. */
vf_guard *vf_guard_new(vf_pyenv *env);
void vf_guard_free(vf_guard *g);

/* After a check: 0 when nothing shared changed, else 1 with why[] naming
 * what did (taint flags included). */
int vf_guard_dirty(vf_guard *g, char *why, size_t n);

/* Takes a new snapshot (after trusted work such as compiling). */
int vf_guard_refresh(vf_guard *g);

/* Was o reachable from a module when the snapshot was taken (a module, a
 * module attribute, a function of a module-level class or object)? */
int vf_guard_is_shared(const vf_guard *g, const PyObject *o);

/* ---- resets.c ---------------------------------------------------------- */

typedef struct vf_resets vf_resets;

/* Finds what a shared worker resets after every check (lru caches of the
 * loaded modules, typing's caches, random's generator) and reseeds the
 * generator; NULL on out of memory or a random it cannot reseed. */
vf_resets *vf_resets_new(vf_pyenv *env);
void vf_resets_free(vf_resets *r);

/* Clears the caches; reseeds the generator when a check moved it.  0, or
 * -1 when that failed (the worker must retire). */
int vf_resets_apply(vf_resets *r);

/* ---- caches.c ---------------------------------------------------------- */

typedef struct vf_caches vf_caches;

/* Finds the pattern caches (re._cache, _strptime._regex_cache). */
vf_caches *vf_caches_new(void);
void vf_caches_free(vf_caches *cs);

/* Is dict one of them (so guard.c does not compare its tag)? */
int vf_caches_owns(const vf_caches *cs, const PyObject *dict);

/* 1 when every entry of every cache is what its key compiles to; else 0
 * with why[] naming the cache. */
int vf_caches_ok(vf_caches *cs, char *why, size_t n);

/* ---- pyrun.c ----------------------------------------------------------- */

typedef struct vf_pyrun vf_pyrun;
typedef struct vf_code vf_code;

/* A per-worker cache of compiled function texts (an LRU of up to cap
 * entries, starting at 16 and growing; keyed by a hash of the text,
 * compared in full).  Entries never move while the cache lives. */
/* collect: run the collector after every check, so that garbage a check
 * leaves in cycles is finalized within it (workers shared by rows); a row
 * process leaves that to the normal collector, as plain CPython does. */
vf_pyrun *vf_pyrun_new(vf_pyenv *env, size_t cap, int collect);
void vf_pyrun_free(vf_pyrun *r);

/* Starts a batch: entries used from now on are not evicted until the next
 * batch.  (A batch holds at most VF_BATCH_MAX distinct texts < cap.) */
void vf_pyrun_begin_batch(vf_pyrun *r);

/* The compiled entry for a text (compiling it on first sight, and then
 * setting *compiled; a text that does not compile is cached with its
 * error).  NULL only on out of memory. */
vf_code *vf_pyrun_code(vf_pyrun *r, const char *text, size_t len,
                       int *compiled);

/* Runs one check: exec the code into a fresh globals dict, call
 * check_following(prompt, response), take its truthiness; errors of every
 * kind become (VF_PY_ERROR, kind, msg).  msg has VF_ERRMSG bytes. */
void vf_pyrun_check(vf_pyrun *r, const vf_code *c, PyObject *prompt,
                    PyObject *response, vf_shm_result *res, char *msg);

/* Formats the pending exception as "Type: message" into msg (VF_ERRMSG),
 * clears it, and returns its kind (LIMIT for MemoryError, which taints). */
vf_pyerr_kind vf_pyrun_take_error(vf_pyenv *env, char *msg);

/* ---- memcap.c ---------------------------------------------------------- */

/* Caps the bytes CPython's raw allocator may hold (sanitizer builds, where
 * RLIMIT_AS cannot); 0 or -1. */
int vf_memcap_install(size_t limit);

/* ---- worker.c ---------------------------------------------------------- */

/* When and how a worker began, for its cost report (vf_shm_cost). */
typedef struct vf_birth {
  uint64_t start_ns;     /* its first instruction after fork */
  uint64_t afterfork_ns; /* PyOS_AfterFork_Child took */
  uint64_t faults;       /* minor faults at start */
} vf_birth;

struct vf_sandbox_limits;

/* The sandbox limits of a worker (what the zygote compiles the seccomp
 * program for, and what each worker then enters). */
void vf_worker_limits(const vf_zygote_cfg *cfg, struct vf_sandbox_limits *lim);

/* Minor page faults of the calling process so far. */
uint64_t vf_worker_faults(void);

/* The worker process: sandbox, then serve batches on chan until EOF or
 * retirement.  Never returns. */
void vf_worker_main(vf_pyenv *env, const vf_zygote_cfg *cfg, int chan,
                    int memfd, const vf_birth *b) __attribute__((noreturn));

#endif
