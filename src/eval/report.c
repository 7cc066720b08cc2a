/*
 * report.c: vf_eval_html, the HTML page of IFEval and IFBench runs (verif eval
 * --html), drawn by the report writer audit uses too.  It reads each run's
 * eval_results_strict.jsonl and eval_results_loose.jsonl, tallies prompt-
 * and instruction-level accuracy, per category (the id before ':') and per
 * instruction id, and lays the runs side by side: one series per run in
 * every chart, one pair of columns per run in the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "core/tally.h"
#include "report/report.h"
#include "text/text.h"

enum { STRICT, LOOSE };

typedef struct run_tally {
  unsigned long prompts, prompts_ok, instr, instr_ok;
  vf_tallies cat, id;
} run_tally;

/* One result line: adds its prompt and its instructions. */
static vf_status add_line(run_tally *t, const char *line, size_t len,
                          const char *where, vf_error *err) {
  json_error_t je;
  json_t *o = json_loadb(line, len, 0, &je);
  json_t *ids = json_object_get(o, "instruction_id_list");
  json_t *ok = json_object_get(o, "follow_instruction_list");
  vf_status st = VF_OK;
  if (!o || !json_is_array(ids) || !json_is_array(ok) ||
      json_array_size(ids) != json_array_size(ok))
    st = vf_set_error(err, VF_EJSON,
                      "%s: not an evaluation result (expected "
                      "instruction_id_list and follow_instruction_list of one "
                      "length)",
                      where);
  for (size_t i = 0; !st && i < json_array_size(ids); i++) {
    const char *id = json_string_value(json_array_get(ids, i));
    int pass = json_is_true(json_array_get(ok, i));
    const char *colon = id ? strchr(id, ':') : NULL;
    vf_tally *a = id ? vf_tally_get(&t->id, id, strlen(id)) : NULL;
    vf_tally *c = id ? vf_tally_get(&t->cat, id,
                                    colon ? (size_t)(colon - id) : strlen(id))
                     : NULL;
    if (!a || !c) {
      st = vf_set_error(err, id ? VF_ENOMEM : VF_EJSON, "%s: %s", where,
                        id ? "out of memory"
                           : "instruction ids must be "
                             "strings");
      break;
    }
    a->total++, c->total++, t->instr++;
    a->passed += pass, c->passed += pass, t->instr_ok += pass;
  }
  if (!st) {
    t->prompts++;
    t->prompts_ok += json_is_true(json_object_get(o, "follow_all_"
                                                     "instructions"));
  }
  json_decref(o);
  return st;
}

static vf_status read_results(run_tally *t, const char *dir, int which,
                              vf_error *err) {
  char path[1100], where[1200];
  snprintf(path, sizeof path, "%s/eval_results_%s.jsonl", dir,
           which == STRICT ? "strict" : "loose");
  FILE *f = fopen(path, "rb");
  if (!f)
    return vf_set_error(err, VF_EIO, "cannot open %s: %s", path,
                        strerror(errno));
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  vf_status st = VF_OK;
  while (!st) {
    ssize_t n = getline(&line, &cap, f);
    if (n < 0)
      break;
    lineno++;
    if (vf_py_isblank(line, (size_t)n))
      continue;
    snprintf(where, sizeof where, "%s:%zu", path, lineno);
    st = add_line(t, line, (size_t)n, where, err);
  }
  if (!st && ferror(f))
    st = vf_set_error(err, VF_EIO, "read error on %s", path);
  free(line);
  fclose(f);
  vf_tallies_sort(&t->cat);
  vf_tallies_sort(&t->id);
  return st;
}

static double rate(unsigned long ok, unsigned long n) {
  return n ? (double)ok / (double)n : 0.0;
}

/* The accuracy of name in t, or null when the run has none. */
static json_t *acc_of(const vf_tallies *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->t[i].name, name))
      return json_real(rate(t->t[i].passed, t->t[i].total));
  return json_null();
}

static unsigned long count_of(const vf_tallies *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->t[i].name, name))
      return t->t[i].total;
  return 0;
}

/* Every name any run has, in order (from run 0 first). */
static json_t *names(run_tally (*rt)[2], size_t n, bool cat) {
  json_t *out = json_array();
  for (size_t r = 0; r < n; r++) {
    const vf_tallies *t = cat ? &rt[r][STRICT].cat : &rt[r][STRICT].id;
    for (size_t i = 0; i < t->n; i++) {
      bool seen = false;
      for (size_t j = 0; j < json_array_size(out) && !seen; j++)
        seen = !strcmp(json_string_value(json_array_get(out, j)), t->t[i].name);
      if (!seen)
        json_array_append_new(out, json_string(t->t[i].name));
    }
  }
  return out;
}

