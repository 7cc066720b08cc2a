/*
 * memcap.c: a byte budget on CPython's raw allocator, for sanitizer builds
 * only, where RLIMIT_AS cannot do its job.  Normal builds never install it.
 * Called by worker.c before the sandbox.
 */
#include "pyexec/pyside.h"

#include <malloc.h>
#include <stdlib.h>

/* ASan reserves terabytes of address space up front and serves most
 * mallocs from it, so only large blocks need new mappings that RLIMIT_AS
 * sees (sandbox.c sets it relative to that reserve).  This wrapper counts
 * what Python's raw domain holds (every block over 512 bytes; pymalloc's
 * own arenas are mmaps and stay under RLIMIT_AS) and refuses to go past
 * the budget, so a memory bomb still ends in MemoryError. */

typedef struct memcap {
  PyMemAllocatorEx raw; /* the allocator being wrapped */
  long long used, limit;
} memcap;

static int fits(memcap *m, size_t n) {
  return n <= (size_t)(m->limit - (m->used > 0 ? m->used : 0));
}

static void *cap_malloc(void *ctx, size_t n) {
  memcap *m = ctx;
  void *p = fits(m, n) ? m->raw.malloc(m->raw.ctx, n) : NULL;
  if (p)
    m->used += (long long)malloc_usable_size(p);
  return p;
}

static void *cap_calloc(void *ctx, size_t k, size_t n) {
  memcap *m = ctx;
  void *p = n && k > SIZE_MAX / n ? NULL
            : fits(m, k * n)      ? m->raw.calloc(m->raw.ctx, k, n)
                                  : NULL;
  if (p)
    m->used += (long long)malloc_usable_size(p);
  return p;
}

static void *cap_realloc(void *ctx, void *old, size_t n) {
  memcap *m = ctx;
  long long had = old ? (long long)malloc_usable_size(old) : 0;
  if (n > (size_t)had && !fits(m, n - (size_t)had))
    return NULL;
  void *p = m->raw.realloc(m->raw.ctx, old, n);
  if (p)
    m->used += (long long)malloc_usable_size(p) - had;
  return p;
}

static void cap_free(void *ctx, void *p) {
  memcap *m = ctx;
  if (p)
    m->used -= (long long)malloc_usable_size(p);
  m->raw.free(m->raw.ctx, p);
}

int vf_memcap_install(size_t limit) {
  memcap *m = calloc(1, sizeof *m); /* lives as long as the worker */
  if (!m)
    return -1;
  m->limit = (long long)limit;
  PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &m->raw);
  PyMemAllocatorEx cap = {m, cap_malloc, cap_calloc, cap_realloc, cap_free};
  PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &cap);
  return 0;
}
