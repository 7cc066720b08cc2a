/*
 * tally.h: named counters (passed/total per name), for the reports of the
 * IFEval evaluation and of scoring runs.  A report has tens of names, so a
 * small array searched linearly is the right structure.
 */
#ifndef VF_TALLY_H
#define VF_TALLY_H

#include <stddef.h>

typedef struct vf_tally {
  char *name;
  unsigned long passed, total;
} vf_tally;

typedef struct vf_tallies {
  vf_tally *t;
  size_t n, cap;
} vf_tallies;

/* The tally named by name[0..len) (created at zero); NULL on ENOMEM. */
vf_tally *vf_tally_get(vf_tallies *ts, const char *name, size_t len);

/* Sorts the tallies by name (for printing). */
void vf_tallies_sort(vf_tallies *ts);
void vf_tallies_free(vf_tallies *ts);

#endif
