/*
 * cache.c: a hash table keyed by SHA-256 digests (intrusive nodes, so the
 * caller's structs are the entries), used by judge.c for the table of calls
 * in flight, and the in-memory LRU of verdicts built on it.  Neither locks:
 * judge.c holds its mutex around every use.
 */
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"

/* ---- the table ---------------------------------------------------------- */

/* The key is a digest already: its first bytes are as good as any hash. */
static size_t slot(const unsigned char key[32], size_t nbuckets) {
  uint64_t h;
  memcpy(&h, key, sizeof h);
  return (size_t)(h & (nbuckets - 1));
}

vf_judge_hnode *vf_judge_map_get(const vf_judge_map *m,
                                 const unsigned char key[32]) {
  if (m->nbuckets == 0)
    return NULL;
  vf_judge_hnode *n = m->buckets[slot(key, m->nbuckets)];
  while (n && memcmp(n->key, key, 32) != 0)
    n = n->next;
  return n;
}

static int grow(vf_judge_map *m) {
  size_t nb = m->nbuckets ? m->nbuckets * 2 : 64;
  vf_judge_hnode **b = calloc(nb, sizeof *b);
  if (!b)
    return -1;
  for (size_t i = 0; i < m->nbuckets; i++) {
    vf_judge_hnode *n = m->buckets[i];
    while (n) {
      vf_judge_hnode *next = n->next;
      size_t s = slot(n->key, nb);
      n->next = b[s];
      b[s] = n;
      n = next;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->nbuckets = nb;
  return 0;
}

int vf_judge_map_put(vf_judge_map *m, vf_judge_hnode *node) {
  /* A failed grow is fine while there are buckets: chains just get longer. */
  if (m->count >= m->nbuckets && grow(m) && m->nbuckets == 0)
    return -1;
  size_t s = slot(node->key, m->nbuckets);
  node->next = m->buckets[s];
  m->buckets[s] = node;
  m->count++;
  return 0;
}

void vf_judge_map_del(vf_judge_map *m, vf_judge_hnode *node) {
  if (m->nbuckets == 0)
    return;
  vf_judge_hnode **p = &m->buckets[slot(node->key, m->nbuckets)];
  while (*p && *p != node)
    p = &(*p)->next;
  if (*p) {
    *p = node->next;
    m->count--;
  }
}

void vf_judge_map_free(vf_judge_map *m) {
  free(m->buckets);
  memset(m, 0, sizeof *m);
}

/* ---- the LRU ------------------------------------------------------------- */

typedef struct entry {
  vf_judge_hnode node; /* first: a node pointer is an entry pointer */
  struct entry *prev, *next; /* most recent at head */
  vf_judge_status status;
  int score;
} entry;

struct vf_judge_lru {
  vf_judge_map map;
  entry *head, *tail;
  size_t capacity;
};

vf_judge_lru *vf_judge_lru_new(size_t capacity) {
  vf_judge_lru *l = calloc(1, sizeof *l);
  if (l)
    l->capacity = capacity ? capacity : 1;
  return l;
}

void vf_judge_lru_free(vf_judge_lru *l) {
  if (!l)
    return;
  for (entry *e = l->head; e;) {
    entry *next = e->next;
    free(e);
    e = next;
  }
  vf_judge_map_free(&l->map);
  free(l);
}

static void unlink_entry(vf_judge_lru *l, entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    l->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    l->tail = e->prev;
}

static void push_front(vf_judge_lru *l, entry *e) {
  e->prev = NULL;
  e->next = l->head;
  if (l->head)
    l->head->prev = e;
  l->head = e;
  if (!l->tail)
    l->tail = e;
}

int vf_judge_lru_get(vf_judge_lru *l, const unsigned char key[32],
                     vf_judge_status *status, int *score) {
  entry *e = (entry *)vf_judge_map_get(&l->map, key);
  if (!e)
    return 0;
  unlink_entry(l, e);
  push_front(l, e);
  *status = e->status;
  *score = e->score;
  return 1;
}

static void evict_one(vf_judge_lru *l) {
  entry *old = l->tail;
  unlink_entry(l, old);
  vf_judge_map_del(&l->map, &old->node);
  free(old);
}

int vf_judge_lru_put(vf_judge_lru *l, const unsigned char key[32],
                     vf_judge_status status, int score) {
  entry *e = (entry *)vf_judge_map_get(&l->map, key);
  if (e) {
    unlink_entry(l, e);
  } else {
    if (l->map.count >= l->capacity)
      evict_one(l);
    e = calloc(1, sizeof *e);
    if (!e)
      return -1;
    memcpy(e->node.key, key, 32);
    if (vf_judge_map_put(&l->map, &e->node)) {
      free(e);
      return -1;
    }
  }
  e->status = status;
  e->score = score;
  push_front(l, e);
  return 0;
}

size_t vf_judge_lru_count(const vf_judge_lru *l) { return l->map.count; }
