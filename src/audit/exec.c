/*
 * exec.c: running the audited functions on their item's probes.  [rule]
 * functions run in the sandbox: each row's checks are laid out together
 * (its functions x probes x runs: once as given, a second time on 16
 * probes of at most 4 KiB, and once more with `instruction` =
 * "instruction" where the code may read it): one unit of the pool, so in
 * the default row isolation a fresh process that runs nothing else; native
 * checkers run in process on threads.  The modules that
 * import statements name are tried once each in the sandbox, so
 * findings.c can tell which ones it lacks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "core/parallel.h"

/* Where a check's result goes. */
typedef struct ref {
  uint32_t row;
  uint16_t fn, probe;
  uint8_t run; /* 0, 1 or 2 (instruction); 3: a module probe */
} ref;

typedef struct plan {
  vf_pycheck *pc;
  ref *ref;
  size_t n, cap;
  size_t *unit_len; /* the units: a row's checks, then the module probes */
  size_t nunits, capunits, unit_start;
  char **mods; /* module names probed in this plan (owned) */
  char **modcode;
  size_t nmods, capmods;
} plan;

static const char literal_instruction[] = "instruction";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int plan_add(plan *pl, const vf_pycheck *c, ref r) {
  if (pl->n == pl->cap) {
    size_t cap = pl->cap ? 2 * pl->cap : 4096;
    vf_pycheck *pc = realloc(pl->pc, cap * sizeof *pc);
    if (pc)
      pl->pc = pc;
    ref *rf = pc ? realloc(pl->ref, cap * sizeof *rf) : NULL;
    if (!rf)
      return -1;
    pl->ref = rf;
    pl->cap = cap;
  }
  pl->pc[pl->n] = *c;
  pl->ref[pl->n++] = r;
  return 0;
}

/* Ends the unit begun at unit_start (nothing when it is empty). */
static int plan_unit(plan *pl) {
  if (pl->n == pl->unit_start)
    return 0;
  if (pl->nunits == pl->capunits) {
    size_t cap = pl->capunits ? 2 * pl->capunits : 256;
    size_t *u = realloc(pl->unit_len, cap * sizeof *u);
    if (!u)
      return -1;
    pl->unit_len = u;
    pl->capunits = cap;
  }
  pl->unit_len[pl->nunits++] = pl->n - pl->unit_start;
  pl->unit_start = pl->n;
  return 0;
}

static void plan_free(plan *pl) {
  for (size_t i = 0; i < pl->nmods; i++) {
    free(pl->mods[i]);
    free(pl->modcode[i]);
  }
  free(pl->mods);
  free(pl->modcode);
  free(pl->pc);
  free(pl->ref);
  free(pl->unit_len);
  memset(pl, 0, sizeof *pl);
}

static uint8_t *verdicts(size_t n) {
  uint8_t *v = malloc(n ? n : 1);
  if (v)
    memset(v, AU_NOTRUN, n ? n : 1);
  return v;
}

/* ---- modules ------------------------------------------------------------- */

int au_exec_module_ok(const au_exec *x, const char *name) {
  for (size_t i = 0; i < x->nmod; i++)
    if (!strcmp(x->mod[i], name))
      return x->mod_ok[i];
  return -1;
}

static bool planned(const plan *pl, const char *name) {
  for (size_t i = 0; i < pl->nmods; i++)
    if (!strcmp(pl->mods[i], name))
      return true;
  return false;
}

/* Adds a check "import name" unless its answer is known or planned. */
static int plan_module(const au_exec *x, plan *pl, char *name) {
  if (au_exec_module_ok(x, name) >= 0 || planned(pl, name)) {
    free(name);
    return 0;
  }
  if (pl->nmods == pl->capmods) {
    size_t cap = pl->capmods ? 2 * pl->capmods : 8;
    char **m = realloc(pl->mods, cap * sizeof *m);
    if (m)
      pl->mods = m;
    char **c = m ? realloc(pl->modcode, cap * sizeof *c) : NULL;
    if (!c) {
      free(name);
      return -1;
    }
    pl->modcode = c;
    pl->capmods = cap;
  }
  vf_buf code = {0};
  if (vf_buf_printf(&code,
                    "import %s\ndef check_following(instruction, response):\n"
                    "    return True\n",
                    name)) {
    free(name);
    return -1;
  }
  pl->mods[pl->nmods] = name;
  pl->modcode[pl->nmods++] = code.data;
  return 0;
}

/* The module probes, verif's own code, as one unit after the rows. */
static int plan_module_checks(plan *pl) {
  for (size_t i = 0; i < pl->nmods; i++) {
    vf_pycheck c = {.code = pl->modcode[i],
                    .code_len = strlen(pl->modcode[i]),
                    .prompt = "",
                    .response = ""};
    if (plan_add(pl, &c, (ref){0, 0, (uint16_t)i, 3}))
      return -1;
  }
  return plan_unit(pl);
}

