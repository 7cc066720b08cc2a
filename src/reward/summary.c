/*
 * summary.c: the running summary of a scoring run (see summary.h).  Tallies
 * are small arrays searched linearly: a run has tens of categories.
 */
#include "reward/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static vf_tally *tally(vf_tallies *ts, const char *name) {
  return vf_tally_get(ts, name, strlen(name));
}

void vf_summary_response(vf_summary *s, const vf_constraint *c, size_t nc,
                         const vf_check_result *res, double reward,
                         const char *soft_status, int spared) {
  s->responses++;
  s->spared += spared != 0;
  if (!isnan(reward)) {
    s->rewarded++;
    s->reward_sum += reward;
  }
  vf_tally *st = tally(&s->soft, soft_status);
  if (st)
    st->total++;
  for (size_t k = 0; k < nc; k++) {
    if (c[k].kind == VF_CK_LLM)
      continue;
    s->rule[res[k].error ? 2 : res[k].verdict == 1 ? 0 : 1]++;
    vf_tally *t = tally(&s->categories, c[k].category);
    if (t) {
      t->total++;
      t->passed += res[k].verdict == 1;
    }
    if (res[k].error) {
      /* the error's kind is the text before its first ':' */
      char kind[64];
      const char *colon = strchr(res[k].error, ':');
      size_t n = colon ? (size_t)(colon - res[k].error) : strlen(res[k].error);
      snprintf(kind, sizeof kind, "check: %.*s", (int)(n > 40 ? 40 : n),
               res[k].error);
      vf_tally *e = tally(&s->errors, kind);
      if (e)
        e->total++;
    }
  }
}

void vf_summary_error(vf_summary *s, const char *scope, const char *kind) {
  char name[128];
  snprintf(name, sizeof name, "%s: %s", scope, kind);
  s->item_errors += !strcmp(scope, "item");
  vf_tally *e = tally(&s->errors, name);
  if (e)
    e->total++;
}

void vf_summary_print(vf_summary *s, FILE *f) {
  fprintf(f, "responses: %lu, with a reward: %lu; items that could not be "
             "scored: %lu\n",
          s->responses, s->rewarded, s->item_errors);
  if (s->rewarded)
    fprintf(f, "mean reward: %.4f\n", s->reward_sum / (double)s->rewarded);
  if (s->spared)
    fprintf(f, "judge calls spared by the hard part (product with hard 0, "
               "all with a hard failure): %lu\n",
            s->spared);
  vf_tallies_sort(&s->soft);
  for (size_t i = 0; i < s->soft.n; i++) {
    if (!s->soft.t[i].total) /* a status asked about, never seen */
      continue;
    fprintf(f, "soft %-10s %lu responses%s\n", s->soft.t[i].name,
            s->soft.t[i].total,
            !strcmp(s->soft.t[i].name, "unverified")
                ? " (WARNING: no judge configured: their [llm] constraints "
                  "were NOT checked; reward = hard part alone)"
                : "");
  }
  vf_tallies_sort(&s->categories);
  const vf_tally *cats = s->categories.t;
  if (s->categories.n) {
    fprintf(f, "pass rate by checker category:\n");
    for (size_t i = 0; i < s->categories.n; i++)
      fprintf(f, "  %-40s %6.1f%%  (%lu/%lu)\n", cats[i].name,
              100.0 * (double)cats[i].passed / (double)cats[i].total,
              cats[i].passed, cats[i].total);
  }
  if (s->errors.n) {
    fprintf(f, "errors by kind:\n");
    for (size_t i = 0; i < s->errors.n; i++)
      fprintf(f, "  %-40s %lu\n", s->errors.t[i].name, s->errors.t[i].total);
  }
}

void vf_summary_free(vf_summary *s) {
  vf_tallies_free(&s->soft);
  vf_tallies_free(&s->categories);
  vf_tallies_free(&s->errors);
}
