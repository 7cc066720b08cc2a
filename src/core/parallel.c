/*
 * parallel.c: vf_parallel() and its split form (see parallel.h), used by
 * the IFEval evaluation and the reward engine for their CPU-bound native
 * work.
 */
#include "core/parallel.h"

#include <unistd.h>

static void *worker(void *p_) {
  vf_par *p = p_;
  for (size_t i = atomic_fetch_add(&p->next, 1); i < p->n;
       i = atomic_fetch_add(&p->next, 1))
    p->fn(p->arg, i);
  return NULL;
}

void vf_parallel_start(vf_par *p, int jobs, size_t n,
                       void (*fn)(void *arg, size_t i), void *arg) {
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  atomic_init(&p->next, 0);
  p->started = 0;
  for (int t = 1; t < jobs && t < VF_PAR_MAX_THREADS && (size_t)t < n; t++)
    if (pthread_create(&p->th[p->started], NULL, worker, p) == 0)
      p->started++;
}

void vf_parallel_finish(vf_par *p) {
  worker(p); /* if no thread could start, the caller does it all */
  for (int t = 0; t < p->started; t++)
    pthread_join(p->th[t], NULL);
  p->started = 0;
}

void vf_parallel(int jobs, size_t n, void (*fn)(void *arg, size_t i),
                 void *arg) {
  vf_par p;
  vf_parallel_start(&p, jobs, n, fn, arg);
  vf_parallel_finish(&p);
}

int vf_ncores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}
