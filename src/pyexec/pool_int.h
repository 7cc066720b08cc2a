/*
 * pool_int.h: the parent's view of a pool, shared by pool.c (the API, jobs,
 * the zygote's lifecycle) and dispatch.c (the event loop).  One mutex
 * guards everything here; the dispatcher thread holds it except while it
 * polls, and callers hold it only to queue a job, wait on its condition,
 * and answer its llm calls.
 */
#ifndef VF_PYEXEC_POOL_INT_H
#define VF_PYEXEC_POOL_INT_H

#include <pthread.h>

#include "pyexec/pyexec_int.h"

/* Per-check state inside a job. */
enum { C_PENDING = 0, C_SENT = 1, C_FINAL = 2 };

/* An llm_call made by a check, waiting for (then carrying) its answer. */
typedef struct vf_llm_req {
  struct vf_llm_req *next;
  int slot;     /* the worker that asked */
  uint64_t gen; /* ... in this incarnation */
  char *fn, *args;
  int status;   /* the callback's answer */
  char *reply;
} vf_llm_req;

/* A unit (VF_ISOLATION_ROW): checks [first, first + count) of a job, run
 * by one process at a time that runs nothing else. */
typedef struct vf_unit {
  uint32_t first, count;
  uint32_t scan; /* no check of the unit before scan is C_PENDING */
  int owner;     /* the slot running it, or -1 */
  int queued;    /* on the job's uretry stack */
} vf_unit;

/* One vf_pool_run / vf_pool_run_units call. */
typedef struct vf_job {
  struct vf_job *next, *prev;
  vf_pycheck *checks;
  size_t n, next_idx; /* checks before next_idx were sent at least once */
  uint8_t *state;     /* C_* per check */
  uint8_t *deaths;    /* workers that died running it */
  uint32_t *retry;    /* to send again (their worker went away) */
  size_t nretry;
  vf_unit *units;     /* VF_ISOLATION_ROW: the units, in check order */
  size_t nunits, next_unit; /* units before next_unit had a process */
  uint32_t *uretry;   /* units whose process went away before the end */
  size_t nuretry;
  size_t remaining;   /* checks without a final result */
  pthread_cond_t cond;
  vf_llm_req *llm_head, *llm_tail; /* for the calling thread to answer */
} vf_job;

typedef enum {
  W_EMPTY,    /* no process; spawn when allowed */
  W_SPAWNING, /* asked the zygote */
  W_STARTING, /* forked, not yet sandboxed and ready */
  W_IDLE,
  W_BUSY,
  W_DYING /* channel closed or broken: killed, waiting for its status */
} vf_wstate;

typedef struct vf_worker {
  vf_wstate state;
  pid_t pid;
  int sock, pidfd;
  vf_shm *shm;
  uint64_t gen;
  vf_job *job; /* the batch in flight */
  vf_unit *unit; /* VF_ISOLATION_ROW: the unit this process belongs to */
  int used;      /* it was given work: it never gets another unit */
  int finished;  /* it ended because its unit did (not a restart) */
  int restart;   /* its slot is empty because it failed or retired */
  uint32_t idx[VF_BATCH_MAX];
  size_t nidx;
  uint32_t seq;
  uint64_t sent_ns;
  int32_t seen_cur;   /* the running check as last observed */
  uint64_t cur_start; /* when it started (clamped) */
  uint32_t seen_done; /* results as last observed */
  uint64_t done_seen; /* when that count was first observed */
  uint64_t paused_ns; /* its time spent waiting for llm answers */
  uint64_t llm_since;
  int llm_wait;
  vf_buf out; /* frames not yet written */
  size_t out_off;
  vf_buf in;  /* bytes of frames not yet complete */
  uint64_t dying_since, spawn_after;
  char fail[256]; /* its FAIL frame, if any */
} vf_worker;

struct vf_pool {
  vf_pool_opts opts;
  int nworkers; /* processes running checks at once */
  int nslots;   /* slots: nworkers, plus ready spares in VF_ISOLATION_ROW */
  int row;      /* opts.isolation == VF_ISOLATION_ROW */
  uint64_t timeout_ns;
  size_t memory_bytes;
  pthread_mutex_t mu;
  pthread_cond_t started; /* startup finished (ok or not) */
  pthread_t thread;
  int thread_up, stop;
  int wake[2]; /* pipe: callers -> dispatcher */
  pid_t zpid;
  int zfd, zready, zstarts;
  uint64_t zrestart_after;
  vf_worker *w;
  vf_job *jobs, *rr;
  vf_llm_req *replies; /* answered, to deliver */
  vf_batch_enc *enc;
  vf_pool_stats stats;
  uint32_t seq;
  int startup_done, start_fails;
  char startup_err[512];
  int broken;
  char broken_msg[300];
};

/* ---- pool.c -------------------------------------------------------------- */

/* Forks a zygote (Python is initialised there, never here); 0 or -1. */
int vf_pool_start_zygote(vf_pool *p);

/* Final result for check i of job j (copies the message); wakes its caller
 * when it was the last one. */
void vf_pool_finish(vf_pool *p, vf_job *j, uint32_t i, vf_py_verdict v,
                    vf_pyerr_kind k, const char *msg);

/* Wakes the dispatcher from another thread. */
void vf_pool_wake(vf_pool *p);

/* ---- dispatch.c ---------------------------------------------------------- */

/* The dispatcher thread. */
void *vf_pool_loop(void *pool);

#endif
