/*
 * test_lexicon.c: the IFBench family's small tables.  syllapy's count()
 * against syllapy 0.7.2 itself on 39,791 words (tests/data/syllapy/
 * cases.jsonl, scripts/gen-syllapy-cases.py); NLTK's English stop words;
 * the emoji.is_emoji character set; the string table; and the loaders'
 * errors (missing files, malformed lines).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "text/lexicon.h"
#include "text/syllapy.h"

#define SYLLAPY "data/syllapy/data.csv"
#define SYLLAPY_CASES "tests/data/syllapy/cases.jsonl"
#define STOPWORDS "data/nltk_stopwords/english"
#define EMOJI "data/emoji/is_emoji.txt"

static void check_syllapy(void) {
  vf_syllapy *s = NULL;
  vf_error err;
  CHECKF(vf_syllapy_load(SYLLAPY, &s, &err) == VF_OK, "%s", err.msg);
  FILE *f = fopen(SYLLAPY_CASES, "r");
  CHECKF(f != NULL, "%s: cannot open", SYLLAPY_CASES);
  char *line = NULL;
  size_t cap = 0, words = 0, bad = 0;
  while (s && f && getline(&line, &cap, f) > 0) {
    json_t *c = json_loads(line, 0, NULL);
    const json_t *w = json_object_get(c, "words");
    const json_t *k = json_object_get(c, "counts");
    for (size_t i = 0; i < json_array_size(w); i++, words++) {
      const json_t *word = json_array_get(w, i);
      long got = vf_syllapy_count(s, json_string_value(word),
                                  json_string_length(word));
      long want = (long)json_integer_value(json_array_get(k, i));
      if (got != want && bad++ < 10)
        fprintf(stderr, "syllapy.count(\"%s\"): got %ld, want %ld\n",
                json_string_value(word), got, want);
    }
    json_decref(c);
  }
  free(line);
  if (f)
    fclose(f);
  CHECKF(bad == 0 && words > 30000, "%zu of %zu words differ", bad, words);
  vf_syllapy_free(s);
}

static void check_stopwords(void) {
  vf_strtab *t = NULL;
  vf_error err;
  CHECKF(vf_wordset_load(STOPWORDS, &t, &err) == VF_OK, "%s", err.msg);
  if (!t)
    return;
  CHECK(vf_strtab_count(t) == 198);
  CHECK(vf_strtab_get(t, "the", 3, NULL) && vf_strtab_get(t, "a", 1, NULL));
  CHECK(vf_strtab_get(t, "you'll", 6, NULL));
  CHECK(!vf_strtab_get(t, "The", 3, NULL) && !vf_strtab_get(t, "", 0, NULL));
  vf_strtab_free(t);
}

static void check_emoji(void) {
  vf_cpset s;
  vf_error err;
  CHECKF(vf_cpset_load(EMOJI, &s, &err) == VF_OK, "%s", err.msg);
  CHECK(s.n == 147);
  CHECK(vf_cpset_has(&s, 0x1F600) && vf_cpset_has(&s, 0xA9) &&
        vf_cpset_has(&s, 0x2194) && vf_cpset_has(&s, 0x2199));
  CHECK(!vf_cpset_has(&s, 'a') && !vf_cpset_has(&s, '?') &&
        !vf_cpset_has(&s, 0xFE0F) && !vf_cpset_has(&s, 0x200D) &&
        !vf_cpset_has(&s, 0x1F1E6 - 1));
  vf_cpset_free(&s);
}

static void check_strtab(void) {
  vf_strtab *t = vf_strtab_new();
  char key[16];
  for (unsigned i = 0; i < 5000; i++) {
    int n = snprintf(key, sizeof key, "k%u", i);
    CHECK(vf_strtab_put(t, key, (size_t)n, i) == 0);
  }
  CHECK(vf_strtab_put(t, "k7", 2, 70) == 1 && vf_strtab_count(t) == 5000);
  uint32_t v = 0;
  CHECK(vf_strtab_get(t, "k7", 2, &v) && v == 70);
  CHECK(vf_strtab_get(t, "k4999", 5, &v) && v == 4999);
  CHECK(!vf_strtab_get(t, "k5000", 5, &v) && !vf_strtab_get(t, "k", 1, &v));
  CHECK(vf_strtab_put(t, "", 0, 9) == 0 && vf_strtab_get(t, "", 0, &v) &&
        v == 9);
  vf_strtab_free(t);
}

/* str.isdigit() and int()'s digit values, per character. */
static void check_digits(void) {
  CHECK(vf_py_isdigit_cp('7') && vf_py_isdigit_cp(0xB2) &&
        vf_py_isdigit_cp(0x2460) && vf_py_isdigit_cp(0x0663));
  CHECK(!vf_py_isdigit_cp('a') && !vf_py_isdigit_cp(0xBD) &&
        !vf_py_isdigit_cp(0x2155));
  CHECK(vf_py_decimal('7') == 7 && vf_py_decimal(0x0663) == 3 &&
        vf_py_decimal(0x1D7D7) == 9 && vf_py_decimal(0x1D7CE) == 0);
  CHECK(vf_py_decimal(0xB2) == -1 && vf_py_decimal('x') == -1);
}

static void write_file(const char *path, const char *body) {
  FILE *f = fopen(path, "w");
  fputs(body, f);
  fclose(f);
}

static void expect_error(vf_status st, vf_status want, const vf_error *err,
                         const char *needle) {
  CHECKF(st == want && strstr(err->msg, needle), "%d %s (want %s)", st,
         err->msg, needle);
}

static void check_loaders(void) {
  char path[] = "/tmp/vf_lexicon_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  vf_error err = {0};
  vf_syllapy *s = NULL;
  vf_cpset cs;
  vf_strtab *t = NULL;
  expect_error(vf_syllapy_load("/nonexistent/data.csv", &s, &err), VF_EIO,
               &err, "/nonexistent/data.csv: cannot open");
  write_file(path, "cat,1\ndog\n");
  expect_error(vf_syllapy_load(path, &s, &err), VF_EDATA, &err,
               ":2: expected \"word,count\"");
  write_file(path, "\"a,b\",2\n");
  expect_error(vf_syllapy_load(path, &s, &err), VF_EDATA, &err, ":1:");
  write_file(path, "0041\n0030\n");
  expect_error(vf_cpset_load(path, &cs, &err), VF_EDATA, &err,
               ":2: expected a hex code point");
  write_file(path, "# c\n0041..0040\n");
  expect_error(vf_cpset_load(path, &cs, &err), VF_EDATA, &err, ":2:");
  write_file(path, "ok\n\xff\n");
  expect_error(vf_wordset_load(path, &t, &err), VF_EDATA, &err,
               ":2: invalid UTF-8");
  CHECK(s == NULL && t == NULL);
  unlink(path);
}

int main(void) {
  check_syllapy();
  check_stopwords();
  check_emoji();
  check_strtab();
  check_digits();
  check_loaders();
  return vf_test_summary("lexicon");
}
