/*
 * engine.c: the reward engine, the one path every door (verif score, the
 * server, the C API) goes through.  For a batch of items it parses them,
 * runs the native hard checks on threads and the Python ones in the sandbox
 * pool (one vf_pool_run_units for the whole batch, one unit per item: an
 * item's code decides that item's verdicts only), takes the soft verdict, and
 * combines both into one record per item, in input order.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "judge/judge.h"
#include "pyexec/pyexec.h"
#include "reward/reward.h"
#include "reward/summary.h"

enum { MAX_ITEM_JUDGES = 16 };

/* A judge an item named ("judge_url", allowed by judge_url_allow). */
typedef struct item_judge {
  char *url, *model;
  vf_judge *j;
} item_judge;

struct vf_engine {
  const vf_ctx *ctx;
  vf_engine_opts o;
  pthread_mutex_t lock; /* guards pool creation, the summary, xj */
  vf_pool *pool;
  vf_judge *judge; /* NULL: no judge configured */
  item_judge xj[MAX_ITEM_JUDGES]; /* created on first use, kept */
  size_t nxj;
  vf_summary sum;
};

/* The soft verdict of one response. */
typedef enum {
  SOFT_NONE,       /* the item has no [llm] constraint */
  SOFT_UNVERIFIED, /* no judge configured */
  SOFT_SKIPPED,    /* the hard part already fixes the reward: no call */
  SOFT_JUDGED,
  SOFT_UNPARSED,   /* the judge's reply had no [[N]]: 0, as in VerIF */
  SOFT_ERROR       /* the judge failed */
} soft_status;

typedef struct soft {
  soft_status status;
  int pass;
  char *error;
} soft;

/* One item of the batch and what the checks found. */
typedef struct slot {
  vf_item it;
  char where[320];
  vf_check_result *res; /* nresp x nc */
  size_t *answer_off; /* per response: where the scored answer starts */
  soft *soft;         /* per response */
  vf_judge *judge;    /* the item's judge: the engine's, or its own */
} slot;

typedef struct batch {
  vf_engine *e;
  slot *s;
  size_t n;
  const char *const *items;
  const size_t *lens;
} batch;

/* The llm_call bridge: sandboxed code calling llm_score(instruction,
 * response, checkers) reaches the judge through here. */
static int llm_bridge(void *ud, const char *fn, const char *args_json,
                      char **reply_json);

vf_status vf_engine_new(const vf_ctx *ctx, const vf_engine_opts *opts,
                        vf_engine **out, vf_error *err) {
  if (opts && opts->family &&
      !vf_checks_family_named(opts->family, strlen(opts->family)))
    return vf_set_error(err, VF_EINVAL, "unknown checker family '%s' (`verif "
                        "check --list` lists them)", opts->family);
  vf_engine *e = calloc(1, sizeof *e);
  if (!e)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  e->ctx = ctx;
  if (opts)
    e->o = *opts;
  if (e->o.threads <= 0)
    e->o.threads = vf_ncores();
  pthread_mutex_init(&e->lock, NULL);
  /* The sandbox's zygote is a fork: start it before any thread exists (the
   * judge's event thread, a server's threads). */
  vf_pool_opts po = {.workers = e->o.workers,
                     .check_timeout_s = e->o.check_timeout_s,
                     .memory_mb = e->o.memory_mb,
                     .llm = llm_bridge,
                     .llm_ud = e,
                     .isolation = e->o.isolation};
  vf_status pst = vf_pool_new(&po, &e->pool, err);
  if (pst) {
    vf_engine_free(e);
    return pst;
  }
  if (e->o.judge_urls && *e->o.judge_urls) {
    vf_judge_opts jo = {
        .urls = e->o.judge_urls,
        .model = e->o.judge_model,
        .api_key = e->o.judge_api_key,
        .data_dir = ctx->data_dir,
        .template_name = e->o.judge_template,
        .template_file = e->o.judge_template_file,
        .cache_file = e->o.judge_cache,
        .concurrency = e->o.judge_concurrency,
        .timeout_s = e->o.judge_timeout_s,
        .retries = e->o.judge_retries == 0  ? -1
                   : e->o.judge_retries < 0 ? 0
                                            : e->o.judge_retries};
    vf_status st = vf_judge_new(&jo, &e->judge, err);
    if (st) {
      vf_engine_free(e);
      return st;
    }
  }
  *out = e;
  return VF_OK;
}

