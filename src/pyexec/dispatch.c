/*
 * dispatch.c: the pool's event loop, run by one thread per pool.  It keeps
 * a worker in every slot (asking the zygote for replacements), cuts the
 * queued jobs into batches for idle workers (in VF_ISOLATION_ROW: gives
 * each unit a fresh process of its own, killed when the unit is done, with
 * at most `workers` of them busy and the other slots a stock of ready
 * spares), reads results from each
 * worker's shared page when its DONE frame arrives, relays llm calls to the
 * calling threads, and enforces the per-check wall clock: a worker past
 * the limit is killed, its check gets a timeout error, and whatever of its
 * batch had not finished goes back to the queue.  A worker that dies gives
 * its running check a crash error the second time that check kills one.
 */
#include "pyexec/pool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS 1000000ull
#define SETUP_NS (5000 * MS)   /* a batch's setup before its first check */
#define BETWEEN_MIN_NS (50 * MS) /* the worker's own work between checks, at
                                     least (else the check timeout) */
#define DYING_NS (2000 * MS)    /* how long to wait for a dead worker's status */
#define NO_CULPRIT UINT32_MAX

typedef enum { R_TIMEOUT, R_CRASH, R_RETIRE, R_LOST } reason;

/* ---- small helpers ------------------------------------------------------- */

static void requeue(vf_job *j, uint32_t i) {
  if (j->state[i] == C_FINAL)
    return;
  j->state[i] = C_PENDING;
  j->retry[j->nretry++] = i;
}

static void kill_worker(vf_worker *w) {
  if (w->pidfd >= 0)
    vf_ipc_pidfd_kill(w->pidfd, SIGKILL);
}

static vf_worker *by_pid(vf_pool *p, pid_t pid) {
  for (int i = 0; i < p->nslots; i++)
    if (p->w[i].pid == pid && p->w[i].state >= W_STARTING)
      return &p->w[i];
  return NULL;
}

static int live_workers(const vf_pool *p) {
  int n = 0;
  for (int i = 0; i < p->nslots; i++)
    n += p->w[i].state == W_IDLE || p->w[i].state == W_BUSY;
  return n;
}

/* Every check still waiting anywhere gets the pool's error. */
static void fail_pending(vf_pool *p) {
  for (vf_job *j = p->jobs; j; j = j->next)
    for (size_t i = 0; i < j->n; i++)
      vf_pool_finish(p, j, (uint32_t)i, VF_PY_ERROR, VF_PYERR_CRASH,
                     p->broken_msg);
}

static void gone(vf_pool *p, vf_worker *w, int failed_start);
static void unit_next(vf_pool *p, vf_worker *w, vf_job *j, vf_unit *u);
static void read_worker(vf_pool *p, vf_worker *w);

/* The pool cannot run Python any more: stop every worker (no batch may
 * outlive its job) and fail what is waiting. */
static void break_pool(vf_pool *p, const char *msg) {
  if (p->broken)
    return;
  p->broken = 1;
  snprintf(p->broken_msg, sizeof p->broken_msg, "python sandbox unavailable: %s",
           msg);
  if (!p->startup_done && !p->startup_err[0]) {
    snprintf(p->startup_err, sizeof p->startup_err, "%s", msg);
    pthread_cond_broadcast(&p->started);
  }
  for (int i = 0; i < p->nslots; i++) {
    vf_worker *w = &p->w[i];
    if (w->pidfd >= 0)
      vf_ipc_pidfd_kill(w->pidfd, SIGKILL);
    w->job = NULL;
    if (w->state != W_EMPTY)
      gone(p, w, 0);
  }
  fail_pending(p);
}

/* ---- units (VF_ISOLATION_ROW) ------------------------------------------- */

/* Does unit u have a check not yet sent (or sent back)? */
static int unit_pending(const vf_job *j, vf_unit *u) {
  uint32_t end = u->first + u->count;
  while (u->scan < end && j->state[u->scan] != C_PENDING)
    u->scan++;
  return u->scan < end;
}

/* Unit u has no process any more: it goes back on its job's stack when it
 * has checks left (they run in a fresh process). */
