/*
 * test_cases.c: runs every data-driven checker case in tests/cases/ (*.jsonl).
 * One JSON object a line:
 *   {"id", "kwargs", "response", "expect": bool}      check_following()
 *   {"id", "kwargs", "response", "strict": bool, "loose": bool}
 *                                                      IFEval's two modes
 *   {"id", "kwargs", "error": "substring"}             building must fail
 *   optional "reason": "substring" of the failure reason, "note": free text,
 *   "raises": the exception the reference's check raised (vf_verdict.raised
 *   must be set exactly there),
 *   "family": the checker family the id is looked up in (as "family/id").
 * A new case is one line; the file and line of a failing case are printed.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>

#include "harness.h"

static const vf_ctx *ctx;

static void run_checker(const char *where, json_t *c, vf_checker *chk) {
  const json_t *r = json_object_get(c, "response");
  const json_t *expect = json_object_get(c, "expect");
  const json_t *reason = json_object_get(c, "reason");
  vf_verdict v;
  vf_error err = {0};
  vf_status st = vf_checker_run(chk, json_string_value(r),
                                json_string_length(r), &v, &err);
  CHECKF(st == VF_OK, "%s: run failed: %s", where, err.msg);
  if (st)
    return;
  CHECKF(v.pass == json_is_true(expect), "%s: expected %s, got %s (%s)", where,
         json_is_true(expect) ? "pass" : "fail", v.pass ? "pass" : "fail",
         v.reason);
  /* "raises": the reference's check raised there; verif must say so */
  bool raises = json_object_get(c, "raises") != NULL;
  CHECKF(v.raised == raises, "%s: the reference %s, verif %s (%s)", where,
         raises ? "raises" : "does not raise", v.raised ? "does" : "does not",
         v.reason);
  if (reason)
    CHECKF(strstr(v.reason, json_string_value(reason)) != NULL,
           "%s: reason \"%s\" lacks \"%s\"", where, v.reason,
           json_string_value(reason));
}

static void run_prompt(const char *where, json_t *c, const char *id) {
  json_t *p = json_pack("{s:s, s:[s], s:[O]}", "prompt", "case",
                        "instruction_id_list", id, "kwargs",
                        json_object_get(c, "kwargs"));
  char *text = json_dumps(p, 0);
  vf_prompt *pr = NULL;
  vf_error err = {0};
  vf_status st = vf_prompt_parse(ctx, text, strlen(text), where, &pr, &err);
  CHECKF(st == VF_OK, "%s: %s", where, err.msg);
  if (!st) {
    const json_t *r = json_object_get(c, "response");
    unsigned char s = 2, l = 2;
    st = vf_prompt_eval(pr, json_string_value(r), json_string_length(r), &s,
                        &l, &err);
    CHECKF(st == VF_OK, "%s: %s", where, err.msg);
    CHECKF(s == json_is_true(json_object_get(c, "strict")),
           "%s: strict expected %d, got %d", where,
           json_is_true(json_object_get(c, "strict")), s);
    CHECKF(l == json_is_true(json_object_get(c, "loose")),
           "%s: loose expected %d, got %d", where,
           json_is_true(json_object_get(c, "loose")), l);
  }
  vf_prompt_free(pr);
  free(text);
  json_decref(p);
}

static void run_case(const char *where, json_t *c) {
  const char *fam = json_string_value(json_object_get(c, "family"));
  const char *bare = json_string_value(json_object_get(c, "id"));
  char id[300];
  snprintf(id, sizeof id, "%s%s%s", fam ? fam : "", fam ? "/" : "",
           bare ? bare : "");
  const json_t *kw = json_object_get(c, "kwargs");
  const json_t *error = json_object_get(c, "error");
  char *kwtext = kw ? json_dumps(kw, JSON_ENCODE_ANY) : NULL;
  vf_checker *chk = NULL;
  vf_error err = {0};
  vf_status st = vf_checker_new(ctx, id, kwtext, &chk, &err);
  if (error) {
    CHECKF(st != VF_OK && strstr(err.msg, json_string_value(error)),
           "%s: expected error containing \"%s\", got \"%s\"", where,
           json_string_value(error), st ? err.msg : "success");
  } else {
    CHECKF(st == VF_OK, "%s: %s", where, err.msg);
    if (!st && json_object_get(c, "expect"))
      run_checker(where, c, chk);
    if (!st && json_object_get(c, "strict"))
      run_prompt(where, c, id);
  }
  vf_checker_free(chk);
  free(kwtext);
}

static int run_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  char *line = NULL, where[700];
  size_t cap = 0, lineno = 0;
  int n = 0;
  for (ssize_t len = getline(&line, &cap, f); len > 0;
       len = getline(&line, &cap, f)) {
    lineno++;
    if (len <= 1 || line[0] == '#')
      continue;
    snprintf(where, sizeof where, "%s:%zu", path, lineno);
    json_error_t je;
    json_t *c = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &je);
    CHECKF(c != NULL, "%s: bad case line: %s", where, je.text);
    if (c) {
      run_case(where, c);
      n++;
    }
    json_decref(c);
  }
  free(line);
  fclose(f);
  return n;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  vf_ctx *c = NULL;
  vf_error err = {0};
  CHECKF(vf_ctx_new(&c, NULL, &err) == VF_OK, "context: %s", err.msg);
  ctx = c;
  DIR *d = opendir("tests/cases");
  CHECK(d != NULL);
  char *names[256];
  size_t nn = 0;
  for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
    size_t l = strlen(e->d_name);
    if (l > 6 && !strcmp(e->d_name + l - 6, ".jsonl") && nn < 256)
      names[nn++] = strdup(e->d_name);
  }
  if (d)
    closedir(d);
  qsort(names, nn, sizeof *names, cmp_str);
  int total = 0;
  for (size_t i = 0; i < nn; i++) {
    char p[600];
    snprintf(p, sizeof p, "tests/cases/%s", names[i]);
    int n = run_file(p);
    printf("  %s: %d cases\n", p, n);
    total += n;
    free(names[i]);
  }
  CHECK(total > 0);
  vf_ctx_free(c);
  return vf_test_summary("cases");
}
