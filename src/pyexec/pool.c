/*
 * pool.c: the public face of pyexec (pyexec.h).  vf_pool_new forks the
 * zygote and starts the dispatcher thread (dispatch.c), then waits until
 * every worker is sandboxed; vf_pool_run[_units] queues the caller's checks
 * as a job (cut into units in VF_ISOLATION_ROW), answers the job's llm
 * calls on the caller's thread, and returns when every check has its one
 * result.  Concurrent calls share the processes.
 */
#include "pyexec/pool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define VF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VF_ASAN 1
#endif
#endif
#ifdef VF_ASAN
#define KEEP_STDERR 1 /* so the workers' sanitizer reports are seen */
#else
#define KEEP_STDERR 0
#endif

#define STARTUP_S 60 /* Python start plus the first workers */
#define SPARES_PER_WORKER 1 /* VF_ISOLATION_ROW: ready processes in stock */

void vf_pool_wake(vf_pool *p) {
  char c = 1;
  if (write(p->wake[1], &c, 1) < 0) { /* full pipe: already awake */
  }
}

int vf_pool_start_zygote(vf_pool *p) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
    return -1;
  vf_zygote_cfg cfg = {p->memory_bytes, sv[1], KEEP_STDERR, p->row, 0, "",
                       NULL};
  const char *fault = getenv("VERIF_PYEXEC_FAULT");
  if (fault)
    snprintf(cfg.fault, sizeof cfg.fault, "%s", fault);
  pid_t pid = vf_zygote_launch(&cfg, sv[1]);
  int e = errno;
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    errno = e;
    return -1;
  }
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  p->zpid = pid;
  p->zfd = sv[0];
  p->zready = 0;
  p->zstarts++;
  return 0;
}

void vf_pool_finish(vf_pool *p, vf_job *j, uint32_t i, vf_py_verdict v,
                    vf_pyerr_kind k, const char *msg) {
  vf_pycheck *c = &j->checks[i];
  if (j->state[i] == C_FINAL)
    return;
  j->state[i] = C_FINAL;
  c->verdict = v;
  c->error_kind = v == VF_PY_ERROR ? k : VF_PYERR_NONE;
  snprintf(c->error, sizeof c->error, "%s", v == VF_PY_ERROR ? msg : "");
  p->stats.checks++;
  if (v == VF_PY_ERROR) {
    p->stats.errors++;
    p->stats.timeouts += k == VF_PYERR_TIMEOUT;
    p->stats.crashes += k == VF_PYERR_CRASH;
  }
  if (--j->remaining == 0)
    pthread_cond_signal(&j->cond);
}

static int count_cpus(void) {
  cpu_set_t s;
  if (sched_getaffinity(0, sizeof s, &s) == 0 && CPU_COUNT(&s) > 0)
    return CPU_COUNT(&s);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

static vf_status init_pool(vf_pool *p, const vf_pool_opts *o, vf_error *err) {
  p->opts = *o;
  p->nworkers = o->workers > 0 ? o->workers : count_cpus();
  p->row = o->isolation != VF_ISOLATION_SHARED;
  p->nslots = p->nworkers * (p->row ? 1 + SPARES_PER_WORKER : 1);
  double t = o->check_timeout_s > 0 ? o->check_timeout_s : 1.0;
  p->timeout_ns = (uint64_t)(t * 1e9);
  p->memory_bytes = (o->memory_mb ? o->memory_mb : 1024) << 20;
  p->zfd = p->wake[0] = p->wake[1] = -1;
  p->w = calloc((size_t)p->nslots, sizeof *p->w);
  p->enc = vf_batch_enc_new();
  if (!p->w || !p->enc)
    return vf_set_error(err, VF_ENOMEM, "pyexec: out of memory");
  for (int i = 0; i < p->nslots; i++)
    p->w[i].sock = p->w[i].pidfd = -1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->started, NULL);
  if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK))
    return vf_set_error(err, VF_EINTERNAL, "pyexec: pipe: %s",
                        strerror(errno));
  return VF_OK;
}

/* Waits (unlocked on return) for every worker to be ready or a failure. */
static vf_status await_startup(vf_pool *p, vf_error *err) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += STARTUP_S;
  pthread_mutex_lock(&p->mu);
  while (!p->startup_done && !p->startup_err[0])
    if (pthread_cond_timedwait(&p->started, &p->mu, &dl) == ETIMEDOUT) {
      snprintf(p->startup_err, sizeof p->startup_err,
               "workers not ready after %d s", STARTUP_S);
      break;
    }
  vf_status st = VF_OK;
  if (!p->startup_done)
    st = vf_set_error(err, VF_EINTERNAL, "pyexec: %s", p->startup_err);
  pthread_mutex_unlock(&p->mu);
  return st;
}