void vf_engine_free(vf_engine *e) {
  if (!e)
    return;
  vf_pool_free(e->pool);
  vf_judge_free(e->judge);
  for (size_t i = 0; i < e->nxj; i++) {
    vf_judge_free(e->xj[i].j);
    free(e->xj[i].url);
    free(e->xj[i].model);
  }
  vf_summary_free(&e->sum);
  pthread_mutex_destroy(&e->lock);
  free(e);
}


/* ---- parsing --------------------------------------------------------------- */

static void parse_one(void *arg, size_t i) {
  batch *b = arg;
  slot *s = &b->s[i];
  vf_item_parse(b->e->ctx, b->e->o.format, b->e->o.family, b->items[i],
                b->lens[i], s->where,
                &s->it);
  if (s->it.err.code)
    return;
  size_t cells = s->it.nresp * s->it.nc;
  s->res = calloc(cells ? cells : 1, sizeof *s->res);
  s->answer_off = calloc(s->it.nresp ? s->it.nresp : 1, sizeof(size_t));
  s->soft = calloc(s->it.nresp ? s->it.nresp : 1, sizeof *s->soft);
  if (!s->res || !s->answer_off || !s->soft) {
    vf_set_error(&s->it.err, VF_ENOMEM, "out of memory");
    return;
  }
  for (size_t r = 0; r < s->it.nresp; r++) {
    vf_answer_span(s->it.resp[r], s->it.resp_len[r],
                   b->e->o.keep_reasoning || s->it.verbatim, &s->answer_off[r]);
    for (size_t k = 0; k < s->it.nc; k++)
      s->res[r * s->it.nc + k].verdict = -1;
  }
}

/* The judge for url and model: one already made, or a new one with the
 * engine's judge options (no API key: the host was named by a request).
 * Under e->lock.  NULL with err filled. */
static vf_judge *item_judge_get(vf_engine *e, const char *url,
                                const char *model, vf_error *err) {
  for (size_t i = 0; i < e->nxj; i++)
    if (!strcmp(e->xj[i].url, url) && !strcmp(e->xj[i].model, model))
      return e->xj[i].j;
  if (e->nxj == MAX_ITEM_JUDGES) {
    vf_set_error(err, VF_EINVAL, "too many per-request judges (at most %d "
                                 "distinct judge_url and judge_model)",
                 MAX_ITEM_JUDGES);
    return NULL;
  }
  vf_judge_opts jo = {.urls = url, .model = model,
                      .data_dir = e->ctx->data_dir,
                      .template_name = e->o.judge_template,
                      .template_file = e->o.judge_template_file,
                      .concurrency = e->o.judge_concurrency,
                      .timeout_s = e->o.judge_timeout_s,
                      .retries = e->o.judge_retries == 0  ? -1
                                 : e->o.judge_retries < 0 ? 0
                                                          : e->o.judge_retries};
  item_judge *x = &e->xj[e->nxj];
  x->url = strdup(url);
  x->model = strdup(model);
  if (!x->url || !x->model || vf_judge_new(&jo, &x->j, err)) {
    if (!x->url || !x->model)
      vf_set_error(err, VF_ENOMEM, "out of memory");
    free(x->url);
    free(x->model);
    memset(x, 0, sizeof *x);
    return NULL;
  }
  e->nxj++;
  return x->j;
}

/* Each item's judge: the engine's, or the one it names, when its host is
 * in judge_url_allow (else the item is an error, and nothing connects). */