static int plan_imports(const au_exec *x, plan *pl, const vf_constraint *c) {
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = au_scan_imports(c->code, c->code_len, &names, &n, &cap) < 0;
  for (size_t i = 0; i < n; i++) {
    if (rc)
      free(names[i]);
    else
      rc = plan_module(x, pl, names[i]) != 0;
  }
  free(names);
  return rc ? -1 : 0;
}

static int learn_module(au_exec *x, const char *name, bool ok) {
  if (x->nmod == x->capmod) {
    size_t cap = x->capmod ? 2 * x->capmod : 16;
    char **m = realloc(x->mod, cap * sizeof *m);
    if (m)
      x->mod = m;
    signed char *o = m ? realloc(x->mod_ok, cap) : NULL;
    if (!o)
      return -1;
    x->mod_ok = o;
    x->capmod = cap;
  }
  x->mod[x->nmod] = strdup(name);
  if (!x->mod[x->nmod])
    return -1;
  x->mod_ok[x->nmod++] = ok;
  return 0;
}

/* ---- laying out a row ---------------------------------------------------- */

/* The second run (non-determinism) covers the first RERUN_PROBES probes
 * of at most RERUN_MAX_BYTES: code whose verdict depends on time or chance
 * shows it on any input. */
#define RERUN_MAX_BYTES 4096
#define RERUN_PROBES 16

static int plan_fn(plan *pl, const au_row *r, uint32_t row, size_t k, size_t p0,
                   size_t p1, int runs) {
  const au_fn *f = &r->fn[k];
  size_t reruns = 0;
  for (size_t p = p0; p < p1; p++)
    for (int run = 0; run < runs; run++) {
      if ((run == 2 && !f->reads_instruction) ||
          (run == 1 &&
           (r->p[p].len > RERUN_MAX_BYTES || reruns++ >= RERUN_PROBES)))
        continue;
      vf_pycheck c = {.code = f->c->code,
                      .code_len = f->c->code_len,
                      .prompt = run == 2 ? literal_instruction : r->it.prompt,
                      .prompt_len = run == 2 ? sizeof literal_instruction - 1
                                             : r->it.prompt_len,
                      .response = r->p[p].text,
                      .response_len = r->p[p].len};
      if (plan_add(pl, &c, (ref){row, (uint16_t)k, (uint16_t)p, (uint8_t)run}))
        return -1;
    }
  return 0;
}

static int alloc_verdicts(au_row *r) {
  for (size_t k = 0; k < r->it.nc; k++) {
    au_fn *f = &r->fn[k];
    f->err_probe = f->imp_probe = -1;
    if (!f->audited)
      continue;
    f->v1 = verdicts(r->np);
    f->v2 = verdicts(r->np);
    f->vi = verdicts(r->np);
    if (!f->v1 || !f->v2 || !f->vi)
      return -1;
  }
  return 0;
}

static int plan_phase1(const au_exec *x, plan *pl, au_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    au_row *r = &rows[i];
    if (r->it.err.code)
      continue;
    if (alloc_verdicts(r))
      return -1;
    for (size_t k = 0; k < r->it.nc; k++) {
      const au_fn *f = &r->fn[k];
      if (f->c->kind != VF_CK_PYTHON)
        continue;
      if (plan_imports(x, pl, f->c) ||
          (f->audited && plan_fn(pl, r, (uint32_t)i, k, 0, r->nphase1, 3)))
        return -1;
    }
    if (plan_unit(pl))
      return -1;
  }
  return plan_module_checks(pl);
}

/* ---- results ------------------------------------------------------------- */

static bool import_error(const char *msg) {
  return !strncmp(msg, "ModuleNotFoundError", 19) ||
         !strncmp(msg, "ImportError", 11);
}

static const char *kind_prefix(vf_pyerr_kind k) {
  switch (k) {
  case VF_PYERR_COMPILE:
    return "does not compile: ";
  case VF_PYERR_NOFUNC:
    return "";
  case VF_PYERR_CRASH:
    return "crashed the worker: ";
  case VF_PYERR_LIMIT:
    return "over a sandbox limit: ";
  default:
    return "";
  }
}

/* Keeps the first error (and the first import error) of a function. */
static void note_error(au_fn *f, int probe, const char *prefix,
                       const char *msg) {
  bool imp = import_error(msg);
  char **slot = imp ? &f->imp : &f->err;
  int *at = imp ? &f->imp_probe : &f->err_probe;
  if (*slot)
    return;
  size_t n = strlen(prefix) + strlen(msg) + 1;
  *slot = malloc(n);
  if (*slot) {
    snprintf(*slot, n, "%s%s", prefix, msg);
    *at = probe;
  }
}