static json_t *chart(const char *id, const char *title, json_t *cats,
                     const vf_eval_page_run *runs, run_tally (*rt)[2], size_t n,
                     int which, bool cat) {
  json_t *series = json_array();
  for (size_t r = 0; r < n; r++) {
    json_t *vals = json_array();
    const vf_tallies *t = cat ? &rt[r][which].cat : &rt[r][which].id;
    for (size_t i = 0; i < json_array_size(cats); i++) {
      const char *name = json_string_value(json_array_get(cats, i));
      json_array_append_new(vals, acc_of(t, name));
    }
    json_array_append_new(
        series, json_pack("{s:s, s:o}", "name", runs[r].label, "values", vals));
  }
  return json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", id, "title", title,
                   "format", "pct", "categories", cats, "series", series);
}

static json_t *overall(const vf_eval_page_run *runs, run_tally (*rt)[2],
                       size_t n) {
  json_t *series = json_array();
  for (size_t r = 0; r < n; r++) {
    const run_tally *s = &rt[r][STRICT], *l = &rt[r][LOOSE];
    json_array_append_new(series, json_pack("{s:s, s:[f, f, f, f]}", "name",
                                            runs[r].label, "values",
                                            rate(s->prompts_ok, s->prompts),
                                            rate(l->prompts_ok, l->prompts),
                                            rate(s->instr_ok, s->instr),
                                            rate(l->instr_ok, l->instr)));
  }
  return json_pack("{s:s, s:s, s:s, s:[s, s, s, s], s:o}", "id", "overall",
                   "title", "Accuracy", "format", "pct", "categories",
                   "prompt-level strict", "prompt-level loose",
                   "instruction-level strict", "instruction-level loose",
                   "series", series);
}

static json_t *figure(size_t r, const char *suffix, const char *label,
                      const char *what, json_t *value, const char *format) {
  char id[64], text[400];
  snprintf(id, sizeof id, "run%zu-%s", r, suffix);
  snprintf(text, sizeof text, "%s: %s", label, what);
  return json_pack("{s:s, s:s, s:o, s:s}", "id", id, "label", text, "value",
                   value, "format", format);
}

static json_t *summary(const vf_eval_page_run *runs, run_tally (*rt)[2],
                       size_t n) {
  json_t *a = json_array();
  for (size_t r = 0; r < n; r++) {
    const run_tally *s = &rt[r][STRICT], *l = &rt[r][LOOSE];
    const char *lb = runs[r].label;
    json_array_append_new(a,
                          figure(r, "prompts", lb, "prompts",
                                 json_integer((json_int_t)s->prompts), "int"));
    json_array_append_new(
        a, figure(r, "prompt-strict", lb, "prompt-level strict",
                  json_real(rate(s->prompts_ok, s->prompts)), "pct"));
    json_array_append_new(a, figure(r, "prompt-loose", lb, "prompt-level loose",
                                    json_real(rate(l->prompts_ok, l->prompts)),
                                    "pct"));
    json_array_append_new(
        a, figure(r, "instr-strict", lb, "instruction-level strict",
                  json_real(rate(s->instr_ok, s->instr)), "pct"));
    json_array_append_new(
        a, figure(r, "instr-loose", lb, "instruction-level loose",
                  json_real(rate(l->instr_ok, l->instr)), "pct"));
  }
  return a;
}

static json_t *col(const char *key, const char *label, const char *type) {
  return json_pack("{s:s, s:s, s:s}", "key", key, "label", label, "type", type);
}

static void add_run_columns(json_t *cols, size_t r, const char *label) {
  static const char *const what[3][2] = {
      {"n", "int"}, {"strict", "pct"}, {"loose", "pct"}};
  for (int k = 0; k < 3; k++) {
    char key[32], text[300];
    snprintf(key, sizeof key, "%s%zu", what[k][0], r);
    snprintf(text, sizeof text, "%s: %s", label, what[k][0]);
    json_array_append_new(cols, col(key, text, what[k][1]));
  }
}