static void resolve_judges(vf_engine *e, batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    slot *s = &b->s[i];
    s->judge = e->judge;
    if (s->it.err.code || !s->it.judge_url)
      continue;
    char why[400];
    vf_error err = {0};
    const char *model = s->it.judge_model ? s->it.judge_model
                                          : e->o.judge_model;
    if (!vf_judge_url_allowed(e->o.judge_url_allow, s->it.judge_url, why,
                              sizeof why)) {
      vf_set_error(&s->it.err, VF_EINVAL, "%s: field 'judge_url': %s",
                   s->where, why);
      continue;
    }
    if (!model) {
      vf_set_error(&s->it.err, VF_EINVAL, "%s: field 'judge_model' is "
                   "needed with 'judge_url' (the server has no "
                   "--judge-model)", s->where);
      continue;
    }
    pthread_mutex_lock(&e->lock);
    s->judge = item_judge_get(e, s->it.judge_url, model, &err);
    pthread_mutex_unlock(&e->lock);
    if (!s->judge)
      vf_set_error(&s->it.err, err.code, "%s: field 'judge_url': %s",
                   s->where, err.msg);
  }
}

static const char *answer(const slot *s, size_t r, size_t *len) {
  *len = s->it.resp_len[r] - s->answer_off[r];
  return s->it.resp[r] + s->answer_off[r];
}

/* ---- native checks ------------------------------------------------------- */

/* A check of an empty answer fails without running: "an empty answer fails
 * every hard check"; IFEval's own rule (strip() non-empty) is the same.
 * A verbatim item's checks run on whatever they are given. */
static void native_check(const slot *s, size_t r, size_t k) {
  const vf_constraint *c = &s->it.c[k];
  vf_check_result *res = &s->res[r * s->it.nc + k];
  size_t len;
  const char *a = answer(s, r, &len);
  vf_verdict v;
  vf_error e;
  if (!s->it.verbatim && vf_py_isblank(a, len)) {
    res->verdict = 0;
  } else if (vf_checker_run(c->native, a, len, &v, &e)) {
    res->error = strdup(e.msg);
  } else {
    res->verdict = (signed char)(v.pass != 0);
    if (v.raised) { /* the reference's check raises here: an exception, as
                       a [rule] function's is (not passed, and said) */
      char msg[300];
      snprintf(msg, sizeof msg, "exception: %s", v.reason);
      res->error = strdup(msg);
    }
  }
}

/* All native checks of item j (every response, every native constraint). */
static void native_item(void *arg, size_t j) {
  batch *b = arg;
  const slot *s = &b->s[j];
  if (s->it.err.code)
    return;
  for (size_t r = 0; r < s->it.nresp; r++)
    for (size_t k = 0; k < s->it.nc; k++)
      if (s->it.c[k].kind == VF_CK_NATIVE)
        native_check(s, r, k);
}

/* ---- Python checks ----------------------------------------------------------- */

typedef struct pyref {
  size_t slot, cell;
} pyref;

static const char *pyerr_name(vf_pyerr_kind k) {
  switch (k) {
  case VF_PYERR_EXCEPTION: return "exception";
  case VF_PYERR_COMPILE: return "compile";
  case VF_PYERR_NOFUNC: return "no check_following";
  case VF_PYERR_TIMEOUT: return "timeout";
  case VF_PYERR_CRASH: return "crash";
  case VF_PYERR_LIMIT: return "limit";
  default: return "error";
  }
}

/* Collects the Python checks of non-empty answers (empty ones fail here),
 * item by item: unit_len[k] gets the number of checks of the k-th item
 * that has any, *nunits how many such items there are. */
