/*
 * recache.c: the context's cache of compiled kwargs patterns (keywords,
 * section splitters, postscript markers, phrases), as Python's re module
 * caches what it compiles: the rows of a data set repeat the same few
 * patterns, and compiling one costs more than most checks.  A fixed table
 * of slots indexed by a hash of pattern and flags; a new pattern takes its
 * slot's place.  Patterns are reference-counted (regex.h), so a replaced
 * one lives on in the checkers that hold it.  One lock, held only to look
 * up or fill a slot, never while compiling.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

#define SLOTS 1024

typedef struct slot {
  char *pat;
  size_t len;
  unsigned flags;
  vf_re *re; /* the cache's own reference */
} slot;

struct vf_recache {
  pthread_mutex_t lock;
  slot s[SLOTS];
};

vf_status vf_recache_new(vf_recache **out, vf_error *err) {
  *out = calloc(1, sizeof **out);
  if (!*out)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  pthread_mutex_init(&(*out)->lock, NULL);
  return VF_OK;
}

void vf_recache_free(vf_recache *c) {
  if (!c)
    return;
  for (size_t i = 0; i < SLOTS; i++) {
    free(c->s[i].pat);
    vf_re_free(c->s[i].re);
  }
  pthread_mutex_destroy(&c->lock);
  free(c);
}

static size_t slot_of(const char *pat, size_t len, unsigned flags) {
  uint64_t h = 1469598103934665603ull ^ flags;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)pat[i]) * 1099511628211ull;
  return (size_t)(h % SLOTS);
}

/* A new reference to the cached pattern, or NULL. */
static vf_re *lookup(vf_recache *c, size_t i, const char *pat, size_t len,
                     unsigned flags) {
  vf_re *re = NULL;
  pthread_mutex_lock(&c->lock);
  const slot *s = &c->s[i];
  if (s->re && s->len == len && s->flags == flags && !memcmp(s->pat, pat, len))
    re = vf_re_ref(s->re);
  pthread_mutex_unlock(&c->lock);
  return re;
}

/* Puts re in slot i (keeping the old one's holders' references). */
static void fill(vf_recache *c, size_t i, const char *pat, size_t len,
                 unsigned flags, vf_re *re) {
  char *copy = malloc(len ? len : 1);
  if (!copy)
    return; /* not cached: no harm done */
  memcpy(copy, pat, len);
  pthread_mutex_lock(&c->lock);
  slot old = c->s[i];
  c->s[i] = (slot){copy, len, flags, vf_re_ref(re)};
  pthread_mutex_unlock(&c->lock);
  free(old.pat);
  vf_re_free(old.re);
}

vf_status vf_ctx_re_compile(const vf_ctx *ctx, const char *pat, size_t len,
                            unsigned flags, vf_re **out, vf_error *err) {
  size_t i = slot_of(pat, len, flags);
  *out = ctx->recache ? lookup(ctx->recache, i, pat, len, flags) : NULL;
  if (*out)
    return VF_OK;
  vf_status st = vf_re_compile(pat, len, flags, out, err);
  if (!st && ctx->recache)
    fill(ctx->recache, i, pat, len, flags, *out);
  return st;
}
