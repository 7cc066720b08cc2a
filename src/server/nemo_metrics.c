/*
 * nemo_metrics.c: POST /aggregate_metrics, NeMo-Gym's default aggregation of
 * verify responses (nemo_gym/reward_profile.py, compute_aggregate_metrics,
 * at NeMo-Gym 07d6b0d): every numeric top-level field of a response (and of
 * its response.usage; booleans as 0/1) gets mean, max, min, median and std
 * (ddof 1) per task (_ng_task_index; with _ng_rollout_index, required and
 * unique) in group_level_metrics, and
 * over all responses in agent_metrics; key_metrics are the "mean/" entries.
 * A missing field is NaN (skipped); a group whose stds are all NaN (one
 * rollout) gets std 0 for its fields present in every row, as pandas'
 * RewardProfiler does.  tests/data/nemo_gym/aggregate_cases.jsonl holds
 * answers of NeMo's own code (scripts/gen-nemo-aggregate-cases.py).
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

#define TASK_KEY "_ng_task_index"
#define ROLLOUT_KEY "_ng_rollout_index"

/* The numeric table: one row per response, one column per field name. */
typedef struct table {
  json_t *cols;          /* name -> column index (integer) */
  size_t ncols, nrows;
  double **cell;         /* [row][col], NaN when absent (rows realloc'd) */
  size_t *cap;           /* columns allocated per row */
  long long *task, *rollout;
  const json_t **vr;     /* the responses */
} table;

static size_t col_index(table *t, const char *name) {
  json_t *c = json_object_get(t->cols, name);
  if (c)
    return (size_t)json_integer_value(c);
  json_object_set_new(t->cols, name, json_integer((json_int_t)t->ncols));
  return t->ncols++;
}

static int put(table *t, size_t row, const char *name, double v) {
  size_t c = col_index(t, name);
  if (c >= t->cap[row]) {
    size_t cap = c + 16;
    double *p = realloc(t->cell[row], cap * sizeof *p);
    if (!p)
      return -1;
    for (size_t k = t->cap[row]; k < cap; k++)
      p[k] = NAN;
    t->cell[row] = p;
    t->cap[row] = cap;
  }
  t->cell[row][c] = v;
  return 0;
}

static double cell(const table *t, size_t row, size_t col) {
  return col < t->cap[row] ? t->cell[row][col] : NAN;
}

/* bool -> 0/1, numbers as they are; 1 when v is numeric. */
static int numeric(const json_t *v, double *out) {
  if (json_is_boolean(v))
    *out = json_is_true(v);
  else if (json_is_number(v))
    *out = json_number_value(v);
  else
    return 0;
  return 1;
}

/* The numbers of one response: its top-level fields, then its usage's
 * (which win, as in `result | usage`). */
static int fill_row(table *t, size_t row, const json_t *vr,
                    const json_t *usage) {
  const char *k;
  json_t *v;
  double d;
  int rc = put(t, row, TASK_KEY, (double)t->task[row]) ||
           put(t, row, ROLLOUT_KEY, (double)t->rollout[row]);
  json_object_foreach((json_t *)vr, k, v) if (!rc && numeric(v, &d))
      rc = put(t, row, k, d);
  json_object_foreach((json_t *)usage, k, v) if (!rc && numeric(v, &d))
      rc = put(t, row, k, d);
  return rc;
}

/* An index field, an integer NeMo requires of every response (its
 * RewardProfiler keys them by (task, rollout)).  -1 after a 400 answer. */
static int index_of(vf_req *r, const json_t *vr, const char *key, size_t j,
                    long long *out) {
  const json_t *v = json_object_get(vr, key);
  *out = json_integer_value(v);
  if (json_is_integer(v))
    return 0;
  vf_req_fail(r, 400, "field 'verify_responses'[%zu].%s: %s", j, key,
              v ? "must be an integer" : "missing");
  return -1;
}

/* The response's usage object (NULL: none); -1 after a 400 answer. */
static int usage_of(vf_req *r, const json_t *vr, size_t j,
                    const json_t **out) {
  const json_t *resp = json_object_get(vr, "response");
  const json_t *u = json_object_get(resp, "usage");
  const char *bad = resp && !json_is_object(resp) && !json_is_null(resp)
                        ? "response"
                    : u && !json_is_object(u) && !json_is_null(u)
                        ? "response.usage"
                        : NULL;
  if (bad) {
    vf_req_fail(r, 400, "field 'verify_responses'[%zu].%s: must be an object",
                j, bad);
    return -1;
  }
  *out = json_is_object(u) ? u : NULL;
  return 0;
}

/* A row's sort key: (task, rollout), as RewardProfiler sorts them. */
typedef struct rowkey {
  long long task, rollout;
  size_t row;
} rowkey;