static size_t collect_python(batch *b, vf_pycheck *pc, pyref *ref,
                             size_t *unit_len, size_t *nunits) {
  size_t n = 0;
  *nunits = 0;
  for (size_t j = 0; j < b->n; j++) {
    slot *s = &b->s[j];
    size_t before = n;
    if (s->it.err.code)
      continue;
    for (size_t r = 0; r < s->it.nresp; r++)
      for (size_t k = 0; k < s->it.nc; k++) {
        const vf_constraint *c = &s->it.c[k];
        if (c->kind != VF_CK_PYTHON)
          continue;
        size_t len;
        const char *a = answer(s, r, &len);
        if (!s->it.verbatim && vf_py_isblank(a, len)) {
          s->res[r * s->it.nc + k].verdict = 0;
          continue;
        }
        if (pc) {
          pc[n] = (vf_pycheck){.code = c->code, .code_len = c->code_len,
                               .prompt = s->it.prompt,
                               .prompt_len = s->it.prompt_len,
                               .response = a, .response_len = len};
          ref[n] = (pyref){j, r * s->it.nc + k};
        }
        n++;
      }
    if (n > before && unit_len)
      unit_len[*nunits] = n - before;
    *nunits += n > before;
  }
  return n;
}

/* A function that does not compile (or has no check_following) makes its
 * item unscorable; an exception while checking is that check's error and
 * counts as a failure, as in VerIF. */
static void store_python(batch *b, const vf_pycheck *pc, const pyref *ref,
                         size_t n) {
  for (size_t i = 0; i < n; i++) {
    slot *s = &b->s[ref[i].slot];
    vf_check_result *res = &s->res[ref[i].cell];
    size_t k = ref[i].cell % s->it.nc;
    if (pc[i].verdict != VF_PY_ERROR) {
      res->verdict = (signed char)(pc[i].verdict == VF_PY_TRUE);
      continue;
    }
    if ((pc[i].error_kind == VF_PYERR_COMPILE ||
         pc[i].error_kind == VF_PYERR_NOFUNC) &&
        !s->it.err.code) {
      vf_set_error(&s->it.err, VF_EJSON, "%s: field 'functions'[%zu]: %s",
                   s->where, k, pc[i].error);
      s->it.err_kind = pc[i].error_kind == VF_PYERR_COMPILE ? VF_IE_COMPILE
                                                            : VF_IE_NO_FUNCTION;
    }
    res->verdict = 0;
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", pyerr_name(pc[i].error_kind),
             pc[i].error);
    res->error = strdup(msg);
  }
}

static vf_status run_python(batch *b, vf_error *err) {
  size_t nunits, n = collect_python(b, NULL, NULL, NULL, &nunits);
  if (!n)
    return VF_OK;
  vf_pool *pool = b->e->pool;
  vf_pycheck *pc = calloc(n, sizeof *pc);
  pyref *ref = calloc(n, sizeof *ref);
  size_t *unit_len = calloc(nunits, sizeof *unit_len);
  vf_status st = VF_ENOMEM;
  if (pc && ref && unit_len) {
    collect_python(b, pc, ref, unit_len, &nunits);
    st = vf_pool_run_units(pool, pc, n, unit_len, nunits, err);
    if (!st)
      store_python(b, pc, ref, n);
  } else {
    vf_set_error(err, st, "out of memory");
  }
  free(pc);
  free(ref);
  free(unit_len);
  return st;
}

/* ---- combining and records --------------------------------------------- */

typedef struct score {
  double hard;
  int passed, total, soft_total;
  bool all_hard;
} score;

static score hard_score(const slot *s, size_t r) {
  score sc = {0};
  for (size_t k = 0; k < s->it.nc; k++) {
    if (s->it.c[k].kind == VF_CK_LLM) {
      sc.soft_total++;
      continue;
    }
    sc.total++;
    sc.passed += s->res[r * s->it.nc + k].verdict == 1;
  }
  /* no hard check: 1, but open-instruct scores an empty list 0/max(0,1) */
  sc.hard = sc.total ? (double)sc.passed / sc.total : s->it.oi ? 0.0 : 1.0;
  sc.all_hard = sc.passed == sc.total;
  return sc;
}

/* ---- the soft part --------------------------------------------------------- */

/* True when the hard part alone fixes the reward under the combination:
 * a product with hard 0, or "all" with a failed hard check. */
static bool hard_decides(vf_combine how, const score *sc) {
  return (how == VF_COMBINE_PRODUCT && sc->passed == 0 && sc->total > 0) ||
         (how == VF_COMBINE_ALL && !sc->all_hard);
}

