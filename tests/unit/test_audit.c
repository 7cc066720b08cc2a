/*
 * test_audit.c: verif audit's findings, one kind at a time.  Every line of
 * tests/data/audit/kinds.jsonl (and, with the test judge server answering
 * JUDGE:ECHO requests with the prompt itself, kinds_judge.jsonl) holds
 * functions built to show one finding kind, or clean ones, and says in its
 * "expect" field which kinds each constraint must get ([] : none at all).
 * Also: the summary counts equal the records, --filter's two policies, an
 * unreadable line, the plain-text transform the joint probes use, and the
 * code scans.
 */
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../judge_server/spawn.h"
#include "audit/audit.h"
#include "harness.h"

#define KINDS "tests/data/audit/kinds.jsonl"
#define KINDS_JUDGE "tests/data/audit/kinds_judge.jsonl"

static char tmpdir[] = "/tmp/verif-test-audit-XXXXXX";

static void tmp_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", tmpdir, name);
}

static json_t *read_jsonl(const char *path) {
  json_t *a = json_array();
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0)
    json_array_append_new(a, json_loads(line, 0, NULL));
  free(line);
  if (f)
    fclose(f);
  return a;
}

static vf_audit_opts base_opts(const char *input, const char *output) {
  vf_audit_opts o = {.input = input, .output = output,
                     .check_timeout_s = 0.25, .workers = 2};
  return o;
}

/* The record of (line, index), or NULL. */
static json_t *record_of(json_t *recs, size_t line, size_t index) {
  for (size_t i = 0; i < json_array_size(recs); i++) {
    json_t *r = json_array_get(recs, i);
    if ((size_t)json_integer_value(json_object_get(r, "line")) == line &&
        json_is_integer(json_object_get(r, "index")) &&
        (size_t)json_integer_value(json_object_get(r, "index")) == index)
      return r;
  }
  return NULL;
}

static bool has_kind(json_t *rec, const char *kind) {
  json_t *fs = json_object_get(rec, "findings"), *f;
  size_t i;
  json_array_foreach(fs, i, f) {
    if (!strcmp(json_string_value(json_object_get(f, "kind")), kind))
      return true;
  }
  return false;
}

/* Every "expect" of the input holds in the records. */
static void check_expectations(const char *input, json_t *recs) {
  json_t *items = read_jsonl(input);
  for (size_t l = 0; l < json_array_size(items); l++) {
    json_t *it = json_array_get(items, l);
    json_t *exp = json_object_get(it, "expect");
    const char *name = json_string_value(json_object_get(it, "id"));
    for (size_t k = 0; k < json_array_size(exp); k++) {
      json_t *want = json_array_get(exp, k), *rec = record_of(recs, l + 1, k);
      CHECKF(rec, "%s: no record for line %zu index %zu", input, l + 1, k);
      if (!rec)
        continue;
      size_t nf = json_array_size(json_object_get(rec, "findings"));
      if (!json_array_size(want))
        CHECKF(nf == 0, "line %zu (%s) [%zu]: a clean function got %zu "
                        "findings: %s",
               l + 1, name ? name : "?", k, nf,
               json_dumps(json_object_get(rec, "findings"), 0));
      for (size_t w = 0; w < json_array_size(want); w++) {
        const char *kind = json_string_value(json_array_get(want, w));
        CHECKF(has_kind(rec, kind), "line %zu (%s) [%zu]: no %s finding",
               l + 1, name ? name : "?", k, kind);
      }
    }
  }
  json_decref(items);
}

/* The stats equal what the records say. */
static void check_stats(const vf_audit_stats *st, json_t *recs) {
  size_t flagged = 0, per[VF_AUDIT_KIND_COUNT] = {0};
  for (size_t i = 0; i < json_array_size(recs); i++) {
    json_t *r = json_array_get(recs, i);
    flagged += json_array_size(json_object_get(r, "findings")) > 0;
    for (int k = 0; k < VF_AUDIT_KIND_COUNT; k++)
      per[k] += has_kind(r, vf_audit_kind_name((vf_audit_kind)k));
  }
  CHECK(st->constraints + st->item_errors == json_array_size(recs));
  CHECK(st->flagged == flagged);
  for (int k = 0; k < VF_AUDIT_KIND_COUNT; k++)
    CHECKF(st->findings[k] == per[k], "%s: stats %zu, records %zu",
           vf_audit_kind_name((vf_audit_kind)k), st->findings[k], per[k]);
}

