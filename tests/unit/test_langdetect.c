/*
 * test_langdetect.c: checks the langdetect port against Python's langdetect
 * 1.0.9 (seed 0), as recorded by scripts/gen-langdetect-cases.py: raw
 * Mersenne Twister draws (mt.jsonl), hand-written cases (cases.jsonl),
 * random mixtures (fuzz.jsonl) and every distinct IFEval loose variant of
 * the GPT-4 responses (ifeval.jsonl: line, variant, length and FNV-1a hash;
 * the responses come from data/ifeval/ or the shared data).  Every answer
 * must agree exactly; the agreement counts are printed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "text/langdetect.h"
#include "text/pyrandom.h"
#include "text/text.h"

#define CASE_DIR "tests/data/langdetect"

typedef struct tally {
  int agree, total;
} tally;

/* Calls fn on every JSON line of path; returns the number of lines, or -1
 * when the file cannot be read. */
static int each_line(const char *path, void (*fn)(json_t *, void *), void *ud) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  char *line = NULL;
  size_t cap = 0;
  int n = 0;
  for (ssize_t got = getline(&line, &cap, f); got > 0;
       got = getline(&line, &cap, f)) {
    json_error_t jerr;
    json_t *j = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, &jerr);
    CHECKF(j != NULL, "%s:%d: %s", path, n + 1, jerr.text);
    if (j)
      fn(j, ud);
    json_decref(j);
    n++;
  }
  free(line);
  fclose(f);
  return n;
}

static void agree(tally *t, int ok) {
  t->total++;
  t->agree += ok != 0;
}

/* ---- Mersenne Twister ---------------------------------------------------- */

static double hex_double(json_t *v) {
  return strtod(json_string_value(v), NULL);
}

static void seed_from(vf_pyrandom *r, json_t *rec) {
  long long seed = json_integer_value(json_object_get(rec, "seed"));
  vf_pyrandom_seed_u64(r, seed < 0 ? (uint64_t)-seed : (uint64_t)seed);
}

/* Compares the next draw of the kind op with the expected value v. */
static int draw_matches(vf_pyrandom *r, const char *op, json_t *v, uint32_t n) {
  if (strcmp(op, "u32") == 0)
    return vf_pyrandom_u32(r) == (uint32_t)json_integer_value(v);
  if (strcmp(op, "random") == 0)
    return vf_pyrandom_random(r) == hex_double(v);
  if (strcmp(op, "gauss") == 0)
    return vf_pyrandom_gauss(r) == hex_double(v);
  return vf_pyrandom_below(r, n) == (uint32_t)json_integer_value(v);
}

/* langdetect's pattern: per trial a gauss, then 3 + t choices over n. */
static int mixed_matches(vf_pyrandom *r, json_t *vals, uint32_t n) {
  size_t i = 0;
  int ok = 1;
  for (int t = 0; t < 7; t++) {
    ok &= draw_matches(r, "gauss", json_array_get(vals, i++), 0);
    for (int c = 0; c < 3 + t; c++)
      ok &= draw_matches(r, "below", json_array_get(vals, i++), n);
  }
  return ok && i == json_array_size(vals);
}

static void check_mt(json_t *rec, void *ud) {
  const char *op = json_string_value(json_object_get(rec, "op"));
  json_t *vals = json_object_get(rec, "values");
  json_t *ns = json_object_get(rec, "n");
  vf_pyrandom r;
  seed_from(&r, rec);
  for (json_int_t k = json_integer_value(json_object_get(rec, "skip")); k > 0;
       k--)
    vf_pyrandom_u32(&r);
  int ok = 1;
  if (strcmp(op, "mixed") == 0) {
    ok = mixed_matches(&r, vals, (uint32_t)json_integer_value(ns));
  } else {
    for (size_t i = 0; i < json_array_size(vals); i++) {
      uint32_t n = (uint32_t)json_integer_value(json_array_get(ns, i));
      ok &= draw_matches(&r, op, json_array_get(vals, i), n);
    }
  }
  CHECKF(ok, "MT19937 %s (seed %lld) differs from CPython", op,
         (long long)json_integer_value(json_object_get(rec, "seed")));
  agree(ud, ok);
}