typedef struct softref {
  size_t slot, resp;
  const char **checkers;
  vf_judge *judge;
} softref;

/* Decides, for every response with [llm] constraints, whether the judge
 * must be asked; collects those requests (when reqs is not NULL). */
static size_t collect_soft(vf_engine *e, batch *b, vf_judge_req *reqs,
                           softref *refs) {
  size_t n = 0;
  for (size_t j = 0; j < b->n; j++) {
    slot *s = &b->s[j];
    for (size_t r = 0; !s->it.err.code && r < s->it.nresp; r++) {
      score sc = hard_score(s, r);
      soft *sf = &s->soft[r];
      if (!sc.soft_total)
        sf->status = SOFT_NONE;
      else if (!s->judge)
        sf->status = SOFT_UNVERIFIED;
      else if (hard_decides(e->o.combine, &sc))
        sf->status = SOFT_SKIPPED;
      else {
        if (reqs) {
          size_t len;
          const char *a = answer(s, r, &len);
          refs[n] = (softref){j, r, NULL, s->judge};
          reqs[n] = (vf_judge_req){.instruction = s->it.prompt,
                                   .instruction_len = s->it.prompt_len,
                                   .response = a, .response_len = len};
        }
        n++;
      }
    }
  }
  return n;
}

/* The [llm] checker strings of an item, in order (malloc'd array). */
static const char **soft_checkers(const slot *s, size_t *n) {
  const char **c = malloc((s->it.nc ? s->it.nc : 1) * sizeof *c);
  *n = 0;
  for (size_t k = 0; c && k < s->it.nc; k++)
    if (s->it.c[k].kind == VF_CK_LLM)
      c[(*n)++] = s->it.c[k].checker;
  return c;
}

static void store_soft(batch *b, const vf_judge_req *q, const softref *ref,
                       size_t n) {
  for (size_t i = 0; i < n; i++) {
    soft *sf = &b->s[ref[i].slot].soft[ref[i].resp];
    sf->pass = q[i].status == VF_JUDGE_OK && q[i].pass;
    sf->status = q[i].status == VF_JUDGE_OK         ? SOFT_JUDGED
                 : q[i].status == VF_JUDGE_UNPARSED ? SOFT_UNPARSED
                                                    : SOFT_ERROR;
    if (sf->status == SOFT_ERROR)
      sf->error = strdup(q[i].error);
  }
}

/* Runs the requests, each through its item's judge: the requests are put
 * in order of judge and each judge gets its run of them. */
static vf_status judge_groups(vf_judge_req *q, softref *ref, size_t n,
                              vf_error *err) {
  size_t start = 0;
  for (size_t i = 1; i < n; i++) { /* insertion sort: few judges, stable */
    vf_judge_req tq = q[i];
    softref tr = ref[i];
    size_t k = i;
    for (; k > 0 && (uintptr_t)ref[k - 1].judge > (uintptr_t)tr.judge; k--) {
      q[k] = q[k - 1];
      ref[k] = ref[k - 1];
    }
    q[k] = tq;
    ref[k] = tr;
  }
  for (size_t i = 1; i <= n; i++) {
    if (i < n && ref[i].judge == ref[start].judge)
      continue;
    vf_status st = vf_judge_run(ref[start].judge, q + start, i - start, err);
    if (st)
      return st;
    start = i;
  }
  return VF_OK;
}

static vf_status run_soft(vf_engine *e, batch *b, vf_error *err) {
  size_t n = collect_soft(e, b, NULL, NULL);
  if (!n)
    return VF_OK;
  vf_judge_req *q = calloc(n, sizeof *q);
  softref *ref = calloc(n, sizeof *ref);
  vf_status st = VF_ENOMEM;
  if (!q || !ref)
    goto done;
  collect_soft(e, b, q, ref);
  for (size_t i = 0; i < n; i++) {
    ref[i].checkers = soft_checkers(&b->s[ref[i].slot], &q[i].ncheckers);
    if (!ref[i].checkers)
      goto done;
    q[i].checkers = ref[i].checkers;
  }
  st = judge_groups(q, ref, n, err);
  if (!st)
    store_soft(b, q, ref, n);
done:
  if (st == VF_ENOMEM)
    vf_set_error(err, st, "out of memory");
  for (size_t i = 0; ref && i < n; i++)
    free(ref[i].checkers);
  free(q);
  free(ref);
  return st;
}

