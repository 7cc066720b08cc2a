/*
 * checks.h: what the checker families share: the context's contents, the
 * kwargs schema, the checker object, and the one registry of check
 * definitions (registry.c) that vf_checker_new() looks ids up in.
 *
 * A family (ifeval.c, ...) defines its checks as small functions with one
 * signature and lists them in its table; registry.c merges the tables.
 */
#ifndef VF_CHECKS_H
#define VF_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "text/langdetect.h"
#include "text/punkt.h"
#include "text/regex.h"
#include "text/text.h"
#include "verif.h"

#define VF_CTX_NRE 16

struct vf_ctx {
  char *data_dir;
  vf_punkt *punkt;
  vf_langdetect *lang;
  vf_re *re[VF_CTX_NRE]; /* the families' fixed patterns, compiled once */
};

/* A "relation" is the string "less than" or "at least". */
/* Kwarg types.  A "count" is an integer >= 0: where the reference would
 * replace a negative count by a random one, verif refuses it. */
typedef enum {
  VF_KW_INT,
  VF_KW_COUNT,
  VF_KW_STR,
  VF_KW_STRLIST,
  VF_KW_REL
} vf_kw_type;

enum { VF_REL_LESS = 0, VF_REL_ATLEAST = 1 };

#define VF_MAX_KW 4

typedef struct vf_kwdef {
  const char *name;
  vf_kw_type type;
} vf_kwdef;

typedef struct vf_kwval {
  bool set;
  long long i;   /* VF_KW_INT, VF_KW_COUNT, and VF_KW_REL's VF_REL_* */
  char *s;       /* VF_KW_STR (NUL-terminated, valid UTF-8) */
  size_t slen;
  char **list;   /* VF_KW_STRLIST */
  size_t *lens;
  size_t n;
} vf_kwval;

typedef struct vf_checkdef vf_checkdef;

struct vf_checker {
  const vf_checkdef *def;
  const vf_ctx *ctx;
  vf_kwval kw[VF_MAX_KW]; /* in the order of def->kwargs */
  vf_re **re;             /* patterns compiled by def->prepare */
  size_t nre;
  vf_buf scratch;         /* prepared text (e.g. a lowered phrase) */
};

/* A check: fills v->pass (and v->reason on failure).  Returns VF_OK, or an
 * error (out of memory, regex limit) that makes the verdict unusable. */
typedef vf_status (*vf_check_fn)(const vf_checker *c, const char *r,
                                 size_t n, vf_verdict *v, vf_error *err);

/* Optional: validates kwargs beyond their types and precompiles patterns. */
typedef vf_status (*vf_prepare_fn)(vf_checker *c, vf_error *err);

struct vf_checkdef {
  const char *id;
  vf_check_fn check;
  vf_prepare_fn prepare;
  vf_kwdef kwargs[VF_MAX_KW]; /* all required; unused slots have name NULL */
  const char *summary;
};

/* The IFEval family's table (ifeval.c), sorted by id, and the setup of
 * its fixed patterns in a new context. */
const vf_checkdef *vf_ifeval_table(size_t *n);
vf_status vf_ifeval_init(vf_ctx *ctx, vf_error *err);
void vf_ifeval_fini(vf_ctx *ctx);

/* Builds a checker from an already parsed kwargs object (a json_t *, or
 * NULL for none). */
vf_status vf_checker_from_json(const vf_ctx *ctx, const char *id,
                               const void *kwargs, vf_checker **out,
                               vf_error *err);

/* Looks an id up in the registry; NULL when unknown. */
const vf_checkdef *vf_checks_find(const char *id);

/* The registry holds one sorted table per family: the number of families,
 * and family i's table (its name and size in *name and *n). */
size_t vf_checks_nfamilies(void);
const vf_checkdef *vf_checks_family(size_t i, const char **name, size_t *n);

/* Fills v->reason with a printf-style message and sets pass = 0. */
void vf_fail(vf_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* VF_CHECKS_H */