static void unit_release(vf_job *j, vf_unit *u) {
  u->owner = -1;
  u->scan = u->first;
  if (!u->queued && unit_pending(j, u)) {
    u->queued = 1;
    j->uretry[j->nuretry++] = (uint32_t)(u - j->units);
  }
}

/* A unit of j that needs a process, or NULL. */
static vf_unit *take_unit(vf_job *j) {
  while (j->nuretry > 0) {
    vf_unit *u = &j->units[j->uretry[--j->nuretry]];
    u->queued = 0;
    if (u->owner < 0 && unit_pending(j, u))
      return u;
  }
  while (j->next_unit < j->nunits) {
    vf_unit *u = &j->units[j->next_unit++];
    if (unit_pending(j, u))
      return u;
  }
  return NULL;
}

/* ---- results ------------------------------------------------------------- */

/* Copies result k of w's page into its check, trusting nothing. */
static void take_result(vf_pool *p, vf_worker *w, uint32_t k) {
  vf_shm_result r = w->shm->res[k];
  char msg[VF_ERRMSG];
  size_t len = r.msg_len < VF_ERRMSG ? r.msg_len : VF_ERRMSG - 1, bad;
  memcpy(msg, w->shm->msg[k], len);
  msg[len] = '\0';
  len = strlen(msg);
  if (!vf_utf8_valid(msg, len, &bad))
    msg[bad] = '\0';
  vf_py_verdict v = r.verdict == 1 ? VF_PY_TRUE
                    : r.verdict == 0 ? VF_PY_FALSE
                                     : VF_PY_ERROR;
  vf_pyerr_kind kind = r.kind <= VF_PYERR_LIMIT && r.kind != VF_PYERR_NONE
                           ? (vf_pyerr_kind)r.kind
                           : VF_PYERR_EXCEPTION;
  if (v == VF_PY_ERROR && r.verdict != -1)
    snprintf(msg, sizeof msg, "invalid result from the worker");
  vf_pool_finish(p, w->job, w->idx[k], v, kind, msg);
}

/* Settles w's batch after the worker went away for reason r. */
static void settle(vf_pool *p, vf_worker *w, reason r, const char *status) {
  vf_job *j = w->job;
  if (!j)
    return;
  uint32_t done = atomic_load_explicit(&w->shm->done, memory_order_acquire);
  int32_t cur = atomic_load_explicit(&w->shm->cur, memory_order_acquire);
  if (done > w->nidx)
    done = (uint32_t)w->nidx;
  for (uint32_t k = 0; k < done; k++)
    take_result(p, w, k);
  uint32_t culprit = cur >= 0 && (uint32_t)cur == done ? done : NO_CULPRIT;
  int blame_all = cur < 0 && (r == R_CRASH || r == R_TIMEOUT);
  char msg[VF_ERRMSG];
  for (uint32_t k = done; k < w->nidx; k++) {
    uint32_t i = w->idx[k];
    if (k == culprit && r == R_TIMEOUT) {
      snprintf(msg, sizeof msg, "timeout after %.1f s",
               (double)p->timeout_ns / 1e9);
      vf_pool_finish(p, j, i, VF_PY_ERROR, VF_PYERR_TIMEOUT, msg);
    } else if ((k == culprit && r == R_CRASH) || blame_all) {
      if (++j->deaths[i] < 2) {
        requeue(j, i);
        continue;
      }
      snprintf(msg, sizeof msg, "worker crashed: %s", status);
      vf_pool_finish(p, j, i, VF_PY_ERROR, VF_PYERR_CRASH, msg);
    } else {
      requeue(j, i);
    }
  }
  if (w->unit)
    unit_release(j, w->unit);
  w->job = NULL;
  w->unit = NULL;
  w->nidx = 0;
}

