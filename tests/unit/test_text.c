/*
 * test_text.c: the text core against Python's own answers.  Cases come from
 * tests/data/pystr.jsonl (written by scripts/gen-pystr-cases.py with
 * Python 3.11): strip, lower, isupper, islower, split, \w+ and \s+ counts,
 * json.loads acceptance.  Then float repr, json.dumps escaping and the
 * regex wrapper's Python-specific behaviour.
 */
#include <jansson.h>

#include "harness.h"
#include "text/jsonl.h"
#include "text/pyjson.h"
#include "text/regex.h"
#include "text/text.h"

static bool same(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && (an == 0 || !memcmp(a, b, an));
}

static long count(const char *pat, const char *s, size_t n) {
  vf_re *re;
  vf_error err;
  if (vf_re_compile(pat, strlen(pat), 0, &re, &err))
    return -2;
  long k = vf_re_count(re, s, n);
  vf_re_free(re);
  return k;
}

static void check_split(const char *s, size_t n, const json_t *want,
                        size_t line) {
  size_t pos = 0, wb, we, k = 0;
  bool ok = true;
  while (vf_py_split_next(s, n, &pos, &wb, &we)) {
    const json_t *w = json_array_get(want, k++);
    ok = ok && w && same(s + wb, we - wb, json_string_value(w),
                         json_string_length(w));
  }
  CHECKF(ok && k == json_array_size(want), "pystr.jsonl:%zu split", line);
}

static void one_case(const json_t *c, size_t line) {
  const json_t *js = json_object_get(c, "s");
  const char *s = json_string_value(js);
  size_t n = json_string_length(js);
  size_t b = 0, e = n;
  vf_py_strip(s, &b, &e);
  const json_t *st = json_object_get(c, "strip");
  CHECKF(same(s + b, e - b, json_string_value(st), json_string_length(st)),
         "pystr.jsonl:%zu strip", line);
  vf_buf low = {0};
  vf_py_lower(s, n, &low);
  const json_t *lw = json_object_get(c, "lower");
  CHECKF(same(low.data ? low.data : "", low.len, json_string_value(lw),
              json_string_length(lw)),
         "pystr.jsonl:%zu lower: got \"%s\"", line, low.data ? low.data : "");
  vf_buf_free(&low);
  CHECKF(vf_py_str_isupper(s, n) == json_is_true(json_object_get(c, "isupper")),
         "pystr.jsonl:%zu isupper", line);
  CHECKF(vf_py_str_islower(s, n) == json_is_true(json_object_get(c, "islower")),
         "pystr.jsonl:%zu islower", line);
  check_split(s, n, json_object_get(c, "split"), line);
  CHECKF(count("\\w+", s, n) == json_integer_value(json_object_get(c, "words")),
         "pystr.jsonl:%zu \\w+ count %ld", line, count("\\w+", s, n));
  CHECKF(count("\\s+", s, n) == json_integer_value(json_object_get(c, "ws_runs")),
         "pystr.jsonl:%zu \\s+ count", line);
  CHECKF(vf_pyjson_valid(s, n) == json_is_true(json_object_get(c, "json")),
         "pystr.jsonl:%zu json.loads of \"%s\"", line, s);
  const json_t *dumps = json_object_get(c, "dumps");
  vf_buf d = {0};
  vf_pyjson_dump_str(&d, s, n);
  CHECKF(same(d.data, d.len, json_string_value(dumps), json_string_length(dumps)),
         "pystr.jsonl:%zu json.dumps: %s", line, d.data);
  vf_buf_free(&d);
}

/* v without its null object members, recursively (what the sparse tree
 * builds). */
static void drop_nulls(json_t *v) {
  if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++)
      drop_nulls(json_array_get(v, i));
    return;
  }
  const char *k;
  json_t *m;
  void *tmp;
  json_object_foreach_safe(v, tmp, k, m) {
    if (json_is_null(m))
      json_object_del(v, k);
    else
      drop_nulls(m);
  }
}

/* vf_jsonl_tree_sparse builds json_loadb's tree less its null members. */
static void sparse_line(const char *path, int lineno, const char *line,
                        size_t len) {
  json_t *fast = vf_jsonl_tree_sparse(line, len);
  json_t *ref = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
  drop_nulls(ref);
  CHECKF(!fast || json_equal(fast, ref), "%s:%d: sparse tree differs", path,
         lineno);
  json_decref(fast);
  json_decref(ref);
}

