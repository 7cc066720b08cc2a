/*
 * tally.c: named passed/total counters (see tally.h).
 */
#include "core/tally.h"

#include <stdlib.h>
#include <string.h>

vf_tally *vf_tally_get(vf_tallies *ts, const char *name, size_t len) {
  for (size_t i = 0; i < ts->n; i++)
    if (strlen(ts->t[i].name) == len && !memcmp(ts->t[i].name, name, len))
      return &ts->t[i];
  if (ts->n == ts->cap) {
    size_t cap = ts->cap ? ts->cap * 2 : 16;
    vf_tally *t = realloc(ts->t, cap * sizeof *t);
    if (!t)
      return NULL;
    ts->t = t, ts->cap = cap;
  }
  char *nm = malloc(len + 1);
  if (!nm)
    return NULL;
  memcpy(nm, name, len);
  nm[len] = '\0';
  ts->t[ts->n] = (vf_tally){nm, 0, 0};
  return &ts->t[ts->n++];
}

static int cmp_tally(const void *a, const void *b) {
  return strcmp(((const vf_tally *)a)->name, ((const vf_tally *)b)->name);
}

void vf_tallies_sort(vf_tallies *ts) {
  if (ts->n)
    qsort(ts->t, ts->n, sizeof *ts->t, cmp_tally);
}

void vf_tallies_free(vf_tallies *ts) {
  for (size_t i = 0; i < ts->n; i++)
    free(ts->t[i].name);
  free(ts->t);
  memset(ts, 0, sizeof *ts);
}
