/*
 * audit.c: vf_audit_run, the driver of verif audit.  It reads the items in
 * batches (blank lines are not items: skipped and counted), gives each its
 * probes, has the judge write the satisfying and violating ones when one is
 * configured, runs phase one and then the joint probes, derives the
 * findings, checks duplicates in input order, and writes the records, the
 * filtered dataset and, at the end, the summary and the HTML page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "checks/checks.h"
#include "core/parallel.h"
#include "judge/judge.h"

#define CORPUS_FILE "ifeval/input_response_data_gpt4_20231107_145030.jsonl"
#define JOINT_BUDGET (2 * AU_JOINT_PER_PAIR)

typedef struct au_run {
  const vf_ctx *ctx;
  vf_audit_opts o;
  au_corpus corpus;
  au_exec x;
  vf_judge *judge;
  au_gen gen;
  bool have_gen;
  au_dup *dup;
  FILE *in, *out, *filt;
  json_t *page; /* the full records, for the HTML */
  vf_audit_stats st;
  size_t lineno, blank;
  double t0;
  /* the batch */
  char **line;
  size_t *len, *lno;
  au_row *rows;
  size_t n;
} au_run;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *input_name(const au_run *a) {
  return strcmp(a->o.input, "-") ? a->o.input : "stdin";
}

/* ---- reading ------------------------------------------------------------- */

/* Reads up to o.batch non-blank lines; -1 on a read error. */
static int read_batch(au_run *a) {
  a->n = 0;
  while (a->n < a->o.batch) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, a->in);
    if (len < 0) {
      free(line);
      return ferror(a->in) ? -1 : 0;
    }
    a->lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      len--;
    if (vf_py_isblank(line, (size_t)len)) {
      a->blank++;
      free(line);
      continue;
    }
    a->line[a->n] = line;
    a->len[a->n] = (size_t)len;
    a->lno[a->n++] = a->lineno;
  }
  return 0;
}

/* ---- one row ------------------------------------------------------------- */

/* The function text of constraint k, [llm] ones included. */
static const json_t *function_of(const vf_item *it, size_t k) {
  const json_t *holder = it->ground_truth ? it->ground_truth : it->json;
  return json_array_get(json_object_get(holder, "functions"), k);
}

static int setup_fns(au_row *r) {
  size_t nc = r->it.nc;
  r->fn = calloc(nc ? nc : 1, sizeof *r->fn);
  r->ktext = calloc(nc ? nc : 1, sizeof *r->ktext);
  if (!r->fn || !r->ktext)
    return -1;
  for (size_t k = 0; k < nc; k++) {
    au_fn *f = &r->fn[k];
    const vf_constraint *c = &r->it.c[k];
    const json_t *code =
        c->kind == VF_CK_NATIVE ? NULL : function_of(&r->it, k);
    f->c = c;
    f->err_probe = f->imp_probe = -1;
    f->code = json_string_value(code);
    f->code_len = json_string_length(code);
    f->calls_llm = f->code && au_scan_calls_llm(f->code, f->code_len);
    f->audited =
        c->kind == VF_CK_NATIVE || (c->kind == VF_CK_PYTHON && !f->calls_llm);
    f->reads_instruction = c->kind == VF_CK_PYTHON &&
                           au_scan_reads_first_arg(c->code, c->code_len);
    r->ktext[k] = au_constraint_text(&r->it, k);
    if (!r->ktext[k])
      return -1;
  }
  return 0;
}

static int setup_row(au_run *a, au_row *r, size_t i) {
  r->line = a->lno[i];
  r->text = a->line[i];
  r->text_len = a->len[i];
  snprintf(r->where, sizeof r->where, "%s:%zu", input_name(a), r->line);
  vf_item_parse_constraints(a->ctx, a->o.format, a->o.family, r->text,
                            r->text_len, r->where, &r->it);
  if (r->it.err.code)
    return 0;
  if (setup_fns(r))
    return -1;
  int audited = 0;
  for (size_t k = 0; k < r->it.nc; k++)
    audited += r->fn[k].audited;
  int reserve =
      (a->have_gen ? 2 * audited : 0) + (audited >= 2 ? JOINT_BUDGET : 0);
  return au_row_probes(r, &a->corpus, a->o.max_probes, reserve);
}

/* ---- output -------------------------------------------------------------- */

