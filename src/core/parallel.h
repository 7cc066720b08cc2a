/*
 * parallel.h: the one "parallel for" of the library: runs fn(arg, i) for
 * every i in [0, n) on up to `jobs` threads (the caller's thread included),
 * handing out indices one at a time so uneven items balance themselves.
 * A split form lets the caller do other work (I/O) between starting the
 * helpers and taking its own share.
 */
#ifndef VF_PARALLEL_H
#define VF_PARALLEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* Returns when every call has returned.  jobs < 1 counts as 1. */
void vf_parallel(int jobs, size_t n, void (*fn)(void *arg, size_t i),
                 void *arg);

enum { VF_PAR_MAX_THREADS = 256 };

/* One started loop; caller-owned, opaque apart from its size. */
typedef struct vf_par {
  void (*fn)(void *arg, size_t i);
  void *arg;
  size_t n;
  atomic_size_t next;
  pthread_t th[VF_PAR_MAX_THREADS];
  int started;
} vf_par;

/* Starts the loop on jobs - 1 helper threads and returns at once (with
 * jobs <= 1, or when no thread starts, nothing runs until the finish). */
void vf_parallel_start(vf_par *p, int jobs, size_t n,
                       void (*fn)(void *arg, size_t i), void *arg);

/* The caller's thread takes indices until none is left, then waits for the
 * helpers: on return every call has returned. */
void vf_parallel_finish(vf_par *p);

/* The number of online cores (at least 1). */
int vf_ncores(void);

#endif