static void test_kinds(const vf_ctx *ctx) {
  char out[300], html[300];
  tmp_path(out, sizeof out, "kinds.out");
  tmp_path(html, sizeof html, "kinds.html");
  vf_audit_opts o = base_opts(KINDS, out);
  o.html = html;
  vf_audit_stats st;
  vf_error err = {0};
  vf_status s = vf_audit_run(ctx, &o, &st, &err);
  CHECKF(s == VF_OK, "audit failed: %s", err.msg);
  json_t *recs = read_jsonl(out);
  check_expectations(KINDS, recs);
  check_stats(&st, recs);
  for (int k = 0; k < VF_AUDIT_KIND_COUNT; k++)
    if (k != VF_AUDIT_REJECTS_SATISFYING && k != VF_AUDIT_ACCEPTS_VIOLATING)
      CHECKF(st.findings[k] > 0, "no %s in " KINDS,
             vf_audit_kind_name((vf_audit_kind)k));
  CHECK(st.item_errors == 0 && st.native == 2 && st.llm == 2);
  CHECK(access(html, R_OK) == 0);
  json_decref(recs);
}

/* ---- written probes (the test judge server) ------------------------------ */

static void test_judge(const vf_ctx *ctx, const char *argv0) {
  char exe[1000], out[300];
  judge_srv srv;
  judge_srv_path(argv0, exe, sizeof exe);
  if (judge_srv_start(&srv, exe, NULL, 0)) {
    CHECKF(0, "cannot start %s", exe);
    return;
  }
  tmp_path(out, sizeof out, "judge.out");
  vf_audit_opts o = base_opts(KINDS_JUDGE, out);
  o.judge_urls = srv.url;
  o.judge_model = "test";
  vf_audit_stats st;
  vf_error err = {0};
  CHECKF(vf_audit_run(ctx, &o, &st, &err) == VF_OK, "%s", err.msg);
  CHECK(st.generated == 8);
  json_t *recs = read_jsonl(out);
  check_expectations(KINDS_JUDGE, recs);
  json_decref(recs);
  judge_srv_stop(&srv);
}

/* ---- --filter ---------------------------------------------------------------- */

static void test_filter(const vf_ctx *ctx) {
  char in[300], out[300], filt[300];
  tmp_path(in, sizeof in, "filter.in");
  tmp_path(out, sizeof out, "filter.out");
  tmp_path(filt, sizeof filt, "filter.jsonl");
  json_t *items = read_jsonl(KINDS);
  FILE *f = fopen(in, "w");
  /* the clean item, the vacuous one, a blank line, a broken line, the
   * IFEval row whose one instruction is gameable */
  const size_t pick[] = {0, 1, 13};
  for (size_t i = 0; i < 3; i++) {
    char *s = json_dumps(json_array_get(items, pick[i]), 0);
    fprintf(f, "%s\n%s", s, i == 1 ? "\n{\"id\": 3, \"prompt\": \n" : "");
    free(s);
  }
  fclose(f);
  for (int pol = 0; pol < 2; pol++) {
    vf_audit_opts o = base_opts(in, out);
    o.filter = filt;
    o.policy = pol ? VF_AUDIT_RETAG : VF_AUDIT_DROP;
    vf_audit_stats st;
    vf_error err = {0};
    CHECKF(vf_audit_run(ctx, &o, &st, &err) == VF_OK, "%s", err.msg);
    CHECK(st.items == 4 && st.item_errors == 1);
    json_t *recs = read_jsonl(out), *rows = read_jsonl(filt);
    CHECK(json_array_size(rows) == 3); /* the broken line is left out */
    CHECK(json_equal(json_array_get(rows, 0), json_array_get(items, 0)));
    json_t *vac = json_array_get(rows, 1);
    json_t *cks = json_object_get(vac, "checkers");
    if (pol == 0) {
      CHECK(json_array_size(cks) == 0);
    } else {
      const char *c = json_string_value(json_array_get(cks, 0));
      const char *fn = json_string_value(
          json_array_get(json_object_get(vac, "functions"), 0));
      CHECK(c && !strcmp(c, "[llm] Length: Use at most 100000 words."));
      CHECK(fn && strstr(fn, "return llm_score(instruction, response, "
                             "'Length: Use at most 100000 words.')"));
    }
    json_t *ife = json_array_get(rows, 2);
    CHECK(json_array_size(json_object_get(ife, "instruction_id_list")) == 0);
    CHECK(json_array_size(json_object_get(ife, "kwargs")) == 0);
    size_t errors = 0;
    for (size_t i = 0; i < json_array_size(recs); i++) {
      json_t *r = json_array_get(recs, i);
      const char *e = json_string_value(json_object_get(r, "error"));
      if (!e)
        continue;
      errors++;
      CHECK(json_integer_value(json_object_get(r, "line")) == 4);
      CHECKF(strstr(e, "filter.in:4") != NULL, "%s", e);
    }
    CHECK(errors == 1);
    json_decref(recs);
    json_decref(rows);
  }
  json_decref(items);
}

