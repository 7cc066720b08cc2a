/*
 * summary.h: the running summary of a scoring run (verif score's closing
 * lines): items and responses scored, mean reward, pass rate per checker
 * category, soft statuses and errors by kind.  Not thread-safe by itself:
 * the engine holds its lock around every call.
 */
#ifndef VF_SUMMARY_H
#define VF_SUMMARY_H

#include <stdio.h>

#include "core/tally.h"
#include "reward/reward.h"

typedef struct vf_summary {
  unsigned long responses, rewarded, item_errors;
  double reward_sum;
  vf_tallies soft;       /* responses per soft status */
  unsigned long spared;  /* responses whose judge call the hard part spared */
  unsigned long rule[3]; /* hard checks passed, failed, in error */
  vf_tallies categories; /* passed/total per checker category */
  vf_tallies errors;     /* total per "scope: kind" */
} vf_summary;

/* Adds one scored response: its constraints' results, its reward (NaN:
 * none) and its soft status ("judged", "skipped", ...). */
void vf_summary_response(vf_summary *s, const vf_constraint *c, size_t nc,
                         const vf_check_result *res, double reward,
                         const char *soft_status, int spared);
/* Adds one error of the given scope ("item", "check") and kind. */
void vf_summary_error(vf_summary *s, const char *scope, const char *kind);
void vf_summary_print(vf_summary *s, FILE *f);
void vf_summary_free(vf_summary *s);

#endif
