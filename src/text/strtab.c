/*
 * strtab.c: the string table of strtab.h.  Slots hold the key's hash (0
 * marks an empty slot), its place in the arena and its value; the table
 * doubles past half full, so probes stay short.
 */
#include "text/strtab.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
  uint64_t hash; /* never 0 for a used slot */
  uint32_t off, len, val;
} slot;

struct vf_strtab {
  slot *slots;
  size_t mask, used;
  char *arena;
  size_t alen, acap;
};

/* FNV-1a over the bytes, then a final mix (keys here are short). */
static uint64_t hash_key(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  h ^= h >> 29;
  return h | 1;
}

vf_strtab *vf_strtab_new(void) {
  vf_strtab *t = calloc(1, sizeof *t);
  if (t)
    t->slots = calloc(64, sizeof *t->slots);
  if (t && !t->slots) {
    free(t);
    return NULL;
  }
  if (t)
    t->mask = 63;
  return t;
}

void vf_strtab_free(vf_strtab *t) {
  if (!t)
    return;
  free(t->slots);
  free(t->arena);
  free(t);
}

size_t vf_strtab_count(const vf_strtab *t) { return t->used; }

static slot *find(const vf_strtab *t, const char *key, size_t len,
                  uint64_t h) {
  for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
    slot *s = &t->slots[i];
    if (!s->hash || (s->hash == h && s->len == len &&
                     (len == 0 || !memcmp(t->arena + s->off, key, len))))
      return s;
  }
}

static int grow(vf_strtab *t) {
  size_t cap = (t->mask + 1) * 2;
  slot *slots = calloc(cap, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t i = 0; i <= t->mask; i++) {
    if (!t->slots[i].hash)
      continue;
    size_t j = t->slots[i].hash & (cap - 1);
    while (slots[j].hash)
      j = (j + 1) & (cap - 1);
    slots[j] = t->slots[i];
  }
  free(t->slots);
  t->slots = slots;
  t->mask = cap - 1;
  return 0;
}

/* Copies key into the arena; its offset in *off.  -1 on ENOMEM (or when
 * the arena would pass 4 GiB). */
static int store(vf_strtab *t, const char *key, size_t len, uint32_t *off) {
  if (t->alen + len > UINT32_MAX)
    return -1;
  if (t->alen + len > t->acap) {
    size_t cap = t->acap ? t->acap : 4096;
    while (cap < t->alen + len)
      cap *= 2;
    char *a = realloc(t->arena, cap);
    if (!a)
      return -1;
    t->arena = a, t->acap = cap;
  }
  if (len)
    memcpy(t->arena + t->alen, key, len);
  *off = (uint32_t)t->alen;
  t->alen += len;
  return 0;
}

int vf_strtab_put(vf_strtab *t, const char *key, size_t len, uint32_t val) {
  if (len > UINT32_MAX)
    return -1;
  uint64_t h = hash_key(key, len);
  slot *s = find(t, key, len, h);
  if (s->hash) {
    s->val = val;
    return 1;
  }
  if ((t->used + 1) * 2 > t->mask + 1) {
    if (grow(t))
      return -1;
    s = find(t, key, len, h);
  }
  uint32_t off;
  if (store(t, key, len, &off))
    return -1;
  *s = (slot){h, off, (uint32_t)len, val};
  t->used++;
  return 0;
}

bool vf_strtab_get(const vf_strtab *t, const char *key, size_t len,
                   uint32_t *val) {
  const slot *s = find(t, key, len, hash_key(key, len));
  if (!s->hash)
    return false;
  if (val)
    *val = s->val;
  return true;
}
