/*
 * checks.h: what the checker families share: the context's contents, the
 * kwargs schema, the checker object, and the one registry of families and
 * their check definitions (registry.c) that vf_checker_new() looks ids up in.
 *
 * A family (ifeval.c, ifevalg.c, ...) is a port of one reference: it defines
 * its checks as small functions with one signature, lists them in its table
 * (sorted by id) and gets one row in registry.c.  Families may share an id
 * with different behaviour; see vf_checks_lookup() for how one is chosen.
 */
#ifndef VF_CHECKS_H
#define VF_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "text/langdetect.h"
#include "text/punkt.h"
#include "text/regex.h"
#include "text/sentsplit.h"
#include "text/text.h"
#include "verif.h"

#define VF_CTX_NRE 16
#define VF_MAX_FAMILIES 8

typedef struct vf_recache vf_recache;

struct vf_ctx {
  char *data_dir;
  vf_punkt *punkt;
  vf_langdetect *lang;
  vf_sentsplit *sents;   /* instructions_util.split_into_sentences */
  vf_recache *recache;   /* kwargs patterns (recache.c); thread-safe */
  vf_re *re[VF_CTX_NRE]; /* IFEval's fixed patterns, compiled once */
  void *fam[VF_MAX_FAMILIES]; /* family i's state (its init's), or NULL */
  unsigned fam_ready;         /* bit i: family i's init succeeded */
};

/* A "relation" is the string "less than" or "at least". */
/* Kwarg types.  A "count" is an integer >= 0: where the reference would
 * replace a negative count by a random one, verif refuses it.  STRFIRST is
 * a string, or a non-empty list whose first item (a string) is used, as
 * references that accept either do.  STRSEQ is what Python iterates: a
 * list of strings, or a string (read as the list of its characters). */
typedef enum {
  VF_KW_INT,
  VF_KW_COUNT,
  VF_KW_STR,
  VF_KW_STRLIST,
  VF_KW_REL,
  VF_KW_STRFIRST,
  VF_KW_STRSEQ
} vf_kw_type;

enum { VF_REL_LESS = 0, VF_REL_ATLEAST = 1 };

/* Kwarg flags.
 *   VF_KWF_OPTIONAL  may be absent (or null): the check then sees set ==
 *                    false and applies the reference's default itself.
 *                    Without it a missing kwarg is an error naming it
 *                    (where the reference would draw a random value).
 *   VF_KWF_TRUTHY    the reference tests the value with `if not x:` and
 *                    draws a random one for 0, "" or []: such a value is
 *                    refused with an error naming the field.
 *   VF_KWF_REST      on an entry named "**" (VF_KW_REST_ENTRY): the
 *                    reference's build_description takes **kwargs, so any
 *                    kwarg no other entry names is accepted and unused. */
enum { VF_KWF_OPTIONAL = 1, VF_KWF_TRUTHY = 2, VF_KWF_REST = 4 };
#define VF_KW_REST_ENTRY {"**", VF_KW_STR, VF_KWF_REST | VF_KWF_OPTIONAL}

#define VF_MAX_KW 6

typedef struct vf_kwdef {
  const char *name;
  vf_kw_type type;
  unsigned flags; /* VF_KWF_* */
} vf_kwdef;

typedef struct vf_kwval {
  bool set;
  long long i;   /* VF_KW_INT, VF_KW_COUNT, and VF_KW_REL's VF_REL_* */
  char *s;       /* VF_KW_STR (NUL-terminated, valid UTF-8) */
  size_t slen;
  char **list;   /* VF_KW_STRLIST */
  size_t *lens;
  size_t n;
  bool falsy;    /* the JSON value was 0, "" or [] (Python's `not x`) */
} vf_kwval;

typedef struct vf_checkdef vf_checkdef;

struct vf_checker {
  const vf_checkdef *def;
  const vf_ctx *ctx;
  const char *family;     /* the family the id was found in */
  const void *state;      /* that family's state in ctx (ctx->fam[i]) */
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
  vf_kwdef kwargs[VF_MAX_KW]; /* unused slots have name NULL */
  const char *summary;
};

/* ---- families ------------------------------------------------------------ */

/* One row of the registry.  init (optional) builds the family's state in a
 * new context: it stores it in *state (ctx->fam[i], handed to each checker
 * as c->state) and may read ctx's data_dir, punkt and lang; fini frees it,
 * and is also called when init fails, to free what init built so far.
 * A new family is a file with its table and one row in registry.c (at
 * most VF_MAX_FAMILIES). */
typedef struct vf_family {
  const char *name;    /* "ifeval", "ifevalg", ... (no '/') */
  const char *summary; /* one line: the reference it ports */
  const vf_checkdef *(*table)(size_t *n); /* sorted by id (strcmp) */
  vf_status (*init)(vf_ctx *ctx, void **state, vf_error *err);
  void (*fini)(vf_ctx *ctx, void *state);
} vf_family;