/* ---- detection ------------------------------------------------------------
 */

typedef struct detect_ctx {
  const vf_langdetect *ld;
  tally t;
  FILE *responses; /* ifeval: the responses file, read in step */
  int line_no;     /* the line last read from it */
  json_t *response;
} detect_ctx;

/* Detects text and compares with the expected code ("ERR": no features). */
static int detect_is(const vf_langdetect *ld, const char *text, size_t len,
                     const char *expect, char got[8]) {
  int rc = vf_langdetect_detect(ld, text, len, got);
  if (rc == 1)
    memcpy(got, "ERR", 4);
  else if (rc != 0)
    memcpy(got, "ENOMEM", 7);
  return strcmp(got, expect) == 0;
}

static void check_case(json_t *rec, void *ud) {
  detect_ctx *c = ud;
  const char *name = json_string_value(json_object_get(rec, "name"));
  json_t *text = json_object_get(rec, "text");
  const char *expect = json_string_value(json_object_get(rec, "lang"));
  char got[8];
  int ok = detect_is(c->ld, json_string_value(text), json_string_length(text),
                     expect, got);
  CHECKF(ok, "case %s: got %s, Python says %s", name, got, expect);
  agree(&c->t, ok);
}

static uint64_t fnv1a64(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* The span IFEval's variant k keeps: k 2/5 drop the first line, 3/6 the
 * last, 4/7 both, then strip(); 0/1 keep everything. */
static void variant_span(const char *r, size_t n, int k, size_t *b, size_t *e) {
  const char *first = memchr(r, '\n', n), *last = memrchr(r, '\n', n);
  int drop_first = k == 2 || k == 4 || k == 5 || k == 7;
  int drop_last = k == 3 || k == 4 || k == 6 || k == 7;
  *b = 0;
  *e = n;
  if (k < 2)
    return;
  if (!first || (drop_first && drop_last && first == last)) {
    *e = 0;
    return;
  }
  if (drop_first)
    *b = (size_t)(first - r) + 1;
  if (drop_last)
    *e = (size_t)(last - r);
  vf_py_strip(r, b, e);
}

/* IFEval's loose variant k of response r into out (n + 1 bytes). */
static size_t make_variant(const char *r, size_t n, int k, char *out) {
  size_t b, e, w = 0;
  variant_span(r, n, k, &b, &e);
  int no_stars = k == 1 || k >= 5;
  for (size_t i = b; i < e; i++) {
    if (!(no_stars && r[i] == '*'))
      out[w++] = r[i];
  }
  return w;
}

/* Advances the responses file to line (0-based) and returns its response. */
static json_t *response_at(detect_ctx *c, int line) {
  while (c->line_no < line) {
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got = getline(&buf, &cap, c->responses);
    json_decref(c->response);
    c->response = got > 0 ? json_loadb(buf, (size_t)got, 0, NULL) : NULL;
    free(buf);
    c->line_no++;
  }
  return json_object_get(c->response, "response");
}

static void check_ifeval(json_t *rec, void *ud) {
  detect_ctx *c = ud;
  int line = (int)json_integer_value(json_object_get(rec, "line"));
  int k = (int)json_integer_value(json_object_get(rec, "variant"));
  const char *expect = json_string_value(json_object_get(rec, "lang"));
  json_t *resp = response_at(c, line);
  size_t n = json_string_length(resp);
  char *text = malloc(n + 1), got[8] = "";
  size_t len =
      resp && text ? make_variant(json_string_value(resp), n, k, text) : 0;
  char hash[17];
  snprintf(hash, sizeof hash, "%016llx",
           (unsigned long long)fnv1a64(text ? text : "", len));
  int same_text =
      resp && len == (size_t)json_integer_value(json_object_get(rec, "len")) &&
      strcmp(hash, json_string_value(json_object_get(rec, "fnv1a64"))) == 0;
  CHECKF(same_text, "ifeval line %d variant %d: rebuilt text differs", line, k);
  int ok = same_text && detect_is(c->ld, text, len, expect, got);
  CHECKF(ok || !same_text, "ifeval line %d variant %d: got %s, Python says %s",
         line, k, got, expect);
  agree(&c->t, ok);
  free(text);
}

static void run_ifeval(const vf_langdetect *ld) {
  detect_ctx c = {ld, {0, 0}, fopen(VF_IFEVAL_RESPONSES, "r"), -1, NULL};
  CHECKF(c.responses != NULL, "cannot open %s: %s", VF_IFEVAL_RESPONSES,
         strerror(errno));
  if (!c.responses)
    return;
  int n = each_line(CASE_DIR "/ifeval.jsonl", check_ifeval, &c);
  CHECKF(n > 2000, "%s/ifeval.jsonl: %d records", CASE_DIR, n);
  json_decref(c.response);
  fclose(c.responses);
  printf("langdetect agreement: ifeval variants %d/%d\n", c.t.agree, c.t.total);
}

/* ---- sharing one model between threads ----------------------------------- */

typedef struct thread_arg {
  const vf_langdetect *ld;
  int mismatches;
} thread_arg;

static void *detect_many(void *p) {
  thread_arg *a = p;
  static const char *const texts[] = {
      "Der schnelle braune Fuchs springt über den faulen Hund.",
      "Быстрая коричневая лиса прыгает через ленивую собаку.",
      "我们今天去公园散步，天气非常好。", "The quick brown fox jumps."};
  static const char *const langs[] = {"de", "ru", "zh-cn", "en"};
  for (int i = 0; i < 200; i++) {
    char got[8];
    int k = i % 4;
    if (vf_langdetect_detect(a->ld, texts[k], strlen(texts[k]), got) != 0 ||
        strcmp(got, langs[k]) != 0)
      a->mismatches++;
  }
  return NULL;
}

static void check_threads(const vf_langdetect *ld) {
  pthread_t th[4];
  thread_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thread_arg){ld, 0};
    CHECK(pthread_create(&th[i], NULL, detect_many, &args[i]) == 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECKF(args[i].mismatches == 0, "thread %d: %d mismatches", i,
           args[i].mismatches);
  }
}

