/*
 * test_pylit.c: vf_pylit_parse against Python's ast.literal_eval (and
 * json.loads for JSON's literals) on tests/data/pylit/cases.jsonl, written
 * by scripts/gen-pylit-cases.py: the same value, or an error where Python
 * raises or gives what JSON cannot hold; and no crash on cut-off texts.
 */
#include <jansson.h>

#include "harness.h"
#include "text/pylit.h"

static void check_case(const char *where, const json_t *c) {
  const json_t *text = json_object_get(c, "text");
  const json_t *want = json_object_get(c, "value");
  char err[160];
  json_t *got = vf_pylit_parse(json_string_value(text),
                               json_string_length(text), err, sizeof err);
  if (json_is_true(json_object_get(c, "error")))
    CHECKF(got == NULL && err[0], "%s: %s parses, Python refuses it", where,
           json_string_value(text));
  else
    CHECKF(got && json_equal(got, want), "%s: %s: %s", where,
           json_string_value(text), got ? "another value" : err);
  /* every prefix is handled (an error or a value, never a crash) */
  for (size_t k = 0; k < json_string_length(text); k++)
    json_decref(vf_pylit_parse(json_string_value(text), k, err, sizeof err));
  json_decref(got);
}

int main(void) {
  FILE *f = fopen("tests/data/pylit/cases.jsonl", "r");
  CHECK(f != NULL);
  char *line = NULL, where[64];
  size_t cap = 0, n = 0;
  while (f && getline(&line, &cap, f) > 0) {
    snprintf(where, sizeof where, "pylit/cases.jsonl:%zu", ++n);
    json_t *c = json_loads(line, 0, NULL);
    CHECKF(c != NULL, "%s: a case", where);
    if (c)
      check_case(where, c);
    json_decref(c);
  }
  CHECK(n >= 90);
  char deep[2000];
  memset(deep, '[', sizeof deep);
  char err[160];
  CHECK(vf_pylit_parse(deep, sizeof deep, err, sizeof err) == NULL &&
        strstr(err, "nested too deeply"));
  free(line);
  if (f)
    fclose(f);
  return vf_test_summary("pylit");
}
