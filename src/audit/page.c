/*
 * page.c: the audit's HTML report, as a document for report/html.c: the
 * summary figures, two charts the page counts from the table (constraints
 * with each finding; findings by constraint category) and the table of
 * every constraint with its findings, its source and the witnessing
 * probes.
 */
#include <string.h>

#include "audit/audit.h"
#include "checks/checks.h"
#include "report/report.h"

static json_t *summary(const vf_audit_stats *s) {
  const struct {
    const char *id, *label;
    double v;
  } f[] = {
      {"sum-items", "items", (double)s->items},
      {"sum-unreadable", "items that could not be read",
       (double)s->item_errors},
      {"sum-constraints", "constraints", (double)s->constraints},
      {"sum-rule", "[rule] functions", (double)s->rule},
      {"sum-native", "native checkers", (double)s->native},
      {"sum-llm", "[llm] checkers (tag check only)", (double)s->llm},
      {"sum-audited", "functions run on probes", (double)s->audited},
      {"sum-flagged", "constraints with findings", (double)s->flagged},
      {"sum-checks", "checks run", (double)s->checks},
      {"sum-seconds", "seconds", s->seconds},
  };
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
    bool secs = !strcmp(f[i].id, "sum-seconds");
    json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:s}", "id", f[i].id,
                                       "label", f[i].label, "value",
                                       secs ? json_real(f[i].v)
                                            : json_integer((json_int_t)f[i].v),
                                       "format", secs ? "num" : "int"));
  }
  return a;
}

static json_t *kinds(void) {
  json_t *a = json_array();
  for (int k = 0; k < VF_AUDIT_KIND_COUNT; k++)
    json_array_append_new(a, json_string(vf_audit_kind_name((vf_audit_kind)k)));
  return a;
}

static json_t *charts(void) {
  return json_pack(
      "[{s:s, s:s, s:s, s:s, s:s, s:o}, {s:s, s:s, s:s, s:s, s:s, s:s, "
      "s:i, s:o}]",
      "id", "by-kind", "title", "Constraints with each finding", "format",
      "int", "count", "findings", "item", "kind", "order", kinds(), "id",
      "by-category", "title", "Findings by constraint category", "format",
      "int", "count", "findings", "item", "kind", "by", "category", "top", 25,
      "order", kinds());
}

static json_t *column(const char *key, const char *label, const char *type) {
  return json_pack("{s:s, s:s, s:s}", "key", key, "label", label, "type", type);
}

static json_t *table(json_t *records) {
  json_t *cols = json_array(), *det = json_array();
  json_array_append_new(cols, column("line", "line", "int"));
  json_array_append_new(cols, column("id", "id", "text"));
  json_array_append_new(cols, column("index", "#", "int"));
  json_array_append_new(cols, column("kind", "kind", "text"));
  json_array_append_new(cols, column("category", "category", "text"));
  json_array_append_new(cols, column("checker", "checker", "text"));
  json_array_append_new(cols, column("pass_rate", "pass rate", "pct"));
  json_t *f = column("findings", "findings", "list");
  json_object_set_new(f, "item", json_string("kind"));
  json_array_append_new(cols, f);
  json_t *recs = column("findings", "findings", "records");
  json_object_set_new(
      recs, "fields",
      json_pack("[s, s, s, s]", "kind", "probe", "detail", "witness"));
  json_array_append_new(det, recs);
  json_array_append_new(det, column("source", "function", "code"));
  json_array_append_new(det, column("error", "error", "text"));
  return json_pack("{s:o, s:O, s:o, s:s, s:b, s:i}", "columns", cols, "rows",
                   records, "details", det, "flag", "findings", "flag_only", 1,
                   "page_size", 100);
}

vf_status au_page_write(const vf_ctx *ctx, const char *path, const char *input,
                        json_t *records, const vf_audit_stats *st,
                        const char *probe_note, vf_error *err) {
  char title[600];
  snprintf(title, sizeof title, "verif audit: %s", input);
  json_t *doc = json_pack(
      "{s:s, s:s, s:[s, s], s:o, s:o, s:o}", "title", title, "subtitle",
      "Verification functions that would mis-train a model", "notes",
      probe_note,
      "A constraint is flagged when it has at least one finding; each "
      "finding names the probe that shows it (open a row to see the "
      "function and the probe).",
      "summary", summary(st), "charts", charts(), "table", table(records));
  if (!doc)
    return vf_set_error(err, VF_ENOMEM, "out of memory");
  vf_status s = vf_report_write(ctx->data_dir, path, doc, err);
  json_decref(doc);
  return s;
}
