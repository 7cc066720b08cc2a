/*
 * registry.c: the one registry of checker families.  Each family keeps its
 * own table sorted by id; an id is resolved in one family (qualified
 * "family/id", or a family named by the input) or, failing a family, in
 * each family in registry order.  tests/unit/test_registry asserts every
 * table is sorted, no id appears twice within a family, and each resolves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

/* Registry order: an unqualified id without a family resolves to the first
 * family that has it, so IFEval's ids keep IFEval's behaviour. */
static const vf_family families[] = {
    {"ifeval",
     "IFEval: google-research instruction_following_eval",
     vf_ifeval_table, vf_ifeval_init, vf_ifeval_fini},
    {"ifevalg",
     "IFEvalG: open-instruct's training constraints as NeMo-Gym runs them "
     "(verifiable_instructions)",
     vf_ifevalg_table, vf_ifevalg_init, vf_ifevalg_fini},
    {"tulu3",
     "Tulu 3 RLVR-IFeval: open-instruct's if_functions.py (func_name rows)",
     vf_tulu3_table, vf_tulu3_init, vf_tulu3_fini},
    {"ifbench",
     "IFBench: allenai/IFBench at c94da02 (58 out-of-distribution constraints)",
     vf_ifbench_table, vf_ifbench_init, vf_ifbench_fini},
};

#define NFAMILIES (sizeof families / sizeof families[0])
_Static_assert(NFAMILIES <= VF_MAX_FAMILIES, "raise VF_MAX_FAMILIES");

size_t vf_checks_nfamilies(void) { return NFAMILIES; }

const vf_family *vf_checks_family_at(size_t i) {
  return i < NFAMILIES ? &families[i] : NULL;
}

const vf_family *vf_checks_family_named(const char *name, size_t len) {
  for (size_t i = 0; i < NFAMILIES; i++)
    if (strlen(families[i].name) == len && !memcmp(families[i].name, name, len))
      return &families[i];
  return NULL;
}

const vf_checkdef *vf_checks_family(size_t i, const char **name, size_t *n) {
  if (name)
    *name = families[i].name;
  return families[i].table(n);
}

static int cmp_id(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const vf_checkdef *)elem)->id);
}

static const vf_checkdef *find_in(const vf_family *f, const char *id) {
  size_t n;
  const vf_checkdef *defs = f->table(&n);
  return bsearch(id, defs, n, sizeof *defs, cmp_id);
}

/* "ifeval, ifevalg, ..." into buf. */
static const char *family_names(char *buf, size_t cap) {
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < NFAMILIES && off < cap; i++) {
    int k = snprintf(buf + off, cap - off, "%s%s", i ? ", " : "",
                     families[i].name);
    if (k < 0)
      break;
    off += (size_t)k;
  }
  return buf;
}

/* The first family other than skip that has id, or NULL. */
static const vf_family *holder_of(const char *id, const vf_family *skip) {
  for (size_t i = 0; i < NFAMILIES; i++)
    if (&families[i] != skip && find_in(&families[i], id))
      return &families[i];
  return NULL;
}

static vf_status unknown_in(const vf_family *f, const char *id,
                            vf_error *err) {
  const vf_family *h = holder_of(id, f);
  if (h)
    return vf_set_error(err, VF_EUNKNOWN_ID,
                        "unknown instruction id '%s' in family '%s' (family "
                        "'%s' has it: write '%s/%s', or choose the family "
                        "with --family)",
                        id, f->name, h->name, h->name, id);
  return vf_set_error(err, VF_EUNKNOWN_ID,
                      "unknown instruction id '%s' in family '%s'", id,
                      f->name);
}

vf_status vf_checks_lookup(const char *family, const char *id,
                           const vf_checkdef **def, const vf_family **fam,
                           vf_error *err) {
  *def = NULL;
  const vf_family *f = NULL;
  const char *slash = strchr(id, '/');
  char names[160];
  if (slash) {
    f = vf_checks_family_named(id, (size_t)(slash - id));
    if (!f)
      return vf_set_error(err, VF_EUNKNOWN_ID,
                          "unknown instruction id '%s': no family '%.*s' "
                          "(families: %s)",
                          id, (int)(slash - id), id,
                          family_names(names, sizeof names));
    id = slash + 1;
  } else if (family) {
    f = vf_checks_family_named(family, strlen(family));
    if (!f)
      return vf_set_error(err, VF_EINVAL,
                          "unknown checker family '%s' (families: %s)",
                          family, family_names(names, sizeof names));
  }
  if (!f)
    f = holder_of(id, NULL);
  if (!f)
    return vf_set_error(err, VF_EUNKNOWN_ID, "unknown instruction id '%s'",
                        id);
  *def = find_in(f, id);
  if (!*def)
    return unknown_in(f, id, err);
  if (fam)
    *fam = f;
  return VF_OK;
}

const vf_checkdef *vf_checks_find(const char *id) {
  const vf_checkdef *d;
  return vf_checks_lookup(NULL, id, &d, NULL, NULL) ? NULL : d;
}

vf_status vf_checks_init(vf_ctx *ctx, vf_error *err) {
  for (size_t i = 0; i < NFAMILIES; i++) {
    if (families[i].init) {
      vf_status st = families[i].init(ctx, &ctx->fam[i], err);
      if (st) {
        if (families[i].fini) /* it frees what init built before failing */
          families[i].fini(ctx, ctx->fam[i]);
        ctx->fam[i] = NULL;
        return st;
      }
    }
    ctx->fam_ready |= 1u << i;
  }
  return VF_OK;
}

void vf_checks_fini(vf_ctx *ctx) {
  for (size_t i = 0; i < NFAMILIES; i++)
    if ((ctx->fam_ready >> i & 1) && families[i].fini)
      families[i].fini(ctx, ctx->fam[i]);
  ctx->fam_ready = 0;
}

void vf_fail(vf_verdict *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  v->pass = 0;
  vsnprintf(v->reason, sizeof v->reason, fmt, ap);
  va_end(ap);
}

void vf_checker_list(void (*fn)(void *ud, const char *family, const char *id,
                                const char *summary),
                     void *ud) {
  for (size_t i = 0; i < NFAMILIES; i++) {
    size_t n;
    const vf_checkdef *defs = families[i].table(&n);
    for (size_t k = 0; k < n; k++)
      fn(ud, families[i].name, defs[k].id, defs[k].summary);
  }
}

void vf_family_list(void (*fn)(void *ud, const char *family, size_t nids,
                               const char *summary),
                    void *ud) {
  for (size_t i = 0; i < NFAMILIES; i++) {
    size_t n;
    families[i].table(&n);
    fn(ud, families[i].name, n, families[i].summary);
  }
}