/* ---- the parts -------------------------------------------------------------- */

static void test_plainify(void) {
  const char *t = "Hello, world: \"a b\" (c)!\nOne two three four five six "
                  "seven eight nine ten eleven twelve thirteen fourteen "
                  "fifteen sixteen. Don't -- stop?";
  size_t len, words;
  char *p = au_plainify(t, strlen(t), 14, &len, &words);
  CHECK(p != NULL);
  if (!p)
    return;
  CHECK(words == 23);
  CHECK(strlen(p) == len);
  CHECK(!strpbrk(p, ",:\"()!?"));
  CHECKF(!strncmp(p, "Hello world a b c.\n\nOne two three", 33), "%s", p);
  CHECK(strstr(p, "fourteen.\n\nfifteen sixteen.") != NULL);
  CHECK(strstr(p, "Don't stop.") != NULL);
  free(p);
}

static void test_scans(void) {
  const char *a = "import re\ndef check_following(instruction, response):\n"
                  "    return len(response) > 3\n";
  const char *b = "def check_following(inst, response):\n"
                  "    return inst in response\n";
  const char *c = "from collections import Counter\nimport os.path, sys as s"
                  "  # note\nfrom . import x\ndef check_following(i, r):\n"
                  "    import nltk; return True\n";
  CHECK(!au_scan_reads_first_arg(a, strlen(a)));
  CHECK(au_scan_reads_first_arg(b, strlen(b)));
  CHECK(!au_scan_calls_llm(a, strlen(a)));
  CHECK(au_scan_calls_llm("x = llm_score(i, r, 'c')", 24));
  CHECK(!au_scan_calls_llm("x = my_llm_scorer(1)", 20));
  char **names = NULL;
  size_t n = 0, cap = 0;
  CHECK(au_scan_imports(c, strlen(c), &names, &n, &cap) == 4);
  const char *want[] = {"collections", "os", "sys", "nltk"};
  for (size_t i = 0; i < n && i < 4; i++)
    CHECKF(!strcmp(names[i], want[i]), "import %zu: %s", i, names[i]);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

static void test_bad_input(const vf_ctx *ctx) {
  vf_audit_opts o = base_opts("/nonexistent/items.jsonl", NULL);
  vf_error err = {0};
  CHECK(vf_audit_run(ctx, &o, NULL, &err) == VF_EIO);
  CHECK(strstr(err.msg, "/nonexistent/items.jsonl") != NULL);
  o = base_opts(KINDS, NULL);
  o.probes = "/nonexistent/probes.jsonl";
  CHECK(vf_audit_run(ctx, &o, NULL, &err) == VF_EIO);
  CHECK(vf_audit_kind_name(VF_AUDIT_KIND_COUNT) == NULL);
  CHECK(!strcmp(vf_audit_kind_name(VF_AUDIT_GAMEABLE), "gameable"));
}

static int remove_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

int main(int argc, char **argv) {
  (void)argc;
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  vf_ctx *ctx = NULL;
  vf_error err = {0};
  if (vf_ctx_new(&ctx, NULL, &err)) {
    fprintf(stderr, "context: %s\n", err.msg);
    return 1;
  }
  test_plainify();
  test_scans();
  test_bad_input(ctx);
  test_kinds(ctx);
  test_filter(ctx);
  test_judge(ctx, argv[0]);
  vf_ctx_free(ctx);
  nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
  return vf_test_summary("test_audit");
}