static int put_json(FILE *f, json_t *o) {
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  int rc = s && fprintf(f, "%s\n", s) >= 0 ? 0 : -1;
  free(s);
  json_decref(o);
  return rc;
}

static void count(au_run *a, const au_row *r) {
  for (size_t k = 0; k < r->it.nc; k++) {
    const au_fn *f = &r->fn[k];
    a->st.constraints++;
    a->st.rule += f->c->kind == VF_CK_PYTHON;
    a->st.native += f->c->kind == VF_CK_NATIVE;
    a->st.llm += f->c->kind == VF_CK_LLM;
    a->st.audited += f->audited;
    a->st.flagged += f->nf > 0;
    unsigned seen = 0;
    for (size_t i = 0; i < f->nf; i++)
      seen |= 1u << f->f[i].kind;
    for (int kd = 0; kd < VF_AUDIT_KIND_COUNT; kd++)
      a->st.findings[kd] += (seen >> kd) & 1;
  }
}

static int write_filter(au_run *a, const au_row *r) {
  if (!a->filt || r->it.err.code)
    return 0;
  bool changed;
  int oom;
  unsigned kinds =
      a->o.filter_kinds ? a->o.filter_kinds : au_default_filter_kinds();
  char *s = au_filter_row(r, a->o.policy, kinds, &changed, &oom);
  int rc =
      oom ? -1
      : fprintf(a->filt, "%.*s\n", (int)(changed ? strlen(s) : r->text_len),
                changed ? s : r->text) < 0
          ? -1
          : 0;
  free(s);
  return rc;
}

static int write_row(au_run *a, const au_row *r) {
  a->st.items++;
  if (r->it.err.code) {
    a->st.item_errors++;
    if (a->page && json_array_append_new(a->page, au_error_record(r)))
      return -1;
    return a->out ? put_json(a->out, au_error_record(r)) : 0;
  }
  count(a, r);
  for (size_t k = 0; k < r->it.nc; k++) {
    if (a->out && put_json(a->out, au_record(r, k, false)))
      return -1;
    if (a->page && json_array_append_new(a->page, au_record(r, k, true)))
      return -1;
  }
  return write_filter(a, r);
}

/* ---- a batch ------------------------------------------------------------- */

static vf_status analyse(au_run *a, vf_error *err) {
  for (size_t i = 0; i < a->n; i++)
    if (au_find_joint_candidates(&a->rows[i], JOINT_BUDGET))
      return vf_set_error(err, VF_ENOMEM, "out of memory");
  vf_status st = au_exec_joint(&a->x, a->rows, a->n, err);
  for (size_t i = 0; !st && i < a->n; i++)
    if (au_find_row(&a->rows[i], &a->x) || au_dup_row(a->dup, &a->rows[i]))
      st = vf_set_error(err, VF_ENOMEM, "out of memory");
  return st;
}

static vf_status run_batch(au_run *a, vf_error *err) {
  for (size_t i = 0; i < a->n; i++)
    if (setup_row(a, &a->rows[i], i))
      return vf_set_error(err, VF_ENOMEM, "out of memory");
  if (a->have_gen)
    au_gen_rows(&a->gen, a->rows, a->n);
  for (size_t i = 0; i < a->n; i++)
    a->rows[i].nphase1 = a->rows[i].np;
  vf_status st = au_exec_phase1(&a->x, a->rows, a->n, err);
  if (!st)
    st = analyse(a, err);
  for (size_t i = 0; !st && i < a->n; i++)
    if (write_row(a, &a->rows[i]))
      st = vf_set_error(err, VF_EIO, "cannot write the audit's output: %s",
                        strerror(errno));
  return st;
}

static void free_batch(au_run *a) {
  for (size_t i = 0; i < a->n; i++) {
    au_row_free(&a->rows[i]);
    free(a->line[i]);
  }
  a->n = 0;
}

static void progress(au_run *a) {
  if (!a->o.progress || !a->o.log)
    return;
  double el = now_s() - a->t0;
  fprintf(a->o.log,
          "\raudit: %zu items, %zu functions audited, %llu checks "
          "(%.0f/s)  ",
          a->st.items, a->st.audited, a->x.checks,
          el > 0 ? (double)a->x.checks / el : 0.0);
  fflush(a->o.log);
}