static json_t *table_row(const char *id, run_tally (*rt)[2], size_t n) {
  const char *colon = strchr(id, ':');
  json_t *row = json_pack("{s:s, s:s%}", "id", id, "category", id,
                          colon ? (size_t)(colon - id) : strlen(id));
  for (size_t r = 0; r < n; r++) {
    char k[32];
    snprintf(k, sizeof k, "n%zu", r);
    json_object_set_new(
        row, k, json_integer((json_int_t)count_of(&rt[r][STRICT].id, id)));
    snprintf(k, sizeof k, "strict%zu", r);
    json_object_set_new(row, k, acc_of(&rt[r][STRICT].id, id));
    snprintf(k, sizeof k, "loose%zu", r);
    json_object_set_new(row, k, acc_of(&rt[r][LOOSE].id, id));
  }
  json_t *a = json_object_get(row, "strict0");
  json_t *b = json_object_get(row, "strict1");
  if (n == 2)
    json_object_set_new(row, "delta",
                        json_is_real(a) && json_is_real(b)
                            ? json_real(json_real_value(b) - json_real_value(a))
                            : json_null());
  return row;
}

static json_t *table(json_t *ids, const vf_eval_page_run *runs,
                     run_tally (*rt)[2], size_t n) {
  json_t *cols = json_array(), *rows = json_array();
  json_array_append_new(cols, col("id", "instruction", "text"));
  json_array_append_new(cols, col("category", "category", "text"));
  for (size_t r = 0; r < n; r++)
    add_run_columns(cols, r, runs[r].label);
  if (n == 2) {
    char text[700];
    snprintf(text, sizeof text, "strict: %s \xe2\x88\x92 %s", runs[1].label,
             runs[0].label);
    json_array_append_new(cols, col("delta", text, "pct"));
  }
  for (size_t i = 0; i < json_array_size(ids); i++)
    json_array_append_new(
        rows, table_row(json_string_value(json_array_get(ids, i)), rt, n));
  return json_pack("{s:o, s:o, s:i}", "columns", cols, "rows", rows,
                   "page_size", 100);
}

static json_t *document(const vf_eval_page_run *runs, run_tally (*rt)[2],
                        size_t n) {
  json_t *cats = names(rt, n, true), *ids = names(rt, n, false);
  char title[700];
  snprintf(title, sizeof title, "verif eval: %s%s%s", runs[0].label,
           n > 1 ? " vs " : "", n > 1 ? runs[1].label : "");
  json_t *charts =
      json_pack("[o, o, o, o, o]", overall(runs, rt, n),
                chart("cat-strict", "Per category, strict",
                      json_deep_copy(cats), runs, rt, n, STRICT, true),
                chart("cat-loose", "Per category, loose", json_deep_copy(cats),
                      runs, rt, n, LOOSE, true),
                chart("id-strict", "Per instruction, strict",
                      json_deep_copy(ids), runs, rt, n, STRICT, false),
                chart("id-loose", "Per instruction, loose", json_deep_copy(ids),
                      runs, rt, n, LOOSE, false));
  json_t *doc =
      json_pack("{s:s, s:s, s:o, s:o, s:o}", "title", title, "subtitle",
                "Accuracy, strict and loose, as the official "
                "evaluator reports it",
                "summary", summary(runs, rt, n), "charts", charts, "table",
                table(ids, runs, rt, n));
  json_decref(cats);
  json_decref(ids);
  return doc;
}

vf_status vf_eval_html(const vf_ctx *ctx, const char *path,
                       const vf_eval_page_run *runs, size_t n, vf_error *err) {
  if (!ctx || !path || !runs || n < 1 || n > 2)
    return vf_set_error(err, VF_EINVAL, "vf_eval_html: one or two runs");
  run_tally rt[2][2];
  memset(rt, 0, sizeof rt);
  vf_status st = VF_OK;
  for (size_t r = 0; r < n && !st; r++)
    for (int w = STRICT; w <= LOOSE && !st; w++)
      st = read_results(&rt[r][w], runs[r].dir, w, err);
  json_t *doc = st ? NULL : document(runs, rt, n);
  if (!st && !doc)
    st = vf_set_error(err, VF_ENOMEM, "out of memory");
  if (!st)
    st = vf_report_write(ctx->data_dir, path, doc, err);
  json_decref(doc);
  for (size_t r = 0; r < 2; r++)
    for (int w = STRICT; w <= LOOSE; w++) {
      vf_tallies_free(&rt[r][w].cat);
      vf_tallies_free(&rt[r][w].id);
    }
  return st;
}