static const char *soft_name(soft_status st) {
  static const char *const names[] = {"skipped",  "unverified", "skipped",
                                      "judged",   "unparsed",   "error"};
  return names[st];
}

/* The reward; false when there is none (the judge failed). */
static bool combine(const vf_engine *e, const score *sc, const soft *sf,
                    double *reward) {
  bool judged = sf->status == SOFT_JUDGED || sf->status == SOFT_UNPARSED ||
                (sf->status == SOFT_ERROR && e->o.judge_error_zero);
  if (sf->status == SOFT_ERROR && !judged)
    return false;
  double soft_v = judged ? (sf->pass ? 1.0 : 0.0) : 1.0;
  bool soft_ok = !judged || sf->pass;
  switch (e->o.combine) {
  case VF_COMBINE_PRODUCT:
    *reward = sc->hard * soft_v;
    break;
  case VF_COMBINE_AVERAGE: /* without a verdict: the hard part alone */
    *reward = judged ? ((sc->all_hard ? 1.0 : 0.0) + soft_v) / 2.0
                     : (sc->all_hard ? 1.0 : 0.0);
    break;
  default:
    *reward = sc->all_hard && soft_ok ? 1.0 : 0.0;
  }
  return true;
}

static json_t *checks_json(const slot *s, size_t r) {
  json_t *a = json_array();
  const soft *sf = &s->soft[r];
  bool verdict = sf->status == SOFT_JUDGED || sf->status == SOFT_UNPARSED;
  for (size_t k = 0; k < s->it.nc; k++) {
    const vf_check_result *res = &s->res[r * s->it.nc + k];
    const vf_constraint *c = &s->it.c[k];
    json_t *v, *er;
    if (c->kind == VF_CK_LLM) {
      v = verdict ? json_boolean(sf->pass) : json_null();
      er = sf->error ? json_string(sf->error) : json_null();
    } else {
      v = res->verdict < 0 ? json_null() : json_boolean(res->verdict);
      er = res->error ? json_string(res->error) : json_null();
    }
    json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o}", "checker",
                                       c->checker, "kind",
                                       c->kind == VF_CK_LLM ? "llm" : "rule",
                                       "verdict", v, "error", er));
  }
  return a;
}

static json_t *response_record(vf_engine *e, const slot *s, size_t r) {
  score sc = hard_score(s, r);
  const soft *sf = &s->soft[r];
  double reward = 0;
  bool has = combine(e, &sc, sf, &reward);
  bool verdict = sf->status == SOFT_JUDGED || sf->status == SOFT_UNPARSED;
  json_t *soft_j = json_pack("{s:o, s:s}", "verdict",
                             verdict ? json_boolean(sf->pass) : json_null(),
                             "status", soft_name(sf->status));
  json_t *hard = json_pack("{s:f, s:i, s:i}", "score", sc.hard, "passed",
                           sc.passed, "total", sc.total);
  char why[700] = "";
  if (!has)
    snprintf(why, sizeof why, "%s: judge failed: %s", s->where,
             sf->error ? sf->error : "unknown error");
  pthread_mutex_lock(&e->lock);
  vf_summary_response(&e->sum, s->it.c, s->it.nc, &s->res[r * s->it.nc],
                      has ? reward : NAN, soft_name(sf->status),
                      sf->status == SOFT_SKIPPED);
  pthread_mutex_unlock(&e->lock);
  return json_pack("{s:o, s:o, s:o, s:o, s:o}", "reward",
                   has ? json_real(reward) : json_null(), "hard", hard, "soft",
                   soft_j, "checks", checks_json(s, r), "error",
                   has ? json_null() : json_string(why));
}