static vf_status loop(au_run *a, vf_error *err) {
  vf_status st = VF_OK;
  while (!st) {
    if (read_batch(a) < 0)
      st = vf_set_error(err, VF_EIO, "read error on %s: %s", input_name(a),
                        strerror(errno));
    if (st || !a->n)
      break;
    st = run_batch(a, err);
    free_batch(a);
    progress(a);
  }
  free_batch(a);
  if (a->o.progress && a->o.log)
    fputc('\n', a->o.log);
  return st;
}

/* ---- setting up ---------------------------------------------------------- */

static int judge_write(void *ud, au_gen_mode mode, const char *prompt,
                       size_t len, char **reply, vf_error *err) {
  (void)mode;
  return vf_judge_complete(ud, prompt, len, reply, err) ? -1 : 0;
}

static vf_status start_judge(au_run *a, vf_error *err) {
  vf_judge_opts jo = {.urls = a->o.judge_urls,
                      .model = a->o.judge_model,
                      .api_key = a->o.judge_api_key,
                      .data_dir = a->ctx->data_dir,
                      .concurrency = a->o.judge_concurrency,
                      .timeout_s = a->o.judge_timeout_s,
                      .retries = -1,
                      .max_tokens = 2048};
  vf_status st = vf_judge_new(&jo, &a->judge, err);
  if (!st)
    st = au_gen_init(&a->gen, a->ctx->data_dir, judge_write, a->judge,
                     a->o.judge_concurrency, err);
  a->have_gen = st == VF_OK;
  return st;
}

static vf_status open_files(au_run *a, vf_error *err) {
  a->in = strcmp(a->o.input, "-") ? fopen(a->o.input, "rb") : stdin;
  if (!a->in)
    return vf_set_error(err, VF_EIO, "cannot open %s: %s", a->o.input,
                        strerror(errno));
  if (a->o.output)
    a->out = strcmp(a->o.output, "-") ? fopen(a->o.output, "wb") : stdout;
  if (a->o.output && !a->out)
    return vf_set_error(err, VF_EIO, "cannot create %s: %s", a->o.output,
                        strerror(errno));
  if (a->o.filter)
    a->filt = fopen(a->o.filter, "wb");
  if (a->o.filter && !a->filt)
    return vf_set_error(err, VF_EIO, "cannot create %s: %s", a->o.filter,
                        strerror(errno));
  return VF_OK;
}

static vf_status start(au_run *a, vf_error *err) {
  vf_status st = open_files(a, err);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", a->ctx->data_dir, CORPUS_FILE);
  if (!st)
    st = au_corpus_load(&a->corpus, a->o.probes ? a->o.probes : path,
                        a->o.probes != NULL, err);
  vf_pool_opts po = {.workers = a->o.workers,
                     .check_timeout_s = a->o.check_timeout_s,
                     .memory_mb = a->o.memory_mb,
                     .isolation = a->o.isolation};
  /* The sandbox's zygote is a fork: start it before the judge's thread. */
  if (!st)
    st = vf_pool_new(&po, &a->x.pool, err);
  if (!st && a->o.judge_urls && *a->o.judge_urls)
    st = start_judge(a, err);
  a->dup = st ? NULL : au_dup_new();
  a->page = st || !a->o.html ? NULL : json_array();
  a->line = calloc(a->o.batch, sizeof *a->line);
  a->len = calloc(a->o.batch, sizeof *a->len);
  a->lno = calloc(a->o.batch, sizeof *a->lno);
  a->rows = calloc(a->o.batch, sizeof *a->rows);
  if (!st && (!a->dup || (a->o.html && !a->page) || !a->line || !a->len ||
              !a->lno || !a->rows))
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  return st;
}

static int close_out(FILE *f) {
  if (!f || f == stdout)
    return f && fflush(f) ? -1 : 0;
  return fclose(f) ? -1 : 0;
}

static vf_status finish(au_run *a, vf_status st, vf_error *err) {
  if (a->in && a->in != stdin)
    fclose(a->in);
  int bad = close_out(a->out) | close_out(a->filt);
  if (!st && bad)
    st = vf_set_error(err, VF_EIO, "cannot write the audit's output: %s",
                      strerror(errno));
  vf_pool_free(a->x.pool);
  au_exec_free(&a->x);
  if (a->have_gen)
    au_gen_free(&a->gen);
  vf_judge_free(a->judge);
  au_dup_free(a->dup);
  au_corpus_free(&a->corpus);
  json_decref(a->page);
  free(a->line);
  free(a->len);
  free(a->lno);
  free(a->rows);
  return st;
}