static int by_key(const void *a, const void *b) {
  const rowkey *x = a, *y = b;
  if (x->task != y->task)
    return x->task < y->task ? -1 : 1;
  return x->rollout < y->rollout ? -1 : x->rollout > y->rollout;
}

static void table_free(table *t) {
  for (size_t i = 0; t->cell && i < t->nrows; i++)
    free(t->cell[i]);
  free(t->cell);
  free(t->cap);
  free(t->task);
  free(t->rollout);
  free(t->vr);
  json_decref(t->cols);
}

/* Reads the responses into t; 0, or -1 after an answer. */
static int load(vf_req *r, const json_t *list, table *t) {
  size_t n = json_array_size(list);
  t->nrows = n;
  t->cols = json_object();
  t->cell = calloc(n, sizeof *t->cell);
  t->cap = calloc(n, sizeof *t->cap);
  t->task = calloc(n, sizeof *t->task);
  t->rollout = calloc(n, sizeof *t->rollout);
  t->vr = calloc(n, sizeof *t->vr);
  if (!t->cols || !t->cell || !t->cap || !t->task || !t->rollout || !t->vr) {
    vf_req_fail(r, 500, "out of memory");
    return -1;
  }
  for (size_t j = 0; j < n; j++) {
    const json_t *vr = t->vr[j] = json_array_get(list, j);
    if (!json_is_object(vr)) {
      vf_req_fail(r, 400, "field 'verify_responses'[%zu]: must be an object, "
                          "got %s", j, vf_json_kind(vr));
      return -1;
    }
    const json_t *usage = NULL;
    if (usage_of(r, vr, j, &usage) || index_of(r, vr, TASK_KEY, j, &t->task[j]) ||
        index_of(r, vr, ROLLOUT_KEY, j, &t->rollout[j]))
      return -1;
    if (fill_row(t, j, vr, usage)) {
      vf_req_fail(r, 500, "out of memory");
      return -1;
    }
  }
  return 0;
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct stats {
  double mean, max, min, median, std;
  size_t count;
} stats;

/* pandas' skip-NaN mean, max, min, median and std (ddof 1) of v[0..n). */
static stats describe(double *v, size_t n) {
  stats s = {NAN, NAN, NAN, NAN, NAN, 0};
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(v[i]))
      v[m++] = v[i];
  s.count = m;
  if (!m)
    return s;
  qsort(v, m, sizeof *v, cmp_double);
  double sum = 0, dev = 0;
  for (size_t i = 0; i < m; i++)
    sum += v[i];
  s.mean = sum / (double)m;
  for (size_t i = 0; i < m; i++)
    dev += (v[i] - s.mean) * (v[i] - s.mean);
  s.std = m > 1 ? sqrt(dev / (double)(m - 1)) : NAN;
  s.min = v[0];
  s.max = v[m - 1];
  s.median = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
  return s;
}

/* 1 for the columns the statistics leave out (the grouping keys). */
static int skipped(const char *name) {
  return !strcmp(name, ROLLOUT_KEY) || !strcmp(name, TASK_KEY);
}

/* The statistics of rows[0..n) into obj as "stat/column". */
static int level_stats(const table *t, const rowkey *rows, size_t n,
                       json_t *obj) {
  stats *st = calloc(t->ncols ? t->ncols : 1, sizeof *st);
  double *v = malloc((n ? n : 1) * sizeof *v);
  const char **names = calloc(t->ncols ? t->ncols : 1, sizeof *names);
  int rc = !st || !v || !names, all_nan = 1;
  const char *k;
  json_t *ci;
  json_object_foreach(t->cols, k, ci) if (!rc) names[json_integer_value(ci)] = k;
  for (size_t c = 0; !rc && c < t->ncols; c++) {
    if (skipped(names[c]))
      continue;
    for (size_t i = 0; i < n; i++)
      v[i] = cell(t, rows[i].row, c);
    st[c] = describe(v, n);
    all_nan &= isnan(st[c].std);
  }
  for (size_t c = 0; !rc && c < t->ncols; c++) {
    if (skipped(names[c]))
      continue;
    if (all_nan && st[c].count == n)
      st[c].std = 0; /* pandas: one row, std 0 where nothing is missing */
    const double x[5] = {st[c].mean, st[c].max, st[c].min, st[c].median,
                         st[c].std};
    static const char *const stat[5] = {"mean", "max", "min", "median", "std"};
    for (int s = 0; s < 5 && !rc; s++) {
      char key[300];
      snprintf(key, sizeof key, "%s/%s", stat[s], names[c]);
      if (!isnan(x[s]))
        rc = json_object_set_new(obj, key, json_real(x[s]));
    }
  }
  free(st);
  free(v);
  free(names);
  return rc ? -1 : 0;
}

/* ---- the answer --------------------------------------------------------- */

/* rollout_info_from_result: the ids, the reward, usage's and the top
 * level's numbers. */
