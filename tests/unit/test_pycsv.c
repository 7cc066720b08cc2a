/*
 * test_pycsv.c: vf_csv_read against Python's csv.reader(io.StringIO(text),
 * delimiter=d): the rows, or the csv.Error message, on every case of
 * tests/data/pycsv/cases.jsonl (scripts/gen-pycsv-cases.py: hand-written
 * edge cases, the field size limit, 3,000 seeded random texts).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "text/pycsv.h"

#define CASES "tests/data/pycsv/cases.jsonl"

/* The case's text: "text", or built from "build". */
static void case_text(const json_t *c, vf_buf *t) {
  const json_t *text = json_object_get(c, "text");
  const json_t *b = json_object_get(c, "build");
  if (text) {
    vf_buf_append(t, json_string_value(text), json_string_length(text));
    return;
  }
  const char *ch = json_string_value(json_array_get(b, 1));
  json_int_t k = json_integer_value(json_array_get(b, 2));
  vf_buf_append(t, json_string_value(json_array_get(b, 0)),
                strlen(json_string_value(json_array_get(b, 0))));
  for (json_int_t i = 0; i < k; i++)
    vf_buf_append(t, ch, strlen(ch));
  vf_buf_append(t, json_string_value(json_array_get(b, 3)),
                strlen(json_string_value(json_array_get(b, 3))));
}

/* The rows read equal "rows" (or, with "lengths", their lengths). */
static bool rows_agree(const vf_csv *csv, const json_t *want, bool lengths) {
  if (csv->nrows != json_array_size(want))
    return false;
  for (size_t i = 0; i < csv->nrows; i++) {
    const json_t *row = json_array_get(want, i);
    if (vf_csv_row_len(csv, i) != json_array_size(row))
      return false;
    for (size_t k = 0; k < json_array_size(row); k++) {
      size_t len;
      const char *f = vf_csv_field(csv, i, k, &len);
      const json_t *w = json_array_get(row, k);
      bool ok = lengths ? vf_utf8_count(f, len) ==
                              (size_t)json_integer_value(w)
                        : len == json_string_length(w) &&
                              !memcmp(f, json_string_value(w), len);
      if (!ok)
        return false;
    }
  }
  return true;
}

static void one_case(const json_t *c, size_t lineno) {
  vf_buf t = {0};
  vf_csv csv = {0};
  case_text(c, &t);
  char delim = json_string_value(json_object_get(c, "delim"))[0];
  int rc = vf_csv_read(t.data ? t.data : "", t.len, delim, &csv);
  const json_t *error = json_object_get(c, "error");
  const json_t *lengths = json_object_get(c, "lengths");
  if (error)
    CHECKF(rc == 1 && !strcmp(csv.error, json_string_value(error)),
           "%s:%zu: want csv.Error \"%s\", got rc %d (%s)", CASES, lineno,
           json_string_value(error), rc, rc == 1 ? csv.error : "no error");
  else
    CHECKF(rc == 0 && rows_agree(&csv,
                                 lengths ? lengths
                                         : json_object_get(c, "rows"),
                                 lengths != NULL),
           "%s:%zu: rows differ (rc %d, %zu rows)", CASES, lineno, rc,
           csv.nrows);
  vf_csv_free(&csv);
  vf_buf_free(&t);
}

int main(void) {
  FILE *f = fopen(CASES, "r");
  CHECKF(f != NULL, "%s: cannot open", CASES);
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (f && getline(&line, &cap, f) > 0) {
    json_t *c = json_loads(line, JSON_ALLOW_NUL, NULL);
    CHECKF(c != NULL, "%s:%zu: bad line", CASES, n + 1);
    if (c)
      one_case(c, n + 1);
    json_decref(c);
    n++;
  }
  free(line);
  if (f)
    fclose(f);
  CHECKF(n > 3000, "only %zu cases", n);
  return vf_test_summary("pycsv");
}