static void store(au_row *rows, const vf_pycheck *c, ref rf) {
  au_fn *f = &rows[rf.row].fn[rf.fn];
  uint8_t *v = rf.run == 0 ? f->v1 : rf.run == 1 ? f->v2 : f->vi;
  uint8_t out = AU_ERROR;
  if (c->verdict == VF_PY_TRUE)
    out = AU_PASS;
  else if (c->verdict == VF_PY_FALSE)
    out = AU_FAIL;
  else if (c->error_kind == VF_PYERR_TIMEOUT)
    out = AU_TIMEOUT;
  v[rf.probe] = out;
  if (out == AU_TIMEOUT)
    f->timed_out = true;
  else if (out == AU_ERROR)
    note_error(f, rf.probe, kind_prefix(c->error_kind), c->error);
}

static int store_all(au_exec *x, const plan *pl, au_row *rows) {
  for (size_t i = 0; i < pl->n; i++) {
    if (pl->ref[i].run != 3) {
      store(rows, &pl->pc[i], pl->ref[i]);
      continue;
    }
    const vf_pycheck *c = &pl->pc[i];
    bool ok = c->verdict == VF_PY_TRUE;
    if (learn_module(x, pl->mods[pl->ref[i].probe], ok))
      return -1;
  }
  return 0;
}

static vf_status run_plan(au_exec *x, plan *pl, au_row *rows, vf_error *err) {
  if (!pl->n)
    return VF_OK;
  double t0 = now_s();
  vf_status st =
      vf_pool_run_units(x->pool, pl->pc, pl->n, pl->unit_len, pl->nunits, err);
  x->pool_seconds += now_s() - t0;
  x->checks += pl->n;
  if (!st && store_all(x, pl, rows))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  return st;
}

/* ---- native checkers ----------------------------------------------------- */

static uint8_t run_native(au_fn *f, int probe, const au_probe *p) {
  vf_verdict v;
  vf_error e = {0};
  if (vf_checker_run(f->c->native, p->text, p->len, &v, &e)) {
    note_error(f, probe, "", e.msg[0] ? e.msg : vf_strerror(e.code));
    return AU_ERROR;
  }
  return v.pass ? AU_PASS : AU_FAIL;
}

typedef struct native_job {
  au_row *rows;
  bool joint;
  atomic_ullong checks;
} native_job;

static void native_row(void *arg, size_t i) {
  native_job *j = arg;
  au_row *r = &j->rows[i];
  unsigned long long n = 0;
  for (size_t k = 0; !r->it.err.code && k < r->it.nc; k++) {
    au_fn *f = &r->fn[k];
    if (!f->audited || f->c->kind != VF_CK_NATIVE)
      continue;
    for (size_t p = j->joint ? r->nphase1 : 0;
         p < (j->joint ? r->np : r->nphase1); p++) {
      const au_probe *pr = &r->p[p];
      if (j->joint && pr->owner != (int)k && pr->owner2 != (int)k)
        continue;
      f->v1[p] = run_native(f, (int)p, pr);
      if (!j->joint)
        f->v2[p] = run_native(f, (int)p, pr);
      n += j->joint ? 1 : 2;
    }
  }
  atomic_fetch_add(&j->checks, n);
}

static void run_natives(au_exec *x, au_row *rows, size_t n, bool joint) {
  native_job j = {rows, joint, 0};
  vf_parallel(x->threads, n, native_row, &j);
  x->checks += atomic_load(&j.checks);
}

/* ---- the phases ---------------------------------------------------------- */

vf_status au_exec_phase1(au_exec *x, au_row *rows, size_t n, vf_error *err) {
  plan pl = {0};
  vf_status st = VF_OK;
  if (plan_phase1(x, &pl, rows, n))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  else
    st = run_plan(x, &pl, rows, err);
  plan_free(&pl);
  if (!st)
    run_natives(x, rows, n, false);
  return st;
}

vf_status au_exec_joint(au_exec *x, au_row *rows, size_t n, vf_error *err) {
  plan pl = {0};
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    const au_row *r = &rows[i];
    for (size_t p = r->nphase1; p < r->np && !rc; p++) {
      int ks[2] = {r->p[p].owner, r->p[p].owner2};
      for (int s = 0; s < 2 && !rc; s++)
        if (r->fn[ks[s]].c->kind == VF_CK_PYTHON)
          rc = plan_fn(&pl, r, (uint32_t)i, (size_t)ks[s], p, p + 1, 1);
    }
    rc = rc || plan_unit(&pl);
  }
  vf_status st = rc ? vf_set_error(err, VF_ENOMEM, "out of memory")
                    : run_plan(x, &pl, rows, err);
  plan_free(&pl);
  if (!st)
    run_natives(x, rows, n, true);
  return st;
}

void au_exec_free(au_exec *x) {
  for (size_t i = 0; i < x->nmod; i++)
    free(x->mod[i]);
  free(x->mod);
  free(x->mod_ok);
  x->mod = NULL;
  x->mod_ok = NULL;
  x->nmod = x->capmod = 0;
}
