/*
 * worker.c: one sandboxed worker, forked from the zygote.  Before any
 * untrusted code: drop every fd but its channel (moved to fd 3) and
 * /dev/null stdio, map its result page, die with the zygote, enter the
 * sandbox (fatal on failure: the worker reports why and exits, never runs
 * unsandboxed), snapshot the shared state.  Then it serves batches: checks
 * run in order, each result goes to the shared page as it finishes, and a
 * DONE frame ends the batch.  In VF_ISOLATION_SHARED a check that changed
 * shared state (guard.c) ends the worker after its own result and the
 * parent re-runs the rest; in VF_ISOLATION_ROW the worker serves one unit
 * and is killed after it, so there is no snapshot to keep.
 */
#include "pyexec/pyside.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "pyexec/sandbox.h"

#define CHAN 3
#define CODE_CACHE 2048

typedef struct worker {
  vf_pyenv *env;
  vf_shm *shm;
  vf_guard *guard;   /* VF_ISOLATION_SHARED only */
  vf_resets *resets; /* VF_ISOLATION_SHARED only */
  vf_pyrun *run;
  char *buf; /* the current frame's payload */
  size_t cap;
  PyObject **str; /* per batch: decoded strings, NULL until used */
  vf_code **code; /* per batch: compiled texts */
  size_t strcap;
  unsigned long long checks;
  vf_shm_cost cost; /* reported on the page after every batch */
  uint64_t compile_ns; /* compiling within the current batch */
} worker;

