/*
 * queue.c: the scoring queue between the HTTP threads and the scorer
 * (vf_engine_score in `verif serve`).  A request's items become a job cut
 * into chunks of at most `batch` items; a fixed pool of scorer threads
 * takes chunks in arrival order, gathering several small ones (say, single
 * items of concurrent requests) into one scorer call of up to `batch`
 * items, so that the engine works on batches whatever the clients send.
 * Admission is bounded by the items in flight (past it the caller answers
 * 503), and a request waits only until its deadline: its chunks not yet
 * started are then skipped, and those running finish into a job that
 * nobody reads and the last one frees.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server.h"

enum { CH_QUEUED, CH_RUNNING, CH_DONE, CH_SKIPPED };

typedef struct job job;

typedef struct chunk {
  struct chunk *next;
  job *job;
  size_t start, n;
  int state;
} chunk;

struct job {
  size_t n, done; /* done: items of finished or skipped chunks */
  int refs;       /* the waiting request + one per unfinished chunk */
  int abandoned;  /* the request stopped waiting */
  char **items, **where, **out;
  size_t *lens;
  chunk *chunks;
  size_t nchunks;
  pthread_cond_t cv; /* done == n */
};

struct vf_queue {
  pthread_mutex_t mu;
  pthread_cond_t cv;      /* work arrived, or stop */
  pthread_cond_t idle_cv; /* a scorer became idle or exited */
  pthread_condattr_t mono;
  chunk *head, *tail;
  size_t queued, inflight, max_inflight, chunk;
  int stop, busy, nth;
  pthread_t *th;
  struct scorer_arg *args; /* one per thread: its call's arrays */
  vf_score_fn score;
  void *ud;
};

double vf_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec abs_time(double t) {
  struct timespec ts;
  if (t > 1e12)
    t = 1e12;
  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  return ts;
}