vf_status vf_pool_new(const vf_pool_opts *o, vf_pool **out, vf_error *err) {
  vf_pool_opts none = {0};
  vf_pool *p = calloc(1, sizeof *p);
  *out = NULL;
  if (!p)
    return vf_set_error(err, VF_ENOMEM, "pyexec: out of memory");
  vf_status st = init_pool(p, o ? o : &none, err);
  if (st == VF_OK && vf_pool_start_zygote(p))
    st = vf_set_error(err, VF_EINTERNAL, "pyexec: cannot fork the zygote: %s",
                      strerror(errno));
  int rc = st == VF_OK ? pthread_create(&p->thread, NULL, vf_pool_loop, p) : 0;
  if (rc)
    st = vf_set_error(err, VF_EINTERNAL, "pyexec: cannot start a thread: %s",
                      strerror(rc));
  else if (st == VF_OK)
    p->thread_up = 1;
  if (st == VF_OK)
    st = await_startup(p, err);
  if (st != VF_OK) {
    vf_pool_free(p);
    return st;
  }
  *out = p;
  return VF_OK;
}

static void close_worker(vf_worker *w) {
  if (w->sock >= 0)
    close(w->sock);
  if (w->pidfd >= 0)
    close(w->pidfd);
  if (w->shm)
    munmap(w->shm, sizeof *w->shm);
  vf_buf_free(&w->out);
  vf_buf_free(&w->in);
}

static void stop_zygote(vf_pool *p) {
  if (p->zfd >= 0) {
    vf_zmsg m = {VF_Z_QUIT, 0, 0, 0, 0, 0, {0}};
    vf_ipc_send_zmsg(p->zfd, &m, NULL, 0);
    close(p->zfd);
    p->zfd = -1;
  }
  if (p->zpid > 0) {
    while (waitpid(p->zpid, NULL, 0) < 0 && errno == EINTR)
      ;
    p->zpid = 0;
  }
}

void vf_pool_free(vf_pool *p) {
  if (!p)
    return;
  if (p->thread_up) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    vf_pool_wake(p);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
  }
  stop_zygote(p); /* it kills its workers */
  for (int i = 0; p->w && i < p->nslots; i++)
    close_worker(&p->w[i]);
  while (p->replies) {
    vf_llm_req *r = p->replies;
    p->replies = r->next;
    free(r->fn);
    free(r->args);
    free(r->reply);
    free(r);
  }
  if (p->wake[0] >= 0) {
    close(p->wake[0]);
    close(p->wake[1]);
  }
  vf_batch_enc_free(p->enc);
  free(p->w);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->started);
  free(p);
}

/* ---- running a job ------------------------------------------------------ */

/* Cuts the job into its units (NULL unit_len: one check each). */
static int job_units(vf_job *j, const size_t *unit_len, size_t nunits) {
  size_t at = 0;
  j->nunits = unit_len ? nunits : j->n;
  j->units = malloc(j->nunits * sizeof *j->units);
  j->uretry = malloc(j->nunits * sizeof *j->uretry);
  if (!j->units || !j->uretry)
    return -1;
  for (size_t k = 0; k < j->nunits; k++) {
    size_t len = unit_len ? unit_len[k] : 1;
    j->units[k] = (vf_unit){(uint32_t)at, (uint32_t)len, (uint32_t)at, -1, 0};
    at += len;
  }
  return 0;
}

static int job_alloc(vf_pool *p, vf_job *j, vf_pycheck *checks, size_t n,
                     const size_t *unit_len, size_t nunits) {
  memset(j, 0, sizeof *j);
  j->checks = checks;
  j->n = j->remaining = n;
  j->state = calloc(n, 1);
  j->deaths = calloc(n, 1);
  j->retry = malloc(n * sizeof *j->retry);
  pthread_cond_init(&j->cond, NULL);
  if (!j->state || !j->deaths || !j->retry)
    return -1;
  return p->row ? job_units(j, unit_len, nunits) : 0;
}

static void job_release(vf_job *j) {
  free(j->state);
  free(j->deaths);
  free(j->retry);
  free(j->units);
  free(j->uretry);
  pthread_cond_destroy(&j->cond);
}

/* Do the unit lengths cut n checks exactly? */
static int units_valid(size_t n, const size_t *unit_len, size_t nunits) {
  size_t sum = 0;
  if (!unit_len || nunits == 0)
    return 0;
  for (size_t k = 0; k < nunits; k++) {
    if (unit_len[k] == 0 || unit_len[k] > n - sum)
      return 0;
    sum += unit_len[k];
  }
  return sum == n;
}