uint64_t vf_worker_faults(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static void __attribute__((noreturn)) fail(worker *w, const char *why) {
  if (w->shm)
    snprintf(w->shm->fail, sizeof w->shm->fail, "%s", why);
  vf_ipc_send_frame(CHAN, VF_FR_FAIL, why, strlen(why));
  _exit(3);
}

/* Leaves fds 0-2 (/dev/null, or the zygote's stderr) and the channel. */
static void arrange_fds(worker *w, const vf_zygote_cfg *cfg, int chan,
                        int memfd) {
  w->shm = vf_ipc_map_shm(memfd);
  close(memfd);
  if (chan != CHAN && dup2(chan, CHAN) != CHAN)
    _exit(3);
  if (!cfg->keep_stderr)
    dup2(0, 2);
  if (close_range(CHAN + 1, ~0U, 0) != 0)
    for (int fd = CHAN + 1; fd < 65536; fd++)
      close(fd);
  if (!w->shm)
    fail(w, "cannot map the result page");
}

#if defined(__SANITIZE_ADDRESS__)
#define VF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VF_ASAN 1
#endif
#endif

/* Fault injection for the tests: VERIF_PYEXEC_FAULT=sandbox (in the
 * caller's environment, carried in cfg) makes entering the sandbox fail,
 * which must stop the worker (fail closed). */
static int fault(const vf_zygote_cfg *cfg, const char *what) {
  return strcmp(cfg->fault, what) == 0;
}

static void enter_sandbox(worker *w, const vf_zygote_cfg *cfg) {
  vf_sandbox_limits lim;
  char why[256];
#ifdef VF_ASAN
  if (vf_memcap_install(cfg->memory_bytes))
    fail(w, "cannot cap Python's allocator");
#endif
  if (fault(cfg, "sandbox"))
    fail(w, "sandbox: fault injected (VERIF_PYEXEC_FAULT=sandbox)");
  vf_worker_limits(cfg, &lim);
  if (vf_sandbox_enter_prog(&lim, cfg->seccomp, why, sizeof why))
    fail(w, why);
}

void vf_worker_limits(const vf_zygote_cfg *cfg, vf_sandbox_limits *lim) {
  vf_sandbox_defaults(lim);
  lim->memory_bytes = cfg->memory_bytes;
  lim->cpu_seconds = VF_CPU_BACKSTOP;
  lim->channel_fd = CHAN;
  lim->allow_stderr = cfg->keep_stderr;
}

static int ensure_arrays(worker *w, size_t nstr) {
  if (nstr <= w->strcap)
    return 0;
  PyObject **s = realloc(w->str, nstr * sizeof *s);
  if (s)
    w->str = s;
  vf_code **c = s ? realloc(w->code, nstr * sizeof *c) : NULL;
  if (!c)
    return -1;
  w->code = c;
  w->strcap = nstr;
  return 0;
}

/* The decoded string i of the batch (borrowed), or NULL with an error. */
static PyObject *string_at(worker *w, const vf_batch_view *v, uint32_t i) {
  if (!w->str[i])
    w->str[i] = PyUnicode_DecodeUTF8(v->blob + v->strs[i].off,
                                     (Py_ssize_t)v->strs[i].len, "strict");
  return w->str[i];
}

/* The compiled text of string i (compiled on first use, inside the check's
 * time: a text that is slow to compile is that check's problem alone).
 * Compiling runs no check code, so whatever it changes (warning
 * registries) is folded into the snapshot. */
static vf_code *code_at(worker *w, const vf_batch_view *v, uint32_t i) {
  char why[160];
  int fresh = 0;
  if (!w->code[i]) {
    uint64_t t0 = vf_ipc_cpu_ns();
    w->code[i] = vf_pyrun_code(w->run, v->blob + v->strs[i].off,
                               v->strs[i].len, &fresh);
    if (fresh) {
      uint64_t dt = vf_ipc_cpu_ns() - t0;
      w->compile_ns += dt;
      w->cost.compile_ns += dt;
      w->cost.compiles++;
    }
  }
  if (fresh && w->guard && vf_guard_dirty(w->guard, why, sizeof why) &&
      vf_guard_refresh(w->guard))
    fail(w, "out of memory refreshing the state snapshot");
  return w->code[i];
}

static void run_one(worker *w, const vf_batch_view *v, uint32_t i) {
  const vf_batch_check *c = &v->checks[i];
  vf_shm_result *res = &w->shm->res[i];
  char *msg = w->shm->msg[i];
  vf_code *code = code_at(w, v, c->code);
  PyObject *p = string_at(w, v, c->prompt);
  PyObject *r = p ? string_at(w, v, c->response) : NULL;
  if (!code) {
    snprintf(msg, VF_ERRMSG, "MemoryError: out of memory compiling");
    *res = (vf_shm_result){VF_PY_ERROR, VF_PYERR_LIMIT, (uint16_t)strlen(msg)};
  } else if (!r) {
    vf_pyerr_kind k = vf_pyrun_take_error(w->env, msg);
    *res = (vf_shm_result){VF_PY_ERROR, (uint8_t)k, (uint16_t)strlen(msg)};
  } else {
    vf_pyrun_check(w->run, code, p, r, res, msg);
  }
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs check i; the first check of the process is timed on its own for
 * the cost report (the rest only as a batch: a CPU clock read is a system
 * call).  Returns the first check's CPU time less its compiling, or 0. */
static uint64_t run_timed(worker *w, const vf_batch_view *v, uint32_t i) {
  if (w->cost.first_ns) {
    run_one(w, v, i);
    return 0;
  }
  uint64_t c0 = w->compile_ns, t0 = vf_ipc_cpu_ns();
  run_one(w, v, i);
  w->cost.first_ns = vf_ipc_cpu_ns() - t0 - (w->compile_ns - c0) + 1;
  return w->cost.first_ns;
}

/* Adds the batch's other checks to the cost report: its time less the
 * first check's (compiling excluded) and all compiling. */
static void count_batch(worker *w, uint64_t t0, uint64_t first, uint32_t n) {
  uint64_t all = vf_ipc_cpu_ns() - t0, known = first + w->compile_ns;
  w->cost.done_ns = t0 + all;
  w->cost.rest_ns += all > known ? all - known : 0;
  w->cost.rest += n - (first ? 1 : 0);
}

/* Runs a batch; returns 1 when the worker must retire after it. */
static int run_batch(worker *w, const vf_batch_view *v) {
  uint32_t n = v->hdr->ncheck, done = 0;
  char why[160];
  int retire = 0;
  uint64_t faults = vf_worker_faults(), t0 = vf_ipc_cpu_ns(), first = 0;
  w->compile_ns = 0;
  if (ensure_arrays(w, v->hdr->nstr))
    fail(w, "out of memory");
  memset(w->str, 0, v->hdr->nstr * sizeof *w->str);
  memset(w->code, 0, v->hdr->nstr * sizeof *w->code);
  vf_pyrun_begin_batch(w->run);
  while (done < n && !retire) {
    atomic_store_explicit(&w->shm->cur_start_ns, vf_ipc_now_ns(),
                          memory_order_relaxed);
    atomic_store_explicit(&w->shm->cur, (int32_t)done, memory_order_release);
    first += run_timed(w, v, done);
    atomic_store_explicit(&w->shm->done, ++done, memory_order_release);
    if (w->resets && vf_resets_apply(w->resets)) {
      snprintf(why, sizeof why, "could not reset caches or random");
      retire = 1;
    } else {
      retire = w->guard && vf_guard_dirty(w->guard, why, sizeof why);
    }
  }
  for (uint32_t i = 0; i < v->hdr->nstr; i++)
    Py_XDECREF(w->str[i]);
  w->checks += done;
  w->cost.check_faults += vf_worker_faults() - faults;
  count_batch(w, t0, first, done);
  w->shm->cost = w->cost;
  vf_fr_done d = {v->hdr->seq, done, 0, (uint32_t)retire, ""};
  d.retire = retire || w->checks >= VF_WORKER_RECYCLE ||
             cpu_seconds() > VF_CPU_RETIRE;
  if (retire)
    snprintf(d.why, sizeof d.why, "%s", why);
  if (vf_ipc_send_frame(CHAN, VF_FR_DONE, &d, sizeof d))
    _exit(0);
  return (int)d.retire;
}

/* Reads one frame's payload into w->buf; returns its type, 0 on EOF. */
static uint32_t read_frame(worker *w, size_t *len) {
  vf_frame_hdr h;
  if (vf_ipc_read_all(CHAN, &h, sizeof h))
    return 0;
  if (h.len > VF_FRAME_MAX)
    fail(w, "oversized frame");
  if (h.len > w->cap) {
    free(w->buf);
    w->buf = malloc(h.len);
    w->cap = w->buf ? h.len : 0;
    if (!w->buf)
      fail(w, "out of memory receiving a batch");
  }
  if (h.len && vf_ipc_read_all(CHAN, w->buf, h.len))
    return 0;
  *len = h.len;
  return h.type;
}

static void __attribute__((noreturn)) serve(worker *w) {
  for (;;) {
    size_t len = 0;
    uint32_t type = read_frame(w, &len);
    vf_batch_view v;
    if (type == 0)
      _exit(0); /* the parent closed the channel */
    if (type != VF_FR_BATCH || vf_batch_decode(w->buf, len, &v))
      fail(w, "protocol error");
    if (run_batch(w, &v) || (v.hdr->flags & VF_BATCH_LAST))
      _exit(0);
    if (w->cap > (64u << 20)) { /* do not keep a huge batch buffer */
      free(w->buf);
      w->buf = NULL;
      w->cap = 0;
    }
  }
}

void vf_worker_main(vf_pyenv *env, const vf_zygote_cfg *cfg, int chan,
                    int memfd, const vf_birth *b) {
  worker w = {0};
  w.env = env;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != cfg->zygote_pid)
    _exit(0); /* the zygote is already gone */
  arrange_fds(&w, cfg, chan, memfd);
  uint64_t t0 = vf_ipc_cpu_ns();
  enter_sandbox(&w, cfg);
  w.cost.sandbox_ns = vf_ipc_cpu_ns() - t0;
  w.cost.afterfork_ns = b->afterfork_ns;
  vf_llmcall_set_channel(env->llm_module, CHAN);
  if (vf_pyenv_reseed(env))
    fail(&w, "cannot seed random");
  w.resets = cfg->row ? NULL : vf_resets_new(env);
  w.guard = cfg->row ? NULL : vf_guard_new(env);
  w.run = vf_pyrun_new(env, CODE_CACHE, !cfg->row);
  if ((!cfg->row && (!w.guard || !w.resets)) || !w.run)
    fail(&w, "out of memory taking the state snapshot");
  w.cost.setup_ns = vf_ipc_cpu_ns() - b->start_ns;
  w.cost.setup_faults = vf_worker_faults() - b->faults;
  w.shm->cost = w.cost;
  if (vf_ipc_send_frame(CHAN, VF_FR_READY, NULL, 0))
    _exit(0);
  serve(&w);
}