static char *record(vf_engine *e, const slot *s) {
  json_t *id = s->it.id ? json_incref(s->it.id) : json_null();
  json_t *rec;
  if (s->it.err.code) {
    pthread_mutex_lock(&e->lock);
    vf_summary_error(&e->sum, "item", s->it.err_kind
                                          ? s->it.err_kind
                                          : vf_strerror(s->it.err.code));
    pthread_mutex_unlock(&e->lock);
    rec = json_pack("{s:o, s:n, s:n, s:n, s:n, s:s}", "id", id, "reward",
                    "hard", "soft", "checks", "error", s->it.err.msg);
  } else if (s->it.group) {
    json_t *results = json_array();
    for (size_t r = 0; r < s->it.nresp; r++)
      json_array_append_new(results, response_record(e, s, r));
    rec = json_pack("{s:o, s:o, s:n}", "id", id, "results", results, "error");
  } else {
    json_t *one = response_record(e, s, 0);
    rec = json_pack("{s:o}", "id", id);
    json_object_update(rec, one);
    json_decref(one);
  }
  char *text = rec ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(rec);
  return text;
}

static void free_slot(slot *s) {
  for (size_t i = 0; s->res && i < s->it.nresp * s->it.nc; i++)
    free(s->res[i].error);
  for (size_t r = 0; s->soft && r < s->it.nresp; r++)
    free(s->soft[r].error);
  free(s->soft);
  free(s->res);
  free(s->answer_off);
  vf_item_free(&s->it);
}

vf_status vf_engine_score(vf_engine *e, const char *const *items,
                          const size_t *lens, const char *const *where,
                          size_t n, char **out, vf_error *err) {
  batch b = {e, calloc(n ? n : 1, sizeof(slot)), n, items, lens};
  if (!b.s)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (where && where[i])
      snprintf(b.s[i].where, sizeof b.s[i].where, "%s", where[i]);
    else
      snprintf(b.s[i].where, sizeof b.s[i].where, "item %zu", i);
  }
  vf_parallel(e->o.threads, n, parse_one, &b);
  resolve_judges(e, &b);
  vf_parallel(e->o.threads, n, native_item, &b);
  vf_status st = run_python(&b, err);
  if (!st)
    st = run_soft(e, &b, err);
  for (size_t i = 0; i < n; i++) {
    out[i] = st ? NULL : record(e, &b.s[i]);
    if (!st && !out[i])
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
    free_slot(&b.s[i]);
  }
  free(b.s);
  return st;
}

static unsigned long long soft_count(vf_summary *s, const char *name) {
  vf_tally *t = vf_tally_get(&s->soft, name, strlen(name));
  return t ? t->total : 0;
}

void vf_engine_get_stats(vf_engine *e, vf_engine_stats *o) {
  memset(o, 0, sizeof *o);
  pthread_mutex_lock(&e->lock);
  vf_summary *s = &e->sum;
  o->responses = s->responses;
  o->rewarded = s->rewarded;
  o->item_errors = s->item_errors;
  o->rule_pass = s->rule[0], o->rule_fail = s->rule[1];
  o->rule_error = s->rule[2];
  o->soft_judged = soft_count(s, "judged");
  o->soft_unparsed = soft_count(s, "unparsed");
  o->soft_error = soft_count(s, "error");
  o->soft_unverified = soft_count(s, "unverified");
  o->soft_spared = s->spared;
  o->soft_none = soft_count(s, "skipped") - s->spared;
  pthread_mutex_unlock(&e->lock);
  vf_pool_stats ps;
  vf_pool_get_stats(e->pool, &ps);
  o->py_checks = ps.checks, o->py_errors = ps.errors;
  o->py_timeouts = ps.timeouts, o->py_crashes = ps.crashes;
  o->py_restarts = ps.restarts;
  if (e->judge) {
    vf_judge_stats js;
    vf_judge_get_stats(e->judge, &js);
    o->judge_requests = js.requests, o->judge_calls = js.calls;
    o->judge_cache_hits = js.cache_hits, o->judge_sqlite_hits = js.sqlite_hits;
    o->judge_deduped = js.deduped, o->judge_retries = js.retries;
    o->judge_unparsed = js.unparsed, o->judge_errors = js.errors;
  }
}