/* vf_jsonl_tree builds what json_loadb builds, or declines (NULL). */
static int tree_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  char *line = NULL;
  size_t cap = 0;
  int lines = 0;
  for (ssize_t n = getline(&line, &cap, f); n > 0; n = getline(&line, &cap, f)) {
    for (size_t cut = (size_t)n; cut + 40 > (size_t)n && cut > 0; cut -= 7) {
      json_t *fast = vf_jsonl_tree(line, cut);
      json_t *ref = json_loadb(line, cut, JSON_ALLOW_NUL, NULL);
      char *a = fast ? json_dumps(fast, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
      char *b = ref ? json_dumps(ref, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
      CHECKF(!fast || (b && !strcmp(a, b)), "%s:%d (cut at %zu): fast tree differs",
             path, lines + 1, cut);
      free(a);
      free(b);
      json_decref(fast);
      json_decref(ref);
    }
    sparse_line(path, lines + 1, line, (size_t)n);
    lines++;
  }
  free(line);
  fclose(f);
  return lines;
}

static void test_jsonl_tree(void) {
  CHECK(tree_file(VF_IFEVAL_INPUTS) == 541);
  CHECK(tree_file("tests/cases/ifeval.jsonl") > 400);
  CHECK(tree_file("tests/data/ifbench/IFBench_test_2025-07_8a66c06.jsonl") ==
        294); /* reals such as 4.0 among the kwargs */
  const char *odd[] = {"{\"a\": 1.5}", "{\"a\": 123456789012345678901}",
                       "{\"a\": 0.1}", "{\"a\": -0.0}", "{\"a\": 1e5}",
                       "{\"a\": 1.}", "{\"a\": 01.5}", "{\"a\": -.5}",
                       "{\"a\": 0.1000000000000000055511151231257827}",
                       "{\"a\": 123456789012345678.5}", "{\"a\": 2.5E3}",
                       "{\"a\": [4.0, -7.25, {\"b\": 0.000001}]}",
                       "{\"a\": 1, \"a\": null, \"b\": [null, {\"c\": null}]}",
                       "{\"a\": \"\\u0000\"}", "{\"a\": [1, 2,]}", "{\"a\" 1}",
                       "{\"k\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
                       "{\"a\": tru}", "{\"a\": \"\xff\"}", "{\"a\": 1, \"a\": 2}"};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    json_t *fast = vf_jsonl_tree(odd[i], strlen(odd[i]));
    json_t *ref = json_loadb(odd[i], strlen(odd[i]), JSON_ALLOW_NUL, NULL);
    CHECKF(!fast || json_equal(fast, ref), "odd line %zu: fast tree differs", i);
    json_decref(fast);
    json_decref(ref);
    sparse_line("odd", (int)i, odd[i], strlen(odd[i]));
  }
}

static void test_pystr_cases(void) {
  json_error_t je;
  FILE *f = fopen("tests/data/pystr.jsonl", "r");
  CHECK(f != NULL);
  if (!f)
    return;
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  for (ssize_t n = getline(&line, &cap, f); n > 0; n = getline(&line, &cap, f)) {
    lineno++;
    json_t *c = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &je);
    CHECKF(c != NULL, "pystr.jsonl:%zu parses", lineno);
    if (c)
      one_case(c, lineno);
    json_decref(c);
  }
  free(line);
  fclose(f);
}