/* The slot is free again; a replacement is asked for from the loop. */
static void gone(vf_pool *p, vf_worker *w, int failed_start) {
  if (w->sock >= 0)
    close(w->sock);
  if (w->pidfd >= 0)
    close(w->pidfd);
  if (w->shm)
    munmap(w->shm, sizeof *w->shm);
  w->sock = w->pidfd = -1;
  w->shm = NULL;
  w->pid = 0;
  w->gen++;
  w->restart = !w->finished;
  w->unit = NULL;
  w->used = w->finished = 0;
  w->llm_wait = 0;
  vf_buf_reset(&w->out);
  vf_buf_reset(&w->in);
  w->out_off = 0;
  w->state = W_EMPTY;
  w->spawn_after = vf_ipc_now_ns() + (failed_start ? 100 * MS : 0);
  if (!failed_start)
    return;
  char msg[300];
  snprintf(msg, sizeof msg, "a worker could not start: %s",
           w->fail[0] ? w->fail : "it exited before it was ready");
  if (!p->startup_done || ++p->start_fails >= 5)
    break_pool(p, msg);
}

/* The channel broke: kill, keep the page, wait for the exit status. */
static void dying(vf_worker *w) {
  kill_worker(w);
  if (w->sock >= 0)
    close(w->sock);
  w->sock = -1;
  w->state = W_DYING;
  w->dying_since = vf_ipc_now_ns();
}

static void exited(vf_pool *p, vf_worker *w, const char *status) {
  int failed_start = w->state == W_STARTING ||
                     (w->state == W_DYING && w->seen_cur == INT32_MIN);
  if (failed_start && !w->fail[0] && w->shm) { /* its FAIL frame may be unread */
    memcpy(w->fail, w->shm->fail, sizeof w->fail);
    w->fail[sizeof w->fail - 1] = '\0';
  }
  settle(p, w, R_CRASH, status);
  gone(p, w, failed_start);
}

static void timed_out(vf_pool *p, vf_worker *w) {
  kill_worker(w);
  settle(p, w, R_TIMEOUT, "timeout");
  gone(p, w, 0);
}

/* ---- the zygote ---------------------------------------------------------- */