static void free_strings(char **v, size_t n) {
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static void job_unref(job *j) {
  if (--j->refs > 0)
    return;
  free_strings(j->items, j->n);
  free_strings(j->where, j->n);
  free_strings(j->out, j->n);
  free(j->lens);
  free(j->chunks);
  pthread_cond_destroy(&j->cv);
  free(j);
}

/* Cuts the batch into chunks and takes its arrays.  NULL when out of
 * memory (the batch is then untouched). */
static job *job_new(vf_queue *q, vf_batch *b) {
  job *j = calloc(1, sizeof *j);
  size_t nch = (b->n + q->chunk - 1) / q->chunk;
  if (!j)
    return NULL;
  j->chunks = calloc(nch, sizeof *j->chunks);
  j->out = calloc(b->n, sizeof *j->out);
  if (!j->chunks || !j->out || pthread_cond_init(&j->cv, &q->mono)) {
    free(j->chunks);
    free(j->out);
    free(j);
    return NULL;
  }
  for (size_t c = 0; c < nch; c++) {
    j->chunks[c].job = j;
    j->chunks[c].start = c * q->chunk;
    j->chunks[c].n = c + 1 < nch ? q->chunk : b->n - c * q->chunk;
  }
  j->n = b->n;
  j->nchunks = nch;
  j->refs = 1 + (int)nch;
  j->items = b->items, j->lens = b->lens, j->where = b->where;
  b->items = NULL, b->lens = NULL, b->where = NULL, b->cap = 0;
  return j;
}

/* A scorer's gathered chunks and the arrays of one scorer call. */
typedef struct gather {
  chunk **c;
  size_t nc;
  const char **items, **where;
  size_t *lens;
  char **out;
} gather;

static int gather_init(gather *g, size_t batch) {
  memset(g, 0, sizeof *g);
  g->c = calloc(batch, sizeof *g->c);
  g->items = calloc(batch, sizeof *g->items);
  g->where = calloc(batch, sizeof *g->where);
  g->lens = calloc(batch, sizeof *g->lens);
  g->out = calloc(batch, sizeof *g->out);
  return g->c && g->items && g->where && g->lens && g->out ? 0 : -1;
}

static void gather_free(gather *g) {
  free(g->c);
  free(g->items);
  free(g->where);
  free(g->lens);
  free(g->out);
}

/* Lays the gathered chunks' items side by side; returns how many. */
static size_t gather_items(gather *g) {
  size_t n = 0;
  for (size_t k = 0; k < g->nc; k++) {
    const chunk *c = g->c[k];
    for (size_t i = c->start; i < c->start + c->n; i++, n++) {
      g->items[n] = c->job->items[i];
      g->lens[n] = c->job->lens[i];
      g->where[n] = c->job->where[i];
      g->out[n] = NULL;
    }
  }
  return n;
}

/* Calls the scorer once for the gathered chunks, outside the lock; every
 * item ends with a record in its job. */
static void run_gathered(vf_queue *q, gather *g) {
  vf_error err = {0};
  char msg[600];
  size_t n = gather_items(g);
  vf_status st = q->score(q->ud, g->items, g->lens, g->where, n, g->out, &err);
  snprintf(msg, sizeof msg, "scoring failed: %s",
           err.msg[0] ? err.msg : vf_strerror(st ? st : VF_EINTERNAL));
  n = 0;
  for (size_t k = 0; k < g->nc; k++) {
    const chunk *c = g->c[k];
    for (size_t i = c->start; i < c->start + c->n; i++, n++)
      c->job->out[i] = g->out[n] ? g->out[n] : vf_rec_error(NULL, msg);
  }
}

/* Under the lock: a chunk ran (or was skipped). */
static void finish(vf_queue *q, chunk *c, int state) {
  job *j = c->job;
  c->state = state;
  q->inflight -= c->n;
  j->done += c->n;
  if (j->done == j->n)
    pthread_cond_signal(&j->cv);
  job_unref(j);
  if (q->stop)
    pthread_cond_broadcast(&q->idle_cv);
}

static chunk *pop(vf_queue *q) {
  chunk *c = q->head;
  q->head = c->next;
  if (!q->head)
    q->tail = NULL;
  q->queued--;
  return c;
}

/* Under the lock: takes queued chunks, in order, while they fit in one
 * call of q->chunk items; chunks of abandoned jobs are skipped. */
static void take(vf_queue *q, gather *g) {
  size_t items = 0;
  g->nc = 0;
  while (q->head && items + q->head->n <= q->chunk) {
    chunk *c = pop(q);
    if (c->job->abandoned) {
      finish(q, c, CH_SKIPPED);
      continue;
    }
    c->state = CH_RUNNING;
    g->c[g->nc++] = c;
    items += c->n;
  }
}

typedef struct scorer_arg {
  vf_queue *q;
  gather g;
} scorer_arg;

static void *scorer(void *arg) {
  vf_queue *q = ((scorer_arg *)arg)->q;
  gather *g = &((scorer_arg *)arg)->g;
  pthread_setname_np(pthread_self(), "verif-scorer");
  pthread_mutex_lock(&q->mu);
  for (;;) {
    while (!q->head && !q->stop)
      pthread_cond_wait(&q->cv, &q->mu);
    if (!q->head)
      break;
    take(q, g);
    if (!g->nc)
      continue;
    q->busy++;
    pthread_mutex_unlock(&q->mu);
    run_gathered(q, g);
    pthread_mutex_lock(&q->mu);
    q->busy--;
    for (size_t k = 0; k < g->nc; k++)
      finish(q, g->c[k], CH_DONE);
  }
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

vf_queue *vf_queue_new(int scorers, size_t batch, size_t max_inflight,
                       vf_score_fn score, void *ud) {
  vf_queue *q = calloc(1, sizeof *q);
  if (!q)
    return NULL;
  q->chunk = batch ? batch : 1;
  q->th = calloc((size_t)scorers, sizeof *q->th);
  q->args = calloc((size_t)scorers, sizeof *q->args);
  pthread_condattr_init(&q->mono);
  pthread_condattr_setclock(&q->mono, CLOCK_MONOTONIC);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->cv, NULL);
  pthread_cond_init(&q->idle_cv, &q->mono);
  q->max_inflight = max_inflight;
  q->score = score;
  q->ud = ud;
  for (int i = 0; q->th && q->args && i < scorers; i++) {
    scorer_arg *a = &q->args[q->nth];
    a->q = q;
    if (gather_init(&a->g, q->chunk) ||
        pthread_create(&q->th[q->nth], NULL, scorer, a)) {
      gather_free(&a->g);
      continue;
    }
    q->nth++;
  }
  if (q->nth == 0) {
    vf_queue_free(q, 0);
    return NULL;
  }
  return q;
}

/* Under the lock: reserves room for n items. */
static vf_qstatus admit(vf_queue *q, size_t n) {
  if (q->stop)
    return VF_Q_STOPPING;
  if (n > q->max_inflight)
    return VF_Q_TOO_MANY;
  if (q->inflight + n > q->max_inflight)
    return VF_Q_BUSY;
  q->inflight += n;
  return VF_Q_OK;
}

static void enqueue(vf_queue *q, job *j) {
  for (size_t c = 0; c < j->nchunks; c++) {
    chunk *ch = &j->chunks[c];
    if (q->tail)
      q->tail->next = ch;
    else
      q->head = ch;
    q->tail = ch;
    q->queued++;
  }
  if (j->nchunks == 1)
    pthread_cond_signal(&q->cv);
  else
    pthread_cond_broadcast(&q->cv);
}

/* Under the lock: hands the finished chunks' records to the batch. */
static void collect(job *j, vf_batch *b) {
  for (size_t c = 0; c < j->nchunks; c++) {
    chunk *ch = &j->chunks[c];
    if (ch->state != CH_DONE)
      continue;
    for (size_t i = ch->start; i < ch->start + ch->n; i++) {
      b->out[i] = j->out[i];
      j->out[i] = NULL;
    }
  }
}

vf_qstatus vf_queue_run(vf_queue *q, vf_batch *b, double deadline) {
  if (!b->out)
    b->out = calloc(b->n ? b->n : 1, sizeof *b->out);
  if (!b->out)
    return VF_Q_NOMEM;
  if (b->n == 0)
    return VF_Q_OK;
  pthread_mutex_lock(&q->mu);
  vf_qstatus st = admit(q, b->n);
  pthread_mutex_unlock(&q->mu);
  if (st != VF_Q_OK)
    return st;
  job *j = job_new(q, b);
  pthread_mutex_lock(&q->mu);
  if (!j) {
    q->inflight -= b->n;
    pthread_mutex_unlock(&q->mu);
    return VF_Q_NOMEM;
  }
  enqueue(q, j);
  struct timespec ts = abs_time(deadline);
  while (j->done < j->n)
    if (pthread_cond_timedwait(&j->cv, &q->mu, &ts) == ETIMEDOUT)
      break;
  if (j->done < j->n)
    j->abandoned = b->timed_out = 1;
  collect(j, b);
  job_unref(j);
  pthread_mutex_unlock(&q->mu);
  return VF_Q_OK;
}

void vf_queue_load(vf_queue *q, size_t *inflight, size_t *queued) {
  pthread_mutex_lock(&q->mu);
  *inflight = q->inflight;
  *queued = q->queued;
  pthread_mutex_unlock(&q->mu);
}

/* Under the lock: waits until no chunk is queued or running, or until the
 * deadline.  0 when idle. */
static int wait_idle(vf_queue *q, double deadline) {
  struct timespec ts = abs_time(deadline);
  while (q->head || q->busy)
    if (pthread_cond_timedwait(&q->idle_cv, &q->mu, &ts) == ETIMEDOUT)
      return q->head || q->busy ? -1 : 0;
  return 0;
}

int vf_queue_free(vf_queue *q, double grace_s) {
  if (!q)
    return 0;
  pthread_mutex_lock(&q->mu);
  q->stop = 1;
  pthread_cond_broadcast(&q->cv);
  int busy = wait_idle(q, vf_now() + grace_s);
  pthread_mutex_unlock(&q->mu);
  if (busy)
    return -1; /* a scorer is stuck in the engine: leave it all be */
  for (int i = 0; i < q->nth; i++) {
    pthread_join(q->th[i], NULL);
    gather_free(&q->args[i].g);
  }
  free(q->th);
  free(q->args);
  pthread_cond_destroy(&q->cv);
  pthread_cond_destroy(&q->idle_cv);
  pthread_condattr_destroy(&q->mono);
  pthread_mutex_destroy(&q->mu);
  free(q);
  return 0;
}