int main(void) {
  vf_error err = {0};
  vf_langdetect *ld = NULL;
  CHECK(vf_langdetect_load("/nonexistent/langdetect", &ld, &err) != VF_OK);
  CHECK(ld == NULL && err.msg[0] != '\0');

  CHECKF(vf_langdetect_load(VF_DATA_DIR "/langdetect", &ld, &err) == VF_OK,
         "load: %s", err.msg);
  if (!ld)
    return vf_test_summary("langdetect");
  CHECK(vf_langdetect_nlangs(ld) == 55);
  CHECK(strcmp(vf_langdetect_lang(ld, 0), "af") == 0);
  CHECK(strcmp(vf_langdetect_lang(ld, 54), "zh-tw") == 0);

  tally mt = {0, 0};
  CHECK(each_line(CASE_DIR "/mt.jsonl", check_mt, &mt) > 0);
  printf("langdetect agreement: MT19937 records %d/%d\n", mt.agree, mt.total);

  detect_ctx cases = {ld, {0, 0}, NULL, -1, NULL};
  CHECK(each_line(CASE_DIR "/cases.jsonl", check_case, &cases) >= 40);
  printf("langdetect agreement: hand-written cases %d/%d\n", cases.t.agree,
         cases.t.total);

  detect_ctx fuzz = {ld, {0, 0}, NULL, -1, NULL};
  CHECK(each_line(CASE_DIR "/fuzz.jsonl", check_case, &fuzz) > 0);
  printf("langdetect agreement: random mixtures %d/%d\n", fuzz.t.agree,
         fuzz.t.total);

  run_ifeval(ld);
  check_threads(ld);
  vf_langdetect_free(ld);
  return vf_test_summary("langdetect");
}
