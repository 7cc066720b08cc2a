/*
 * parallel.c: vf_parallel() (see parallel.h), used by the IFEval evaluation
 * and the reward engine for their CPU-bound native work.
 */
#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct par {
  void (*fn)(void *arg, size_t i);
  void *arg;
  size_t n;
  atomic_size_t next;
} par;

static void *worker(void *p_) {
  par *p = p_;
  for (size_t i = atomic_fetch_add(&p->next, 1); i < p->n;
       i = atomic_fetch_add(&p->next, 1))
    p->fn(p->arg, i);
  return NULL;
}

enum { MAX_THREADS = 256 };

void vf_parallel(int jobs, size_t n, void (*fn)(void *arg, size_t i),
                 void *arg) {
  par p = {fn, arg, n, 0};
  pthread_t th[MAX_THREADS];
  int started = 0;
  for (int t = 1; t < jobs && t < MAX_THREADS && (size_t)t < n; t++)
    if (pthread_create(&th[started], NULL, worker, &p) == 0)
      started++;
  worker(&p); /* if no thread could start, the caller does it all */
  for (int t = 0; t < started; t++)
    pthread_join(th[t], NULL);
}

int vf_ncores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}