static void zygote_lost(vf_pool *p) {
  if (p->zfd >= 0)
    close(p->zfd);
  p->zfd = -1;
  if (p->zpid > 0) {
    kill(p->zpid, SIGKILL); /* still our unreaped child: no pid reuse */
    while (waitpid(p->zpid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  p->zpid = 0;
  p->zready = 0;
  for (int i = 0; i < p->nslots; i++) {
    vf_worker *w = &p->w[i];
    if (w->state == W_EMPTY)
      continue;
    kill_worker(w);
    if (w->shm)
      settle(p, w, R_LOST, "");
    gone(p, w, 0);
  }
  p->zrestart_after = vf_ipc_now_ns() + 200 * MS;
  if (p->zstarts >= 5 || !p->startup_done)
    break_pool(p, "the Python zygote exited");
}

static void on_spawned(vf_pool *p, const vf_zmsg *m, int *fds) {
  vf_worker *w = m->slot >= 0 && m->slot < p->nslots ? &p->w[m->slot] : NULL;
  vf_shm *shm = fds[1] >= 0 ? vf_ipc_map_shm(fds[1]) : NULL;
  if (fds[1] >= 0)
    close(fds[1]);
  if (!w || w->state != W_SPAWNING || !shm || fds[0] < 0 || fds[2] < 0) {
    if (fds[2] >= 0)
      vf_ipc_pidfd_kill(fds[2], SIGKILL);
    for (int i = 0; i < 3; i += 2)
      if (fds[i] >= 0)
        close(fds[i]);
    if (shm)
      munmap(shm, sizeof *shm);
    if (w && w->state == W_SPAWNING)
      gone(p, w, 1);
    return;
  }
  int big = 8 << 20;
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  if (setsockopt(fds[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big))
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  w->sock = fds[0];
  w->pidfd = fds[2];
  w->shm = shm;
  w->pid = m->pid;
  p->stats.costs.spawns++;
  p->stats.costs.fork_s += m->fork_us / 1e6;
  p->stats.costs.spawn_s += m->spawn_us / 1e6;
  w->fail[0] = '\0';
  w->seen_cur = INT32_MIN; /* marks "not ready yet" until READY */
  w->state = W_STARTING;
}

static void on_zmsg(vf_pool *p, const vf_zmsg *m, int *fds) {
  char st[100];
  vf_worker *w;
  switch (m->op) {
  case VF_Z_READY:
    p->zready = 1;
    break;
  case VF_Z_INIT_FAIL:
    break_pool(p, m->text);
    break;
  case VF_Z_SPAWNED:
    on_spawned(p, m, fds);
    return;
  case VF_Z_SPAWN_FAIL:
    if (m->slot >= 0 && m->slot < p->nslots &&
        p->w[m->slot].state == W_SPAWNING) {
      snprintf(p->w[m->slot].fail, sizeof p->w[m->slot].fail, "%s", m->text);
      gone(p, &p->w[m->slot], 1);
    }
    break;
  case VF_Z_EXITED:
    p->stats.costs.exited++;
    p->stats.costs.exited_s += m->fork_us / 1e6;
    w = by_pid(p, m->pid);
    if (w && w->sock >= 0) /* what it sent before it ended comes first */
      read_worker(p, w);
    w = by_pid(p, m->pid);
    vf_ipc_describe_status(m->status, st, sizeof st);
    if (w)
      exited(p, w, st);
    break;
  }
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

static void read_zygote(vf_pool *p) {
  for (;;) {
    vf_zmsg m;
    int fds[3];
    int r = vf_ipc_recv_zmsg(p->zfd, &m, fds, 3);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
      return;
    if (r <= 0) {
      zygote_lost(p);
      return;
    }
    on_zmsg(p, &m, fds);
    if (p->zfd < 0)
      return;
  }
}

static void maintain(vf_pool *p, uint64_t now) {
  if (p->broken)
    return;
  if (p->zfd < 0 && now >= p->zrestart_after) {
    if (vf_pool_start_zygote(p))
      break_pool(p, "cannot fork the zygote");
    return;
  }
  for (int i = 0; p->zready && i < p->nslots; i++) {
    vf_worker *w = &p->w[i];
    if (w->state != W_EMPTY || now < w->spawn_after)
      continue;
    vf_zmsg m = {VF_Z_SPAWN, i, 0, 0, 0, 0, {0}};
    if (vf_ipc_send_zmsg(p->zfd, &m, NULL, 0)) {
      zygote_lost(p);
      return;
    }
    w->state = W_SPAWNING;
    if (p->startup_done && w->restart)
      p->stats.restarts++;
  }
}

/* ---- worker frames ------------------------------------------------------- */

static void flush_out(vf_worker *w) {
  while (w->sock >= 0 && w->out_off < w->out.len) {
    ssize_t k = send(w->sock, w->out.data + w->out_off,
                     w->out.len - w->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && errno == EAGAIN)
      return;
    if (k <= 0) {
      dying(w);
      return;
    }
    w->out_off += (size_t)k;
  }
  if (w->out_off == w->out.len) {
    vf_buf_reset(&w->out);
    w->out_off = 0;
  }
}

static void reply_llm(vf_worker *w, int32_t status, const char *text) {
  size_t n = strlen(text);
  char *buf = malloc(sizeof status + n);
  if (!buf) {
    dying(w);
    return;
  }
  memcpy(buf, &status, sizeof status);
  memcpy(buf + sizeof status, text, n);
  if (vf_ipc_put_frame(&w->out, VF_FR_LLM_REPLY, buf, sizeof status + n))
    dying(w);
  free(buf);
}

static void on_llm_req(vf_pool *p, vf_worker *w, const char *b, size_t n) {
  const char *nul = memchr(b, '\0', n);
  if (!nul || w->state != W_BUSY || w->llm_wait || !w->job) {
    dying(w);
    return;
  }
  if (!p->opts.llm) {
    reply_llm(w, -1, "no judge configured");
    return;
  }
  vf_llm_req *r = calloc(1, sizeof *r);
  char *fn = strdup(b), *args = strndup(nul + 1, n - (size_t)(nul + 1 - b));
  if (!r || !fn || !args) {
    free(r);
    free(fn);
    free(args);
    reply_llm(w, -1, "out of memory");
    return;
  }
  *r = (vf_llm_req){NULL, (int)(w - p->w), w->gen, fn, args, 0, NULL};
  if (w->job->llm_tail)
    w->job->llm_tail->next = r;
  else
    w->job->llm_head = r;
  w->job->llm_tail = r;
  w->llm_wait = 1;
  w->llm_since = vf_ipc_now_ns();
  pthread_cond_signal(&w->job->cond);
}

static void on_done(vf_pool *p, vf_worker *w, const char *b, size_t n) {
  vf_fr_done d;
  if (n != sizeof d || w->state != W_BUSY) {
    dying(w);
    return;
  }
  memcpy(&d, b, sizeof d);
  uint32_t done = atomic_load_explicit(&w->shm->done, memory_order_acquire);
  int32_t cur = atomic_load_explicit(&w->shm->cur, memory_order_acquire);
  /* A check can write to the channel too: a DONE sent while a check runs
   * (cur == done) is forged, and would otherwise requeue that check forever */
  if (d.seq != w->seq || d.done != done || done > w->nidx ||
      (cur >= 0 && (uint32_t)cur == done) || (!d.retire && done != w->nidx)) {
    dying(w);
    return;
  }
  if (d.tainted) {
    p->stats.tainted++;
    d.why[sizeof d.why - 1] = '\0';
    snprintf(p->stats.last_taint, sizeof p->stats.last_taint, "%s", d.why);
  }
  if (d.retire) {
    kill_worker(w);
    settle(p, w, R_RETIRE, "");
    gone(p, w, 0);
    return;
  }
  vf_job *j = w->job;
  vf_unit *u = w->unit;
  settle(p, w, R_RETIRE, ""); /* every result is there */
  w->state = W_IDLE;
  if (p->row)
    unit_next(p, w, j, u);
}

static void on_ready(vf_pool *p, vf_worker *w) {
  if (w->state != W_STARTING) {
    dying(w);
    return;
  }
  w->state = W_IDLE;
  w->seen_cur = -1;
  p->start_fails = 0;
  if (!p->startup_done && live_workers(p) == p->nslots) {
    p->startup_done = 1;
    pthread_cond_broadcast(&p->started);
  }
}

static void on_frame(vf_pool *p, vf_worker *w, uint32_t type, const char *b,
                     size_t n) {
  switch (type) {
  case VF_FR_READY:
    on_ready(p, w);
    break;
  case VF_FR_DONE:
    on_done(p, w, b, n);
    break;
  case VF_FR_LLM_REQ:
    on_llm_req(p, w, b, n);
    break;
  case VF_FR_FAIL:
    snprintf(w->fail, sizeof w->fail, "%.*s", (int)n, b);
    break;
  default:
    dying(w);
  }
}

static void parse_frames(vf_pool *p, vf_worker *w) {
  size_t off = 0;
  while (w->sock >= 0 && w->in.len - off >= sizeof(vf_frame_hdr)) {
    vf_frame_hdr h;
    memcpy(&h, w->in.data + off, sizeof h);
    if (h.len > VF_FRAME_UP_MAX) {
      dying(w);
      return;
    }
    if (w->in.len - off - sizeof h < h.len)
      break;
    on_frame(p, w, h.type, w->in.data + off + sizeof h, h.len);
    off += sizeof h + h.len;
  }
  if (w->sock < 0 || off == 0)
    return;
  memmove(w->in.data, w->in.data + off, w->in.len - off);
  w->in.len -= off;
}

static void read_worker(vf_pool *p, vf_worker *w) {
  for (;;) {
    if (vf_buf_reserve(&w->in, 65536)) {
      dying(w);
      return;
    }
    ssize_t k = read(w->sock, w->in.data + w->in.len, 65536);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && errno == EAGAIN)
      break;
    if (k <= 0) {
      parse_frames(p, w);
      if (w->sock >= 0)
        dying(w);
      return;
    }
    w->in.len += (size_t)k;
  }
  parse_frames(p, w);
}

static void deliver_replies(vf_pool *p) {
  while (p->replies) {
    vf_llm_req *r = p->replies;
    p->replies = r->next;
    vf_worker *w = &p->w[r->slot];
    if (w->gen == r->gen && w->state == W_BUSY && w->llm_wait) {
      reply_llm(w, r->status, r->reply ? r->reply : "null");
      w->paused_ns += vf_ipc_now_ns() - w->llm_since;
      w->llm_wait = 0;
    }
    free(r->fn);
    free(r->args);
    free(r->reply);
    free(r);
  }
}

/* ---- scheduling ---------------------------------------------------------- */

static int has_work(vf_job *j) {
  while (j->next_idx < j->n && j->state[j->next_idx] == C_FINAL)
    j->next_idx++;
  return j->nretry > 0 || j->next_idx < j->n;
}

/* Round robin over the jobs that have checks to send. */
static vf_job *next_job(vf_pool *p) {
  vf_job *first = p->rr && p->rr->next ? p->rr->next : p->jobs;
  for (vf_job *j = first; j; j = j->next)
    if (has_work(j))
      return p->rr = j;
  for (vf_job *j = p->jobs; j && j != first; j = j->next)
    if (has_work(j))
      return p->rr = j;
  return NULL;
}

/* Takes up to want checks of j (retries first) into idx. */
static size_t pick(vf_job *j, uint32_t *idx, size_t want) {
  size_t k = 0;
  while (k < want && j->nretry > 0)
    idx[k++] = j->retry[--j->nretry];
  while (k < want && has_work(j) && j->next_idx < j->n)
    idx[k++] = (uint32_t)j->next_idx++;
  return k;
}

/* Sends checks w->idx[0..k) of j to idle worker w as one batch (marked
 * the unit's last when last and they all fit); returns how many fitted (0:
 * out of memory; the caller takes them back). */
static size_t send_batch(vf_pool *p, vf_worker *w, vf_job *j, size_t k,
                         int last) {
  uint32_t seq = ++p->seq;
  size_t at = w->out.len;
  size_t m = vf_batch_encode(p->enc, seq, j->checks, w->idx, k, &w->out);
  if (m == 0)
    return 0;
  if (last && m == k) {
    vf_batch_hdr h;
    char *hp = w->out.data + at + sizeof(vf_frame_hdr);
    memcpy(&h, hp, sizeof h);
    h.flags |= VF_BATCH_LAST;
    memcpy(hp, &h, sizeof h);
  }
  for (size_t i = 0; i < m; i++)
    j->state[w->idx[i]] = C_SENT;
  atomic_store_explicit(&w->shm->done, 0, memory_order_relaxed);
  atomic_store_explicit(&w->shm->cur, -1, memory_order_release);
  w->job = j;
  w->nidx = m;
  w->seq = seq;
  w->sent_ns = w->cur_start = vf_ipc_now_ns();
  w->seen_cur = -1;
  w->seen_done = 0;
  w->paused_ns = 0;
  w->state = W_BUSY;
  flush_out(w);
  return m;
}

/* VF_ISOLATION_SHARED: a share of the job's checks, whoever's they are. */
static void assign(vf_pool *p, vf_worker *w, vf_job *j) {
  size_t pending = j->nretry + (j->n - j->next_idx);
  size_t want = (pending + (size_t)p->nworkers - 1) / (size_t)p->nworkers;
  want = want < 1 ? 1 : want > VF_BATCH_MAX ? VF_BATCH_MAX : want;
  size_t k = pick(j, w->idx, want);
  size_t m = send_batch(p, w, j, k, 0);
  for (size_t i = m; i < k; i++)
    requeue(j, w->idx[i]);
}

/* VF_ISOLATION_ROW: the next batch of unit u goes to w, its owner from now
 * on; 0 when it could not be sent (the unit goes back on the stack). */
static int assign_unit(vf_pool *p, vf_worker *w, vf_job *j, vf_unit *u) {
  size_t k = 0;
  uint32_t i = u->scan, end = u->first + u->count;
  for (; i < end && k < VF_BATCH_MAX; i++)
    if (j->state[i] == C_PENDING)
      w->idx[k++] = i;
  while (i < end && j->state[i] != C_PENDING)
    i++;
  u->owner = (int)(w - p->w);
  w->unit = u;
  if (send_batch(p, w, j, k, i == end) == 0) {
    w->unit = NULL;
    unit_release(j, u);
    return 0;
  }
  if (!w->used)
    p->stats.units++;
  w->used = 1;
  return 1;
}

/* Adds what a process that finished its unit says it cost (diagnostics:
 * sums only, so a lying process skews nothing but its own figures). */
static void add_costs(vf_pool *p, const vf_shm_cost *c) {
  vf_pool_costs *s = &p->stats.costs;
  s->units++;
  s->afterfork_s += (double)c->afterfork_ns / 1e9;
  s->sandbox_s += (double)c->sandbox_ns / 1e9;
  s->setup_s += (double)c->setup_ns / 1e9;
  s->setup_faults += c->setup_faults;
  s->compile_s += (double)c->compile_ns / 1e9;
  s->compiles += c->compiles;
  s->first_check_s += (double)c->first_ns / 1e9;
  s->other_checks_s += (double)c->rest_ns / 1e9;
  s->other_checks += c->rest;
  s->check_faults += c->check_faults;
  s->done_s += (double)c->done_ns / 1e9;
}

/* After a batch of unit u: its next batch, or the end of the process. */
static void unit_next(vf_pool *p, vf_worker *w, vf_job *j, vf_unit *u) {
  if (u && u->owner < 0 && unit_pending(j, u) && assign_unit(p, w, j, u))
    return;
  w->finished = u && !unit_pending(j, u);
  if (w->finished) {
    vf_shm_cost c = w->shm->cost;
    add_costs(p, &c);
  }
  kill_worker(w);
  gone(p, w, 0);
}

/* A unit (and its job) that needs a process, round robin over the jobs. */
static vf_job *next_unit(vf_pool *p, vf_unit **u) {
  vf_job *first = p->rr && p->rr->next ? p->rr->next : p->jobs;
  for (int pass = 0; pass < 2; pass++)
    for (vf_job *j = pass ? p->jobs : first; j && (!pass || j != first);
         j = j->next)
      if ((*u = take_unit(j)) != NULL)
        return p->rr = j;
  return NULL;
}

static void assign_rows(vf_pool *p) {
  int busy = 0;
  for (int i = 0; i < p->nslots; i++)
    busy += p->w[i].state == W_BUSY;
  for (int i = 0; i < p->nslots && busy < p->nworkers; i++) {
    vf_worker *w = &p->w[i];
    vf_unit *u = NULL;
    vf_job *j = w->state == W_IDLE && !w->used ? next_unit(p, &u) : NULL;
    if (!j)
      continue;
    busy += assign_unit(p, w, j, u);
  }
}

static void assign_all(vf_pool *p) {
  if (p->row) {
    assign_rows(p);
    return;
  }
  for (int i = 0; i < p->nslots; i++) {
    vf_worker *w = &p->w[i];
    vf_job *j = w->state == W_IDLE ? next_job(p) : NULL;
    if (j)
      assign(p, w, j);
  }
}

/* ---- the clock ----------------------------------------------------------- */

/* The deadline of w's running check (0: none to enforce now). */
static uint64_t deadline(vf_pool *p, vf_worker *w, uint64_t now) {
  int32_t cur = atomic_load_explicit(&w->shm->cur, memory_order_acquire);
  uint32_t done = atomic_load_explicit(&w->shm->done, memory_order_acquire);
  if (cur != w->seen_cur) {
    uint64_t t = atomic_load_explicit(&w->shm->cur_start_ns,
                                      memory_order_relaxed);
    w->seen_cur = cur;
    w->cur_start = t < w->sent_ns ? w->sent_ns : t > now ? now : t;
    w->paused_ns = 0;
  }
  if (w->llm_wait)
    return 0;
  if (done != w->seen_done) {
    w->seen_done = done;
    w->done_seen = now;
  }
  if (cur < 0)
    return w->sent_ns + SETUP_NS + p->timeout_ns;
  /* Between checks, or after the last one: only the worker's own code runs
   * (or a check's leftover bytes hold a frame half written), bounded like
   * a check from when the parent saw the last result. */
  if ((uint32_t)cur < done)
    return w->done_seen +
           (p->timeout_ns > BETWEEN_MIN_NS ? p->timeout_ns : BETWEEN_MIN_NS);
  return w->cur_start + p->timeout_ns + w->paused_ns;
}

/* How often a busy worker's page is looked at: a check that starts is only
 * seen then (the worker sends nothing), so this bounds how late a timeout
 * can be noticed; the deadline itself uses the start time on the page. */
static uint64_t tick(const vf_pool *p) {
  uint64_t t = p->timeout_ns / 8;
  return t < 5 * MS ? 5 * MS : t > 250 * MS ? 250 * MS : t;
}

/* Enforces deadlines; returns the next time the loop must wake (0: none). */
static uint64_t watch(vf_pool *p, uint64_t now) {
  uint64_t next = 0;
  for (int i = 0; i < p->nslots; i++) {
    vf_worker *w = &p->w[i];
    uint64_t dl = 0;
    if (w->state == W_BUSY) {
      dl = deadline(p, w, now);
      if (now < dl && dl > now + tick(p))
        dl = now + tick(p);
      else if (!dl) /* waiting for an llm answer */
        dl = now + tick(p);
    }
    else if (w->state == W_DYING)
      dl = w->dying_since + DYING_NS;
    else if (w->state == W_EMPTY && w->spawn_after > now)
      dl = w->spawn_after;
    if (dl && now >= dl && w->state == W_BUSY)
      timed_out(p, w); /* deadline() said so: dl is never the tick here */
    else if (dl && now >= dl && w->state == W_DYING)
      exited(p, w, "exit status unknown");
    else if (dl && (!next || dl < next))
      next = dl;
  }
  if (p->zfd < 0 && !p->broken && (!next || p->zrestart_after < next))
    next = p->zrestart_after;
  return next;
}

/* ---- the loop ------------------------------------------------------------ */

static size_t build_pollfds(vf_pool *p, struct pollfd *fds, int *who) {
  size_t n = 0;
  fds[n] = (struct pollfd){p->wake[0], POLLIN, 0};
  who[n++] = -1;
  if (p->zfd >= 0) {
    fds[n] = (struct pollfd){p->zfd, POLLIN, 0};
    who[n++] = -2;
  }
  for (int i = 0; i < p->nslots; i++) {
    vf_worker *w = &p->w[i];
    if (w->sock < 0 || w->state < W_STARTING || w->state == W_DYING)
      continue;
    short ev = POLLIN | (w->out_off < w->out.len ? POLLOUT : 0);
    fds[n] = (struct pollfd){w->sock, ev, 0};
    who[n++] = i;
  }
  return n;
}

static void handle(vf_pool *p, const struct pollfd *fds, const int *who,
                   size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!fds[i].revents)
      continue;
    if (who[i] == -1) {
      char buf[256];
      while (read(p->wake[0], buf, sizeof buf) > 0)
        ;
    } else if (who[i] == -2) {
      if (p->zfd >= 0)
        read_zygote(p);
    } else {
      vf_worker *w = &p->w[who[i]];
      if (w->sock == fds[i].fd && (fds[i].revents & POLLOUT))
        flush_out(w);
      if (w->sock == fds[i].fd &&
          (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        read_worker(p, w);
    }
  }
}

static int poll_timeout(uint64_t next, uint64_t now) {
  if (!next)
    return -1;
  uint64_t ms = next > now ? (next - now + MS - 1) / MS : 0;
  return ms > 60000 ? 60000 : (int)ms;
}

void *vf_pool_loop(void *pool) {
  vf_pool *p = pool;
  size_t cap = (size_t)p->nslots + 2;
  struct pollfd *fds = malloc(cap * sizeof *fds);
  int *who = malloc(cap * sizeof *who);
  pthread_mutex_lock(&p->mu);
  if (!fds || !who)
    break_pool(p, "out of memory");
  while (!p->stop && fds && who) {
    uint64_t now = vf_ipc_now_ns();
    deliver_replies(p);
    maintain(p, now);
    assign_all(p);
    if (p->broken)
      fail_pending(p);
    uint64_t next = watch(p, now);
    size_t n = build_pollfds(p, fds, who);
    pthread_mutex_unlock(&p->mu);
    poll(fds, n, poll_timeout(next, now));
    pthread_mutex_lock(&p->mu);
    handle(p, fds, who, n);
  }
  pthread_mutex_unlock(&p->mu);
  free(fds);
  free(who);
  return NULL;
}
