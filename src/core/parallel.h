/*
 * parallel.h: the one "parallel for" of the library: runs fn(arg, i) for
 * every i in [0, n) on up to `jobs` threads (the caller's thread included),
 * handing out indices one at a time so uneven items balance themselves.
 */
#ifndef VF_PARALLEL_H
#define VF_PARALLEL_H

#include <stddef.h>

/* Returns when every call has returned.  jobs < 1 counts as 1. */
void vf_parallel(int jobs, size_t n, void (*fn)(void *arg, size_t i),
                 void *arg);

/* The number of online cores (at least 1). */
int vf_ncores(void);

#endif
