/*
 * registry.c: the one registry of checkers.  Each family keeps its own table
 * sorted by id; lookups bsearch each table in turn.  tests/unit/test_registry
 * asserts every table is sorted and that no id appears twice anywhere.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

static const struct family {
  const char *name;
  const vf_checkdef *(*table)(size_t *n);
} families[] = {
    {"ifeval", vf_ifeval_table},
};

#define NFAMILIES (sizeof families / sizeof families[0])

size_t vf_checks_nfamilies(void) { return NFAMILIES; }

const vf_checkdef *vf_checks_family(size_t i, const char **name, size_t *n) {
  if (name)
    *name = families[i].name;
  return families[i].table(n);
}

static int cmp_id(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const vf_checkdef *)elem)->id);
}

const vf_checkdef *vf_checks_find(const char *id) {
  for (size_t i = 0; i < NFAMILIES; i++) {
    size_t n;
    const vf_checkdef *defs = families[i].table(&n);
    const vf_checkdef *d = bsearch(id, defs, n, sizeof *defs, cmp_id);
    if (d)
      return d;
  }
  return NULL;
}

void vf_fail(vf_verdict *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  v->pass = 0;
  vsnprintf(v->reason, sizeof v->reason, fmt, ap);
  va_end(ap);
}

void vf_checker_list(void (*fn)(void *ud, const char *id, const char *summary),
                     void *ud) {
  for (size_t i = 0; i < NFAMILIES; i++) {
    size_t n;
    const vf_checkdef *defs = families[i].table(&n);
    for (size_t k = 0; k < n; k++)
      fn(ud, defs[k].id, defs[k].summary);
  }
}