/* ---- the llm_call bridge ---------------------------------------------------- */

static int bridge_fail(char **reply, const char *fn, const char *why) {
  size_t n = strlen(fn) + strlen(why) + 16;
  *reply = malloc(n);
  if (*reply)
    snprintf(*reply, n, "llm_call.%s: %s", fn, why);
  return -1;
}

/* llm_score(instruction, response, checkers) as VerIF's llm_call has it:
 * the judge's prompt with {checkers} = str(checkers), the score N of the
 * first [[N]] returned (0 when none).  llm_judge and llm_extract have no
 * counterpart here and raise. */
static int llm_bridge(void *ud, const char *fn, const char *args_json,
                      char **reply_json) {
  vf_engine *e = ud;
  if (!e->judge)
    return bridge_fail(reply_json, fn,
                       "no judge configured (use --judge-url and "
                       "--judge-model)");
  if (strcmp(fn, "llm_score"))
    return bridge_fail(reply_json, fn, "not supported by verif");
  json_t *a = json_loads(args_json, 0, NULL);
  const json_t *ins = json_array_get(a, 0), *resp = json_array_get(a, 1),
               *chk = json_array_get(a, 2);
  vf_judge_req q = {0};
  const char **list = NULL;
  int rc = -1;
  if (!json_is_string(ins) || !json_is_string(resp) || !chk) {
    rc = bridge_fail(reply_json, fn,
                     "expects (instruction: str, response: str, checkers)");
    goto done;
  }
  q.instruction = json_string_value(ins);
  q.instruction_len = json_string_length(ins);
  q.response = json_string_value(resp);
  q.response_len = json_string_length(resp);
  if (json_is_string(chk)) { /* str(a str) is the str itself */
    q.checkers_text = json_string_value(chk);
    q.checkers_text_len = json_string_length(chk);
  } else if (json_is_array(chk)) {
    list = calloc(json_array_size(chk) + 1, sizeof *list);
    for (size_t i = 0; list && i < json_array_size(chk); i++)
      list[i] = json_string_value(json_array_get(chk, i));
    for (size_t i = 0; list && i < json_array_size(chk); i++)
      if (!list[i]) {
        rc = bridge_fail(reply_json, fn, "checkers must be strings");
        goto done;
      }
    q.checkers = list;
    q.ncheckers = json_array_size(chk);
  } else {
    rc = bridge_fail(reply_json, fn, "checkers must be a str or a list");
    goto done;
  }
  vf_error err = {0};
  if (vf_judge_run(e->judge, &q, 1, &err) || q.status == VF_JUDGE_ERROR) {
    rc = bridge_fail(reply_json, fn, err.code ? err.msg : q.error);
    goto done;
  }
  char num[32];
  snprintf(num, sizeof num, "%d", q.score);
  *reply_json = strdup(num);
  rc = *reply_json ? 0 : -1;
done:
  free(list);
  json_decref(a);
  return rc;
}

void vf_engine_report(vf_engine *e, FILE *f) {
  pthread_mutex_lock(&e->lock);
  vf_summary_print(&e->sum, f);
  pthread_mutex_unlock(&e->lock);
  if (e->judge) {
    vf_judge_stats js;
    vf_judge_get_stats(e->judge, &js);
    fprintf(f, "judge: %llu requests, %llu calls, %llu cache hits (%llu from "
               "SQLite), %llu deduplicated in flight, %llu retries, %llu "
               "unparsed, %llu failed\n",
            js.requests, js.calls, js.cache_hits + js.sqlite_hits,
            js.sqlite_hits, js.deduped, js.retries, js.unparsed, js.errors);
  }
}