/* The families in registry order ("ifeval" first), and lookup by name (a
 * name of len bytes; NULL when there is none). */
size_t vf_checks_nfamilies(void);
const vf_family *vf_checks_family_at(size_t i);
const vf_family *vf_checks_family_named(const char *name, size_t len);

/* The table of family i (its name and size in *name and *n). */
const vf_checkdef *vf_checks_family(size_t i, const char **name, size_t *n);

/* Resolves an instruction id:
 *   - "family/id" (qualified) is looked up in that family only;
 *   - else, with family non-NULL, in that family only (an input format's
 *     family: IFEval input "ifeval", NeMo-Gym /verify "ifevalg", ...);
 *   - else in every family in registry order: the first that has it wins.
 * On success *def is the definition and, when not NULL, *fam its family.
 * Errors, with err naming the id and family: VF_EUNKNOWN_ID (no such id;
 * the message says which family does have it), VF_EINVAL (no such
 * family). */
vf_status vf_checks_lookup(const char *family, const char *id,
                           const vf_checkdef **def, const vf_family **fam,
                           vf_error *err);

/* vf_checks_lookup(NULL, id, ...) without the error: NULL when unknown. */
const vf_checkdef *vf_checks_find(const char *id);

/* Runs every family's init on a new context / every fini on its way out
 * (vf_checks_fini is safe on a partly initialised context). */
vf_status vf_checks_init(vf_ctx *ctx, vf_error *err);
void vf_checks_fini(vf_ctx *ctx);

/* ---- the families' tables and setup --------------------------------------- */

/* IFEval (ifeval.c): its table, and its fixed patterns (in ctx->re). */
const vf_checkdef *vf_ifeval_table(size_t *n);
vf_status vf_ifeval_init(vf_ctx *ctx, void **state, vf_error *err);
void vf_ifeval_fini(vf_ctx *ctx, void *state);

/* Tulu 3 RLVR-IFeval (tulu3.c): open-instruct's if_functions.py. */
const vf_checkdef *vf_tulu3_table(size_t *n);
vf_status vf_tulu3_init(vf_ctx *ctx, void **state, vf_error *err);
void vf_tulu3_fini(vf_ctx *ctx, void *state);

/* IFEvalG (ifevalg.c): its table (IFEval's functions where the reference
 * checks alike), and its fixed patterns. */
const vf_checkdef *vf_ifevalg_table(size_t *n);
vf_status vf_ifevalg_init(vf_ctx *ctx, void **state, vf_error *err);
void vf_ifevalg_fini(vf_ctx *ctx, void *state);

/* IFBench (ifbench.c): its table, and its state (patterns; the tagger,
 * syllable table, stop words and emoji set, loaded on first use). */
const vf_checkdef *vf_ifbench_table(size_t *n);
vf_status vf_ifbench_init(vf_ctx *ctx, void **state, vf_error *err);
void vf_ifbench_fini(vf_ctx *ctx, void *state);

/* ---- building checkers ----------------------------------------------------- */

/* Builds a checker for id (resolved by vf_checks_lookup with family) from
 * an already parsed kwargs object (a json_t *, or NULL for none). */
vf_status vf_checker_from_json(const vf_ctx *ctx, const char *family,
                               const char *id, const void *kwargs,
                               vf_checker **out, vf_error *err);

/* vf_checker_run for a response already known to be valid UTF-8 (checked
 * once for several checkers). */
vf_status vf_checker_run_valid(const vf_checker *c, const char *response,
                               size_t len, vf_verdict *out, vf_error *err);

/* A kwargs pattern compiled through the context's cache (recache.c): a
 * new reference (free it with vf_re_free), the same compiled pattern for
 * the same pattern text and flags, as Python's re module caches them.
 * Errors as vf_re_compile's.  vf_recache_new / _free build and free the
 * cache of a context. */
vf_status vf_ctx_re_compile(const vf_ctx *ctx, const char *pat, size_t len,
                            unsigned flags, vf_re **out, vf_error *err);
vf_status vf_recache_new(vf_recache **out, vf_error *err);
void vf_recache_free(vf_recache *c);

/* vf_follow_instructions (verif.h) on parsed JSON: ids and kwargs are
 * json_t * lists (anything else: VF_EJSON).  For the NeMo-Gym /verify
 * route, which holds the request's JSON already. */
vf_status vf_follow_list(const vf_ctx *ctx, const char *family,
                         const void *ids, const void *kwargs,
                         const char *response, size_t len, vf_follow **out,
                         size_t *n, vf_error *err);

/* Fills v->reason with a printf-style message and sets pass = 0. */
void vf_fail(vf_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* VF_CHECKS_H */
