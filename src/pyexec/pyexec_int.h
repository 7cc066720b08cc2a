/*
 * pyexec_int.h: what the files of src/pyexec share without Python: the wire
 * formats (worker frames, the batch layout, zygote messages), the per-worker
 * shared result page, and the helpers of ipc.c and batch.c.  The parent
 * (pool.c, dispatch.c) includes only this; the Python side (zygote.c,
 * worker.c, pyrun.c, guard.c, pyenv.c, llmcall.c) includes pyside.h too.
 */
#ifndef VF_PYEXEC_INT_H
#define VF_PYEXEC_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyexec/pyexec.h"
#include "text/text.h"

/* Processes: caller --fork--> zygote (Python initialised once) --fork-->
 * workers.  Parent<->zygote: a SOCK_SEQPACKET pair carrying vf_zmsg, with a
 * new worker's fds (channel, result page memfd, pidfd) passed by
 * SCM_RIGHTS.  Parent<->worker: a SOCK_STREAM pair carrying frames
 * {u32 type, u32 len, payload}, plus the worker's shared result page. */

/* ---- limits ------------------------------------------------------------ */

#define VF_BATCH_MAX 1024             /* checks per batch */
#define VF_BATCH_BYTES (16u << 20)    /* string bytes per batch (soft) */
#define VF_FRAME_MAX (1u << 30)       /* parent -> worker frame payload */
#define VF_FRAME_UP_MAX (64u << 20)   /* worker -> parent frame payload */
#define VF_ERRMSG 512                 /* bytes of an error message, with NUL */
#define VF_WORKER_RECYCLE 200000ull   /* checks before a worker is replaced */
#define VF_CPU_BACKSTOP 300u          /* RLIMIT_CPU of a worker, seconds */
#define VF_CPU_RETIRE 200.0           /* a worker retires past this CPU time */

/* ---- worker frames ----------------------------------------------------- */

enum {
  VF_FR_BATCH = 1,     /* parent -> worker: a batch (layout below) */
  VF_FR_LLM_REPLY = 2, /* parent -> worker: i32 status, then JSON or text */
  VF_FR_READY = 10,    /* worker -> parent: sandboxed, waiting for work */
  VF_FR_DONE = 11,     /* worker -> parent: vf_fr_done */
  VF_FR_LLM_REQ = 12,  /* worker -> parent: fn name, NUL, JSON args */
  VF_FR_FAIL = 13      /* worker -> parent: text; the worker then exits */
};

typedef struct vf_frame_hdr {
  uint32_t type;
  uint32_t len;
} vf_frame_hdr;

typedef struct vf_fr_done {
  uint32_t seq;    /* the batch */
  uint32_t done;   /* checks finished (all of them unless retiring) */
  uint32_t retire; /* 1: the worker exits now and must be replaced */
  uint32_t tainted; /* ... because the last check changed shared state */
  char why[160];   /* then: what it changed */
} vf_fr_done;

/* A batch payload: header, nstr string refs, ncheck triples, then the blob
 * of string bytes the refs point into.  Every response, prompt and code
 * text is sent once per batch however many checks use it. */
typedef struct vf_batch_hdr {
  uint32_t seq, nstr, ncheck, flags;
  uint64_t blob_len;
} vf_batch_hdr;

/* flags: the last batch of a VF_ISOLATION_ROW unit: the worker exits once
 * it has sent DONE (the parent kills it then anyway). */
#define VF_BATCH_LAST 1u

typedef struct vf_batch_str {
  uint64_t off, len;
} vf_batch_str;

typedef struct vf_batch_check {
  uint32_t code, prompt, response; /* indices into the string refs */
} vf_batch_check;

/* ---- the shared result page (one per worker) ---------------------------- */

typedef struct vf_shm_result {
  int8_t verdict; /* vf_py_verdict */
  uint8_t kind;   /* vf_pyerr_kind */
  uint16_t msg_len;
} vf_shm_result;

/* The worker writes result i, then done = i + 1; before check i it writes
 * cur_start_ns, then cur = i.  The parent resets cur/done before sending a
 * batch and trusts nothing it reads here without bounds checks. */
/* What a worker reports about its own costs, for diagnostics only (the
 * parent sums it into vf_pool_costs, never acts on it).  CPU time of the
 * process in ns, minor page faults as getrusage counts them. */
typedef struct vf_shm_cost {
  uint64_t afterfork_ns; /* PyOS_AfterFork_Child */
  uint64_t sandbox_ns;   /* rlimits, no_new_privs, seccomp */
  uint64_t setup_ns;     /* from its first instruction to READY */
  uint64_t setup_faults;
  uint64_t compile_ns, compiles;
  uint64_t first_ns; /* its first check, compiling excluded */
  uint64_t rest_ns, rest; /* the others */
  uint64_t check_faults;  /* while running checks */
  uint64_t done_ns;       /* its whole CPU time when it last sent DONE */
} vf_shm_cost;

typedef struct vf_shm {
  _Atomic int32_t cur;
  _Atomic uint32_t done;
  _Atomic uint64_t cur_start_ns;
  char fail[256]; /* why the worker could not start */
  vf_shm_cost cost;
  vf_shm_result res[VF_BATCH_MAX];
  char msg[VF_BATCH_MAX][VF_ERRMSG];
} vf_shm;

/* ---- zygote messages --------------------------------------------------- */