static void print_summary(const au_run *a, FILE *f);

/* What the row processes cost, from their own reports (zeros in
 * VF_ISOLATION_SHARED). */
static void pool_costs(vf_pool *p, vf_audit_stats *st) {
  vf_pool_stats ps;
  vf_pool_get_stats(p, &ps);
  const vf_pool_costs *c = &ps.costs;
  double exit_s = c->exited_s > c->done_s ? c->exited_s - c->done_s : 0;
  st->processes = c->spawns;
  st->process_cpu_s = c->spawn_s + c->exited_s;
  st->start_cpu_s = c->spawn_s + c->setup_s + exit_s;
}

static void probe_note(const au_run *a, char *out, size_t n) {
  snprintf(out, n,
           "at most %d probes per function: empty, whitespace, a %zu-byte "
           "text with its plain, terse and sized forms and with each "
           "constraint's quoted phrases, the prompt and each constraint "
           "echoed, the task inside <think> only, %s%s%s; a "
           "second run on 16 of them, a third with `instruction` = "
           "\"instruction\" where the code may read it",
           a->o.max_probes, a->corpus.longlen,
           a->corpus.user ? "responses sampled from "
                          : "unrelated responses "
                            "sampled from IFEval's "
                            "GPT-4 responses",
           a->corpus.user ? a->o.probes : "",
           a->have_gen ? " (+ LLM-written satisfying and violating ones)" : "");
}

vf_status vf_audit_run(const vf_ctx *ctx, const vf_audit_opts *o,
                       vf_audit_stats *stats, vf_error *err) {
  if (!ctx || !o || !o->input)
    return vf_set_error(err, VF_EINVAL, "vf_audit_run: no input");
  au_run a = {.ctx = ctx, .o = *o, .t0 = now_s()};
  if (a.o.max_probes <= 0)
    a.o.max_probes = 32;
  if (!a.o.batch)
    a.o.batch = 256;
  a.x.threads = vf_ncores();
  vf_status st = start(&a, err);
  if (!st)
    st = loop(&a, err);
  a.st.checks = a.x.checks;
  a.st.sandbox_seconds = a.x.pool_seconds;
  if (a.x.pool)
    pool_costs(a.x.pool, &a.st);
  a.st.generated = a.gen.made;
  a.st.seconds = now_s() - a.t0;
  if (!st && a.o.log)
    print_summary(&a, a.o.log);
  char note[600];
  probe_note(&a, note, sizeof note);
  if (!st && a.page)
    st = au_page_write(ctx, a.o.html, input_name(&a), a.page, &a.st, note, err);
  if (stats)
    *stats = a.st;
  return finish(&a, st, err);
}

/* ---- the summary --------------------------------------------------------- */

static void print_summary(const au_run *a, FILE *f) {
  const vf_audit_stats *s = &a->st;
  fprintf(f,
          "audit: %zu items (%zu could not be read, %zu blank lines "
          "skipped), %zu constraints: %zu [rule], %zu native, %zu [llm]\n",
          s->items, s->item_errors, a->blank, s->constraints, s->rule,
          s->native, s->llm);
  fprintf(f,
          "audited %zu functions with %llu checks in %.1f s (%.0f "
          "checks/s, %.1f s in the sandbox)\n",
          s->audited, s->checks, s->seconds,
          s->seconds > 0 ? (double)s->checks / s->seconds : 0.0,
          a->x.pool_seconds);
  if (a->have_gen)
    fprintf(f, "LLM-written probes: %llu (%llu failed%s%s)\n", a->gen.made,
            a->gen.failed, a->gen.failed ? ", last: " : "",
            a->gen.failed ? a->gen.last_error : "");
  fprintf(f, "flagged: %zu constraints\nfindings by kind (constraints):\n",
          s->flagged);
  for (int k = 0; k < VF_AUDIT_KIND_COUNT; k++)
    fprintf(f, "  %-20s %zu\n", vf_audit_kind_name((vf_audit_kind)k),
            s->findings[k]);
}