/* Checks no worker could hold get their error before being queued. */
static void prefilter(vf_pool *p, vf_job *j) {
  for (size_t i = 0; i < j->n; i++) {
    const vf_pycheck *c = &j->checks[i];
    size_t total = c->code_len + c->prompt_len + c->response_len;
    if (total > p->memory_bytes / 4 || total > VF_FRAME_MAX / 2)
      vf_pool_finish(p, j, (uint32_t)i, VF_PY_ERROR, VF_PYERR_LIMIT,
                     "input too large for the sandbox's memory limit");
    else if (p->broken)
      vf_pool_finish(p, j, (uint32_t)i, VF_PY_ERROR, VF_PYERR_CRASH,
                     p->broken_msg);
  }
}

static void link_job(vf_pool *p, vf_job *j) {
  j->next = p->jobs;
  if (p->jobs)
    p->jobs->prev = j;
  p->jobs = j;
}

static void unlink_job(vf_pool *p, vf_job *j) {
  if (j->prev)
    j->prev->next = j->next;
  else
    p->jobs = j->next;
  if (j->next)
    j->next->prev = j->prev;
  if (p->rr == j)
    p->rr = NULL;
}

/* Calls the user's llm callback for one request, unlocked. */
static void answer(vf_pool *p, vf_job *j) {
  vf_llm_req *r = j->llm_head;
  j->llm_head = r->next;
  if (!j->llm_head)
    j->llm_tail = NULL;
  pthread_mutex_unlock(&p->mu);
  char *reply = NULL;
  r->status = p->opts.llm(p->opts.llm_ud, r->fn, r->args, &reply) ? -1 : 0;
  r->reply = reply;
  pthread_mutex_lock(&p->mu);
  r->next = p->replies;
  p->replies = r;
  vf_pool_wake(p);
}

static void drop_requests(vf_job *j) {
  while (j->llm_head) {
    vf_llm_req *r = j->llm_head;
    j->llm_head = r->next;
    free(r->fn);
    free(r->args);
    free(r);
  }
  j->llm_tail = NULL;
}

static vf_status run_job(vf_pool *p, vf_pycheck *checks, size_t n,
                         const size_t *unit_len, size_t nunits,
                         vf_error *err) {
  vf_job j;
  if (n == 0)
    return VF_OK;
  if (!p || !checks)
    return vf_set_error(err, VF_EINVAL, "pyexec: no pool or no checks");
  if (n > UINT32_MAX)
    return vf_set_error(err, VF_EINVAL, "pyexec: too many checks in one run");
  if (job_alloc(p, &j, checks, n, unit_len, nunits)) {
    job_release(&j);
    return vf_set_error(err, VF_ENOMEM, "pyexec: out of memory");
  }
  pthread_mutex_lock(&p->mu);
  prefilter(p, &j);
  if (j.remaining) {
    link_job(p, &j);
    vf_pool_wake(p);
    while (j.remaining || j.llm_head) {
      if (j.llm_head && j.remaining)
        answer(p, &j);
      else if (j.remaining)
        pthread_cond_wait(&j.cond, &p->mu);
      else
        drop_requests(&j);
    }
    unlink_job(p, &j);
  }
  pthread_mutex_unlock(&p->mu);
  job_release(&j);
  return VF_OK;
}

vf_status vf_pool_run(vf_pool *p, vf_pycheck *checks, size_t n, vf_error *err) {
  return run_job(p, checks, n, NULL, 0, err);
}

vf_status vf_pool_run_units(vf_pool *p, vf_pycheck *checks, size_t n,
                            const size_t *unit_len, size_t nunits,
                            vf_error *err) {
  if (n && !units_valid(n, unit_len, nunits))
    return vf_set_error(err, VF_EINVAL,
                        "pyexec: the unit lengths do not add up to %zu checks",
                        n);
  return run_job(p, checks, n, unit_len, nunits, err);
}

vf_isolation vf_pool_isolation(const vf_pool *p) {
  return p->row ? VF_ISOLATION_ROW : VF_ISOLATION_SHARED;
}

void vf_pool_get_stats(vf_pool *p, vf_pool_stats *out) {
  pthread_mutex_lock(&p->mu);
  *out = p->stats;
  pthread_mutex_unlock(&p->mu);
}

size_t vf_pool_pids(vf_pool *p, pid_t *zygote, pid_t *workers, size_t cap) {
  size_t k = 0;
  pthread_mutex_lock(&p->mu);
  if (zygote)
    *zygote = p->zpid;
  for (int i = 0; i < p->nslots && k < cap; i++)
    if (p->w[i].state >= W_STARTING && p->w[i].state != W_DYING)
      workers[k++] = p->w[i].pid;
  pthread_mutex_unlock(&p->mu);
  return k;
}