enum {
  VF_Z_READY = 1,      /* z -> p: Python is up */
  VF_Z_INIT_FAIL = 2,  /* z -> p: text says why; the zygote exits */
  VF_Z_SPAWN = 3,      /* p -> z: start a worker for slot */
  VF_Z_SPAWNED = 4,    /* z -> p: slot, pid; fds: channel, memfd, pidfd */
  VF_Z_SPAWN_FAIL = 5, /* z -> p: slot, text */
  VF_Z_EXITED = 6,     /* z -> p: pid, status (as from waitpid) */
  VF_Z_QUIT = 7        /* p -> z: kill the workers and exit */
};

typedef struct vf_zmsg {
  uint32_t op;
  int32_t slot;
  int32_t pid;
  int32_t status;
  uint32_t fork_us, spawn_us; /* SPAWNED: fork(), and the whole spawn
                                 (zygote CPU); EXITED: fork_us is the
                                 process's own CPU (wait4) */
  char text[240];
} vf_zmsg;

struct vf_sandbox_prog;

/* What the zygote (and through it each worker) is told when it starts. */
typedef struct vf_zygote_cfg {
  size_t memory_bytes;
  int ctl_fd;       /* the zygote's end of the control pair */
  int keep_stderr;  /* workers keep fd 2 (sanitizer builds) */
  int row;          /* VF_ISOLATION_ROW: a worker runs one unit, unguarded */
  pid_t zygote_pid; /* set by the zygote for its workers */
  char fault[32];   /* VERIF_PYEXEC_FAULT of the caller (tests), or "" */
  const struct vf_sandbox_prog *seccomp; /* compiled by the zygote */
} vf_zygote_cfg;

/* ---- ipc.c --------------------------------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds (the same clock in every process). */
uint64_t vf_ipc_now_ns(void);

/* The calling thread's CPU time in nanoseconds (cost reports). */
uint64_t vf_ipc_cpu_ns(void);

/* Writes all n bytes to a blocking fd with write(2) (callers ignore
 * SIGPIPE); 0 or -1. */
int vf_ipc_write_all(int fd, const void *p, size_t n);

/* Reads exactly n bytes from a blocking fd; 0, or -1 on error or EOF. */
int vf_ipc_read_all(int fd, void *p, size_t n);

/* Writes one frame to a blocking fd; 0 or -1. */
int vf_ipc_send_frame(int fd, uint32_t type, const void *payload, size_t len);

/* Appends a frame to an output buffer; 0 or -1 (ENOMEM). */
int vf_ipc_put_frame(vf_buf *out, uint32_t type, const void *payload,
                     size_t len);

/* Sends a zygote message with up to 3 fds; 0 or -1. */
int vf_ipc_send_zmsg(int fd, const vf_zmsg *m, const int *fds, int nfds);

/* Receives a zygote message and any fds (others set to -1); returns 1, 0
 * on EOF, -1 on error (EAGAIN included). */
int vf_ipc_recv_zmsg(int fd, vf_zmsg *m, int *fds, int maxfds);

/* Maps a result page from its memfd; NULL on error. */
vf_shm *vf_ipc_map_shm(int memfd);

/* Creates a sealed memfd the size of a result page; -1 on error. */
int vf_ipc_new_shm_fd(void);

/* pidfd_open / pidfd_send_signal (raw syscalls); -1 on error. */
int vf_ipc_pidfd_open(pid_t pid);
int vf_ipc_pidfd_kill(int pidfd, int sig);

/* Describes a waitpid status: "killed by signal 11 (SIGSEGV)". */
void vf_ipc_describe_status(int status, char *out, size_t n);

/* ---- batch.c ----------------------------------------------------------- */

/* Parent side: builds one batch frame for the checks idx[0..n) of checks,
 * deduplicating strings by address and length.  Scratch state lives in the
 * encoder and is reused between batches. */
typedef struct vf_batch_enc vf_batch_enc;
vf_batch_enc *vf_batch_enc_new(void);
void vf_batch_enc_free(vf_batch_enc *e);

/* Appends one BATCH frame to out holding the longest prefix of idx[0..n)
 * that fits (VF_BATCH_MAX checks, VF_BATCH_BYTES of strings, at least one
 * check).  Returns how many it took, or 0 when out of memory. */
size_t vf_batch_encode(vf_batch_enc *e, uint32_t seq, const vf_pycheck *checks,
                       const uint32_t *idx, size_t n, vf_buf *out);

/* Worker side: validates a batch payload in place.  On success the pointers
 * point into payload.  Returns 0 or -1. */
typedef struct vf_batch_view {
  const vf_batch_hdr *hdr;
  const vf_batch_str *strs;
  const vf_batch_check *checks;
  const char *blob;
} vf_batch_view;
int vf_batch_decode(const char *payload, size_t len, vf_batch_view *v);

/* ---- zygote.c ---------------------------------------------------------- */

/* Starts a zygote: forks, and the child execs the running executable
 * (/proc/self/exe) as "verif-pyexec-zygote" with an empty environment
 * (sanitizer options aside), /dev/null on 0 and 1 (and 2 unless
 * cfg->keep_stderr), ctl on fd 3 and nothing else open; a constructor in
 * zygote.c recognises that start and runs the zygote before main.  So the
 * zygote holds nothing of the caller's memory or environment (no judge
 * key, no other row's data).  Returns the child's pid, or -1. */
pid_t vf_zygote_launch(const vf_zygote_cfg *cfg, int ctl);

#endif