static json_t *rollout_info(const table *t, size_t j) {
  char id[64];
  snprintf(id, sizeof id, "%lld:%lld", t->task[j], t->rollout[j]);
  json_t *o = json_pack("{s:s, s:I, s:I}", "rollout_id", id, TASK_KEY,
                        (json_int_t)t->task[j], ROLLOUT_KEY,
                        (json_int_t)t->rollout[j]);
  const json_t *vr = t->vr[j];
  const json_t *usage = json_object_get(json_object_get(vr, "response"), "usage");
  const char *k;
  json_t *v;
  double d;
  if (o && json_object_get(vr, "reward"))
    json_object_set(o, "reward", json_object_get(vr, "reward"));
  json_object_foreach((json_t *)usage, k, v) if (o && numeric(v, &d))
      json_object_set(o, k, v);
  json_object_foreach((json_t *)vr, k, v) {
    if (!o || !numeric(v, &d) || !strcmp(k, TASK_KEY) ||
        !strcmp(k, ROLLOUT_KEY) || !strcmp(k, "reward") ||
        !strcmp(k, "response"))
      continue;
    json_object_set_new(o, k, json_is_boolean(v) ? json_integer((json_int_t)d)
                                                 : json_copy(v));
  }
  return o;
}

static json_t *group_entry(const table *t, const rowkey *rows, size_t n) {
  json_t *g = json_pack("{s:I, s:{s:{s:s}}, s:I, s:I, s:i, s:f, s:[]}",
                        TASK_KEY, (json_int_t)rows[0].task, "sample",
                        "agent_ref", "name", "agent", "num_rollouts",
                        (json_int_t)n, "expected_num_rollouts", (json_int_t)n,
                        "missing_num_rollouts", 0,
                        "reward_profile_completion_pct", 100.0,
                        "rollout_infos");
  if (!g || level_stats(t, rows, n, g)) {
    json_decref(g);
    return NULL;
  }
  json_t *infos = json_object_get(g, "rollout_infos");
  for (size_t i = 0; i < n; i++)
    if (json_array_append_new(infos, rollout_info(t, rows[i].row))) {
      json_decref(g);
      return NULL;
    }
  return g;
}

/* The whole answer from the sorted rows; 400 on a repeated key. */
static json_t *aggregate(vf_req *r, const table *t, const rowkey *rows) {
  json_t *out = json_pack("{s:[], s:{}, s:{}}", "group_level_metrics",
                          "agent_metrics", "key_metrics");
  json_t *groups = json_object_get(out, "group_level_metrics");
  for (size_t i = 0, start = 0; out && i < t->nrows; i++) {
    if (i && by_key(&rows[i - 1], &rows[i]) == 0) {
      vf_req_fail(r, 400, "duplicate rollout key (%lld, %lld) in "
                          "'verify_responses' (%s, %s)",
                  rows[i].task, rows[i].rollout, TASK_KEY,
                  ROLLOUT_KEY);
      json_decref(out);
      return NULL;
    }
    if (i + 1 < t->nrows && rows[i + 1].task == rows[i].task)
      continue;
    if (json_array_append_new(groups, group_entry(t, rows + start,
                                                  i + 1 - start)))
      goto oom;
    start = i + 1;
  }
  json_t *agent = json_object_get(out, "agent_metrics");
  if (!out || level_stats(t, rows, t->nrows, agent))
    goto oom;
  const char *k;
  json_t *v;
  json_object_foreach(agent, k, v) if (!strncmp(k, "mean/", 5))
      json_object_set(json_object_get(out, "key_metrics"), k, v);
  return out;
oom:
  json_decref(out);
  vf_req_fail(r, 500, "out of memory");
  return NULL;
}

void vf_proto_aggregate_metrics(vf_req *r) {
  table t = {0};
  json_t *body = vf_req_body(r), *out = NULL;
  rowkey *rows = NULL;
  const json_t *list = json_object_get(body, "verify_responses");
  if (!body)
    goto done;
  if (!json_is_array(list)) {
    vf_req_fail(r, 400, "field 'verify_responses': %s",
                list ? "must be an array of verify responses" : "missing");
    goto done;
  }
  if (load(r, list, &t))
    goto done;
  rows = malloc((t.nrows ? t.nrows : 1) * sizeof *rows);
  if (!rows) {
    vf_req_fail(r, 500, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < t.nrows; i++)
    rows[i] = (rowkey){t.task[i], t.rollout[i], i};
  qsort(rows, t.nrows, sizeof *rows, by_key);
  out = aggregate(r, &t, rows);
  char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
  if (out && (!text || vf_buf_append(&r->out, text, strlen(text))))
    vf_req_fail(r, 500, "out of memory");
  free(text);
done:
  free(rows);
  table_free(&t);
  json_decref(out);
  json_decref(body);
}
