/*
 * test_judge_unit.c: the judge's pieces that need no server: SHA-256
 * against the FIPS 180-4 vectors, repr() of str against the machine's
 * python3 over every code point, [[N]] parsing against Python's re, reply
 * bodies, </think> cutting, the LRU, templates (bundled, file, values that
 * hold placeholders), option checks and key redaction.
 */
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "judge/judge_int.h"
#include "text/pyjson.h"

#define SCRIPT "scripts/judge-expected-prompts.py"

static void hex(const unsigned char d[32], char out[65]) {
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256(void) {
  static const struct {
    const char *in, *want;
  } v[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklm"
       "nopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  char got[65];
  unsigned char d[32];
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    vf_judge_sha256(v[i].in, strlen(v[i].in), d);
    hex(d, got);
    CHECKF(!strcmp(got, v[i].want), "sha256(\"%s\") = %s", v[i].in, got);
  }
  /* one million 'a', fed in uneven pieces across block boundaries */
  static char chunk[1024]; /* pieces of 1 to 1009 bytes */
  memset(chunk, 'a', sizeof chunk);
  vf_judge_sha256_ctx s;
  vf_judge_sha256_init(&s);
  size_t left = 1000000;
  for (size_t k = 1; left > 0; k = k % 997 + 13) {
    size_t n = k < left ? k : left;
    vf_judge_sha256_update(&s, chunk, n);
    left -= n;
  }
  vf_judge_sha256_final(&s, d);
  hex(d, got);
  CHECKF(!strcmp(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e0"
                      "46d39ccc7112cd0"),
         "sha256(a x 1e6) = %s", got);
}

/* ---- comparisons with python3 ------------------------------------------- */

/* Runs `python3 SCRIPT mode < in` and returns its stdout (malloc'd), or
 * NULL (a failure is recorded: python3 is required, never skipped). */
static char *python(const char *mode, const char *in_path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "python3 %s %s < %s", SCRIPT, mode, in_path);
  FILE *p = popen(cmd, "r");
  vf_buf out = {0};
  char buf[65536];
  for (size_t n = p ? fread(buf, 1, sizeof buf, p) : 0; n > 0;
       n = fread(buf, 1, sizeof buf, p))
    vf_buf_append(&out, buf, n);
  int status = p ? pclose(p) : -1;
  CHECKF(status == 0, "`%s` failed (status %d): python3 is required", cmd,
         status);
  if (status != 0) {
    vf_buf_free(&out);
    return NULL;
  }
  vf_buf_putc(&out, '\0');
  return out.data;
}

static void append_cp(vf_buf *b, int32_t cp) {
  char u[4];
  vf_buf_append(b, u, vf_utf8_encode(cp, u));
}

/* One list of strings per line: every code point (no surrogates) in
 * strings of 64, plus the quote and escape corner cases. */
static void write_repr_cases(FILE *f, vf_buf *mine) {
  static const char *const corner[] = {
      "", "'", "\"", "'\"", "it's", "say \"hi\"", "both ' and \"",
      "back\\slash", "\\'", "tab\tnl\ncr\r", "\x01\x1f\x7f", "{response}",
      "[llm] Specific_Sentence: begin with 'There are'"};
  vf_buf s = {0}, line = {0};
  for (int32_t cp = 0; cp <= 0x10FFFF; cp++) {
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue;
    append_cp(&s, cp);
    if ((cp & 63) != 63 && cp != 0x10FFFF)
      continue;
    const char *items[1] = {s.data};
    vf_buf_reset(&line);
    vf_buf_putc(&line, '[');
    vf_pyjson_dump_str(&line, s.data, s.len);
    fprintf(f, "%s]\n", line.data);
    vf_buf_reset(&line);
    if (memchr(s.data, '\0', s.len)) { /* C strings stop at NUL: by hand */
      vf_buf_putc(&line, '[');
      vf_judge_pyrepr(&line, s.data, s.len);
      vf_buf_putc(&line, ']');
    } else {
      vf_judge_pylist(&line, items, 1);
    }
    vf_pyjson_dump_str(mine, line.data, line.len);
    vf_buf_putc(mine, '\n');
    vf_buf_reset(&s);
  }
  size_t n = sizeof corner / sizeof corner[0];
  fputc('[', f);
  for (size_t i = 0; i < n; i++) {
    vf_buf_reset(&line);
    vf_pyjson_dump_str(&line, corner[i], strlen(corner[i]));
    fprintf(f, "%s%s", i ? ", " : "", line.data);
  }
  fputs("]\n[]\n", f);
  vf_buf_reset(&line);
  vf_judge_pylist(&line, (const char *const *)corner, n);
  vf_pyjson_dump_str(mine, line.data, line.len);
  vf_buf_append(mine, "\n\"[]\"\n", 6);
  vf_buf_free(&s);
  vf_buf_free(&line);
}