static void test_float_repr(void) {
  static const struct {
    double x;
    const char *want;
  } cases[] = {{0.0, "0.0"}, {1.0, "1.0"}, {0.5, "0.5"}, {0.1, "0.1"},
               {2.0 / 3.0, "0.6666666666666666"}, {1.0 / 3.0, "0.3333333333333333"},
               {0.8207024029574861, "0.8207024029574861"}, {1e-05, "1e-05"},
               {0.0001, "0.0001"}, {123.25, "123.25"}, {1e16, "1e+16"},
               {1234567890123456.0, "1234567890123456.0"}, {-0.25, "-0.25"},
               {0.00012, "0.00012"}, {5e-324, "5e-324"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[40];
    vf_py_float_repr(cases[i].x, buf, sizeof buf);
    CHECKF(!strcmp(buf, cases[i].want), "repr(%.17g) = %s, want %s",
           cases[i].x, buf, cases[i].want);
  }
}

static void test_dump_str(void) {
  vf_buf b = {0};
  const char s[] = "a\"b\\c\n\t\x01\x7f\xc3\xa9\xf0\x9f\x99\x82/";
  vf_pyjson_dump_str(&b, s, sizeof s - 1);
  CHECKF(!strcmp(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\\u00e9\\ud83d\\ude42/\""),
         "json.dumps escaping: %s", b.data);
  vf_buf_free(&b);
}

static void test_regex(void) {
  /* Python 3.7+: an empty match may follow a non-empty one. */
  CHECK(count("\\w*", "ab cd", 5) == 4);
  CHECK(count("x*", "", 0) == 1);
  /* ^ under re.M matches after a final newline, as in Python */
  vf_re *re;
  vf_error err;
  CHECK(vf_re_compile("^", 1, VF_RE_M, &re, &err) == VF_OK);
  CHECK(vf_re_count(re, "a\n", 2) == 2);
  vf_re_free(re);
  /* Python's whitespace includes U+001C..U+001F */
  CHECK(count("\\s", "\x1c\x1d", 2) == 2);
  CHECK(count("[\\s]", "\x1f", 1) == 1);
  CHECK(count("\\S+", "a\x1c" "b", 3) == 2);
  CHECK(count("a{,2}", "aaa", 3) == 3); /* {,2} means {0,2}: "aa", "a", "" */
  CHECK(count("a\\Z", "a\n", 2) == 0);
  CHECK(vf_re_compile("(", 1, 0, &re, &err) == VF_EREGEX);
  CHECK(strstr(err.msg, "bad regular expression") != NULL);
  CHECK(vf_re_compile("a(b)(c)?", 8, 0, &re, &err) == VF_OK);
  CHECK(vf_re_split_count(re, "xabyabz", 7) == 7); /* 3 pieces + 2x2 groups */
  vf_re_free(re);
  CHECK(vf_re_compile("\\bcat\\b", 7, VF_RE_I, &re, &err) == VF_OK);
  CHECK(vf_re_search(re, "a CAT!", 6) == 1);
  CHECK(vf_re_search(re, "catalog", 7) == 0);
  CHECK(vf_re_search(re, "\xc3\xa9" "cat", 5) == 0); /* é is a word char */
  vf_re_free(re);
}

static int search_i(const char *pat, const char *s) {
  vf_re *re;
  vf_error err;
  if (vf_re_compile(pat, strlen(pat), VF_RE_I, &re, &err))
    return -2;
  int m = vf_re_search(re, s, strlen(s));
  vf_re_free(re);
  return m;
}

/* re.IGNORECASE as Python's sre: each expectation checked with Python 3.11. */
static void test_regex_ignorecase(void) {
  CHECK(search_i("istanbul", "\xc4\xb1stanbul") == 1);       /* dotless i */
  CHECK(search_i("ISTANBUL", "\xc4\xb1stanbul") == 1);
  CHECK(search_i("istanbul", "\xc4\xb0STANBUL") == 1);       /* U+0130 */
  CHECK(search_i("\xc4\xb1", "I") == 1);
  CHECK(search_i("s", "\xc5\xbf") == 1);                     /* long s */
  CHECK(search_i("k", "\xe2\x84\xaa") == 1);                /* Kelvin */
  CHECK(search_i("\xef\xac\x85", "\xef\xac\x86") == 1);  /* U+FB05/6 */
  CHECK(search_i("\xcf\x83", "\xcf\x82") == 1);            /* sigma */
  CHECK(search_i("stra\xc3\x9f", "STRASSE") == 0);          /* no full folding */
  CHECK(search_i("(?P<Word>ab)(?P=Word)", "ABab") == 1);        /* names kept */
  CHECK(search_i("\\u00e9t\\u00e9", "\xc3\x89T\xc3\x89") == 1); /* \\uXXXX */
  CHECK(search_i("a{,2}b", "AAB") == 1);
  CHECK(count("\\s", "\xe1\xa0\x8e", 3) == 0); /* U+180E is not space */
  /* classes under re.I: tolower(t) tested against the lowered members */
  CHECK(search_i("[a-z]stanbul", "\xc4\xb1stanbul") == 1);
  CHECK(search_i("[i]stanbul", "\xc4\xb0STANBUL") == 1);
  CHECK(search_i("x[^i]y", "x\xc4\xb1y") == 0);
  CHECK(search_i("x[^i]y", "xay") == 1);
  CHECK(search_i("[A-Z]+", "\xc5\xbf") == 1);
  CHECK(search_i("[\\w-]+z", "AB-Z") == 1);
  CHECK(search_i("[\\u0130]", "i") == 1);
  CHECK(search_i("[^\\d]", "5") == 0);
  CHECK(search_i("[]a]", "A") == 1);
  CHECK(search_i("[k]", "\xe2\x84\xaa") == 1);
  CHECK(search_i("[a-\\d]", "a") == -2); /* bad character range */
  CHECK(count("a\\vb", "a\nb", 3) == 0);          /* \v: vertical tab only */
  CHECK(count("a\\vb", "a\vb", 3) == 1);
  CHECK(count("[[:alpha:]]", "x", 1) == 0);        /* no POSIX classes */
  CHECK(count("[[:alpha:]]", "a]", 2) == 1);       /* '[:alph' set, then ']' */
  vf_re *re;
  vf_error err;
  CHECK(vf_re_compile("\\h", 2, 0, &re, &err) == VF_EREGEX); /* bad escape */
  CHECK(strstr(err.msg, "bad escape") != NULL);
}

static void test_utf8(void) {
  size_t bad = 99;
  CHECK(vf_utf8_valid("abc\xc3\xa9", 5, &bad));
  CHECK(!vf_utf8_valid("ab\xff", 3, &bad) && bad == 2);
  CHECK(!vf_utf8_valid("\xc0\xaf", 2, &bad) && bad == 0);         /* overlong */
  CHECK(!vf_utf8_valid("x\xed\xa0\x80", 4, &bad) && bad == 1);    /* surrogate */
  CHECK(!vf_utf8_valid("\xe2\x82", 2, &bad) && bad == 0);         /* truncated */
  CHECK(!vf_utf8_valid("\xf4\x90\x80\x80", 4, &bad) && bad == 0); /* > 10FFFF */
  CHECK(vf_utf8_count("a\xc3\xa9\xf0\x9f\x99\x82", 7) == 3);
}

int main(void) {
  test_pystr_cases();
  test_jsonl_tree();
  test_float_repr();
  test_dump_str();
  test_regex();
  test_regex_ignorecase();
  test_utf8();
  return vf_test_summary("text");
}