/* Compares two outputs line by line; reports the first difference. */
static void same_lines(const char *what, const char *want, const char *got) {
  size_t line = 1;
  const char *w = want, *g = got;
  while (*w && *g && *w == *g) {
    line += *w == '\n';
    w++;
    g++;
  }
  CHECKF(*w == *g, "%s: differs from Python at line %zu: python %.80s / "
                   "verif %.80s",
         what, line, w, g);
}

static void test_repr_vs_python(void) {
  char path[] = "/tmp/verif-judge-repr-XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  CHECK(f != NULL);
  if (!f)
    return;
  vf_buf mine = {0};
  write_repr_cases(f, &mine);
  fclose(f);
  char *want = python("repr", path);
  if (want)
    same_lines("repr", want, mine.data);
  free(want);
  vf_buf_free(&mine);
  unlink(path);
}

static void test_repr_examples(void) {
  static const struct {
    const char *in, *want;
  } v[] = {
      {"a", "'a'"},
      {"it's", "\"it's\""},
      {"'\"", "'\\'\"'"},
      {"\\", "'\\\\'"},
      {"\t\n\r\x0b", "'\\t\\n\\r\\x0b'"},
      {"\xc2\x85\xc2\xa0\xc3\xa9", "'\\x85\\xa0\xc3\xa9'"},
      {"\xe2\x80\x8b\xe2\x80\xa8\xe4\xb8\xad", "'\\u200b\\u2028\xe4\xb8\xad'"},
      {"\xf3\xa0\x80\x81\xf0\x9f\x98\x80", "'\\U000e0001\xf0\x9f\x98\x80'"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    vf_buf b = {0};
    vf_judge_pyrepr(&b, v[i].in, strlen(v[i].in));
    CHECKF(b.data && !strcmp(b.data, v[i].want), "repr #%zu: %s", i, b.data);
    vf_buf_free(&b);
  }
  const char *items[] = {"a", "b's"};
  vf_buf b = {0};
  vf_judge_pylist(&b, items, 2);
  CHECK(b.data && !strcmp(b.data, "['a', \"b's\"]"));
  vf_buf_reset(&b);
  vf_judge_pylist(&b, items, 0);
  CHECK(b.data && !strcmp(b.data, "[]"));
  vf_buf_free(&b);
}

/* ---- verdicts ------------------------------------------------------------ */

static const char *const score_cases[] = {
    "[[1]]", "[[0]]", "Score: [[ 1]]", "x [[12]] then [[0]]", "[[[1]]]",
    "[[1]", "[[-1]]", "", "[[", "]]", "[[\xef\xbc\x91]]" /* fullwidth 1 */,
    "[[\xd9\xa3]]" /* Arabic-Indic 3 */, "[[\xc2\xb2]]" /* superscript 2 */,
    "[[2147483648]]", "[[99999999999999999999]]", "[[007]]",
    "[[1a]] [[2]]", "[[score]] [[1]]", "\xf0\x9d\x9f\x8e [[\xf0\x9d\x9f\x97]]",
};

static void test_score_vs_python(void) {
  char path[] = "/tmp/verif-judge-score-XXXXXX";
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  CHECK(f != NULL);
  if (!f)
    return;
  size_t n = sizeof score_cases / sizeof score_cases[0];
  for (size_t i = 0; i < n; i++) {
    vf_buf b = {0};
    vf_pyjson_dump_str(&b, score_cases[i], strlen(score_cases[i]));
    fprintf(f, "%s\n", b.data);
    vf_buf_free(&b);
  }
  fclose(f);
  char *want = python("score", path), *line = want;
  for (size_t i = 0; want && i < n; i++) {
    int score;
    vf_judge_status st =
        vf_judge_score_text(score_cases[i], strlen(score_cases[i]), &score);
    char *end = strchr(line, '\n');
    if (!end)
      break;
    *end = '\0';
    if (!strcmp(line, "null")) {
      CHECKF(st == VF_JUDGE_UNPARSED && score == 0, "score #%zu", i);
    } else {
      long long py = strtoll(line, NULL, 10); /* saturates like ours */
      long long cl = py > INT32_MAX ? INT32_MAX : py;
      CHECKF(st == VF_JUDGE_OK && score == cl, "score #%zu: %d vs %s", i,
             score, line);
    }
    line = end + 1;
  }
  free(want);
  unlink(path);
}

static void test_after_think(void) {
  size_t n;
  const char *s = "<think>[[1]]</think>no verdict";
  const char *t = vf_judge_after_think(s, strlen(s), &n);
  CHECK(n == strlen("no verdict") && !memcmp(t, "no verdict", n));
  s = "a</think>b</think>[[1]]";
  t = vf_judge_after_think(s, strlen(s), &n);
  CHECK(n == 5 && !memcmp(t, "[[1]]", 5));
  s = "plain [[1]]";
  t = vf_judge_after_think(s, strlen(s), &n);
  CHECK(t == s && n == strlen(s));
  s = "<think>only reasoning [[1]]</think>";
  t = vf_judge_after_think(s, strlen(s), &n);
  CHECK(n == 0);
  s = "<think>cut off while reasoning [[1]]"; /* never closed: no verdict */
  t = vf_judge_after_think(s, strlen(s), &n);
  CHECK(n == 0 && t == s + strlen(s));
}

static int parse(const char *body, vf_buf *content, char *why) {
  vf_buf_reset(content);
  return vf_judge_parse_reply(body, strlen(body), content, why, 200);
}

static void test_parse_reply(void) {
  vf_buf c = {0};
  char why[200];
  CHECK(parse("{\"choices\":[{\"message\":{\"content\":\"[[1]]\","
              "\"reasoning_content\":\"[[0]]\"}}]}",
              &c, why) == 0 &&
        !strcmp(c.data, "[[1]]"));
  CHECK(parse("{\"choices\":[{\"message\":{\"content\":null}}]}", &c, why) ==
            0 &&
        c.len == 0);
  CHECK(parse("{\"choices\":[{\"message\":{\"content\":\"a\\u0000b\"}}]}",
              &c, why) == 0 &&
        c.len == 3);
  CHECK(parse("{\"choices\": [{\"message\": ", &c, why) < 0 &&
        strstr(why, "not JSON"));
  CHECK(parse("{\"choices\": []}", &c, why) < 0 && strstr(why, "empty"));
  CHECK(parse("{\"x\": 1}", &c, why) < 0 && strstr(why, "choices"));
  CHECK(parse("[1]", &c, why) < 0 && strstr(why, "object"));
  CHECK(parse("{\"choices\":[{}]}", &c, why) < 0 && strstr(why, "message"));
  CHECK(parse("{\"choices\":[{\"message\":{\"content\":5}}]}", &c, why) < 0 &&
        strstr(why, "string"));
  CHECK(parse("{\"error\":{\"message\":\"model not found\"}}", &c, why) < 0 &&
        strstr(why, "model not found"));
  vf_buf_free(&c);
  vf_buf b = {0};
  vf_judge_body(&b, "m\"x", "p\n\xe4\xb8\xad", 5, 4096);
  CHECK(b.data && !strcmp(b.data,
                          "{\"model\": \"m\\\"x\", \"messages\": [{\"role\": "
                          "\"user\", \"content\": \"p\\n\\u4e2d\"}], "
                          "\"temperature\": 0.0, \"max_tokens\": 4096}"));
  vf_buf_free(&b);
}

/* ---- LRU, redaction ------------------------------------------------------ */

static void key_of(int i, unsigned char key[32]) {
  vf_judge_sha256(&i, sizeof i, key);
}

static void test_lru(void) {
  vf_judge_lru *l = vf_judge_lru_new(3);
  unsigned char k[32];
  vf_judge_status st;
  int score;
  for (int i = 0; i < 3; i++) {
    key_of(i, k);
    CHECK(vf_judge_lru_put(l, k, VF_JUDGE_OK, i) == 0);
  }
  key_of(0, k);
  CHECK(vf_judge_lru_get(l, k, &st, &score) == 1 && score == 0);
  key_of(3, k); /* evicts 1, the least recent now */
  vf_judge_lru_put(l, k, VF_JUDGE_UNPARSED, 0);
  CHECK(vf_judge_lru_count(l) == 3);
  key_of(1, k);
  CHECK(vf_judge_lru_get(l, k, &st, &score) == 0);
  key_of(0, k);
  CHECK(vf_judge_lru_get(l, k, &st, &score) == 1);
  key_of(3, k);
  CHECK(vf_judge_lru_get(l, k, &st, &score) == 1 && st == VF_JUDGE_UNPARSED);
  vf_judge_lru_free(l);
  /* a bigger one: the table grows, evictions keep the count */
  l = vf_judge_lru_new(1000);
  for (int i = 0; i < 5000; i++) {
    key_of(i, k);
    vf_judge_lru_put(l, k, VF_JUDGE_OK, i);
  }
  CHECK(vf_judge_lru_count(l) == 1000);
  key_of(4999, k);
  CHECK(vf_judge_lru_get(l, k, &st, &score) == 1 && score == 4999);
  key_of(3999, k);
  CHECK(vf_judge_lru_get(l, k, &st, &score) == 0);
  vf_judge_lru_free(l);
}

static void test_redact(void) {
  char s[] = "HTTP 500: bad key: Bearer sk-123 and sk-123";
  vf_judge_redact(s, "sk-123");
  CHECK(!strstr(s, "sk-123") && strstr(s, "Bearer ******"));
  char t[] = "nothing";
  vf_judge_redact(t, NULL);
  vf_judge_redact(t, "");
  CHECK(!strcmp(t, "nothing"));
}

/* ---- templates and options ----------------------------------------------- */

static vf_judge *judge_with(const char *name, const char *file, vf_error *e) {
  vf_judge_opts o = {.urls = "http://127.0.0.1:9/v1", .model = "m",
                     .data_dir = VF_DATA_DIR, .template_name = name,
                     .template_file = file, .retries = -1};
  vf_judge *j = NULL;
  vf_judge_new(&o, &j, e);
  return j;
}

static void test_templates(void) {
  vf_error e = {0};
  const char *checkers[] = {"[llm] A: it's {checkers}", "[llm] B"};
  vf_judge_req r = {.instruction = "do {response} now", .instruction_len = 17,
                    .response = "R {instruction} {checkers}",
                    .response_len = 26, .checkers = checkers, .ncheckers = 2};
  char path[] = "/tmp/verif-judge-tpl-XXXXXX";
  int fd = mkstemp(path);
  const char *tpl = "I={instruction}|R={response}|C={checkers}|{other}{{x}}";
  CHECK(fd >= 0 && write(fd, tpl, strlen(tpl)) == (ssize_t)strlen(tpl));
  close(fd);
  vf_judge *j = judge_with(NULL, path, &e);
  CHECKF(j != NULL, "template file: %s", e.msg);
  size_t n = 0;
  char *p = j ? vf_judge_render(j, &r, &n) : NULL;
  const char *want = "I=do {response} now|R=R {instruction} {checkers}|C=[\""
                     "[llm] A: it's {checkers}\", '[llm] B']|{other}{{x}}";
  CHECKF(p && n == strlen(want) && !strcmp(p, want), "rendered: %s",
         p ? p : "(null)");
  free(p);
  vf_judge_req lit = r; /* the bridge's str(checkers), inserted as is */
  lit.checkers_text = "Tone: {response}";
  lit.checkers_text_len = 16;
  p = j ? vf_judge_render(j, &lit, &n) : NULL;
  CHECKF(p && strstr(p, "|C=Tone: {response}|"), "checkers_text: %s",
         p ? p : "(null)");
  free(p);
  vf_judge_free(j);
  unlink(path);
  j = judge_with("en", NULL, &e);
  CHECKF(j != NULL, "en: %s", e.msg);
  p = j ? vf_judge_render(j, &r, &n) : NULL;
  CHECK(p && strstr(p, "[Instruction]\n    do {response} now\n"));
  free(p);
  vf_judge_free(j);
  CHECK(judge_with("fr", NULL, &e) == NULL && e.code == VF_EINVAL &&
        strstr(e.msg, "fr"));
  CHECK(judge_with(NULL, "/nonexistent/t.txt", &e) == NULL &&
        e.code == VF_EIO);
}

static void test_template_missing_slot(void) {
  vf_error e = {0};
  char path[] = "/tmp/verif-judge-tpl-XXXXXX";
  int fd = mkstemp(path);
  const char *tpl = "{instruction} {response} but no list";
  CHECK(fd >= 0 && write(fd, tpl, strlen(tpl)) == (ssize_t)strlen(tpl));
  close(fd);
  CHECK(judge_with(NULL, path, &e) == NULL && e.code == VF_EINVAL &&
        strstr(e.msg, "{checkers}"));
  unlink(path);
}

static void test_default_template(void) {
  vf_error e = {0};
  vf_judge *j = judge_with(NULL, NULL, &e);
  CHECKF(j != NULL, "default: %s", e.msg);
  vf_judge_req r = {.instruction = "I", .instruction_len = 1,
                    .response = "R", .response_len = 1};
  size_t n = 0;
  char *p = j ? vf_judge_render(j, &r, &n) : NULL;
  CHECK(p && strstr(p, "[\xe6\x8c\x87\xe4\xbb\xa4]\n    I\n") &&
        strstr(p, "\xe7\xba\xa6\xe6\x9d\x9f]\n    []\n"));
  free(p);
  vf_judge_req bad = r;
  bad.response = "\xff";
  CHECK(j && vf_judge_render(j, &bad, &n) == NULL);
  vf_judge_free(j);
}

static void test_options(void) {
  vf_error e = {0};
  vf_judge *j = NULL;
  vf_judge_opts o = {.urls = "http://x/v1", .retries = -1};
  CHECK(vf_judge_new(&o, &j, &e) == VF_EINVAL && !j);
  o.model = "m";
  o.urls = " , ";
  CHECK(vf_judge_new(&o, &j, &e) == VF_EINVAL && !j);
  o.urls = "http://x/v1";
  o.concurrency = -1;
  CHECK(vf_judge_new(&o, &j, &e) == VF_EINVAL && !j);
  o.concurrency = 0;
  o.cache_file = "/nonexistent-dir/c.sqlite";
  o.api_key = "sk-never-shown";
  CHECK(vf_judge_new(&o, &j, &e) == VF_EIO && !j &&
        !strstr(e.msg, "sk-never-shown"));
  CHECK(vf_judge_new(NULL, &j, &e) == VF_EINVAL);
  vf_judge_stats st;
  vf_judge_get_stats(NULL, &st);
  CHECK(st.requests == 0 && st.calls == 0);
}

int main(void) {
  test_sha256();
  test_repr_examples();
  test_repr_vs_python();
  test_score_vs_python();
  test_after_think();
  test_parse_reply();
  test_lru();
  test_redact();
  test_templates();
  test_template_missing_slot();
  test_default_template();
  test_options();
  return vf_test_summary("judge_unit");
}
