/*
 * test_judge_prompt.c: the judge's prompt is byte for byte the released
 * VerIF prompt.  For every record of VerInstruct's samples.jsonl (its
 * [llm] checkers, and the first IFEval GPT-4 response as the response), the
 * machine's python3 evaluates the released f-string
 * (scripts/judge-expected-prompts.py); the test compares that with what
 * vf_judge_render() gives and with what the test judge server received.
 */
#include <jansson.h>
#include <unistd.h>

#include "../judge_server/spawn.h"
#include "harness.h"
#include "judge/judge.h"
#include "text/text.h"

#define SCRIPT "scripts/judge-expected-prompts.py"
#define MAX_ITEMS 1000

typedef struct item {
  char *prompt;
  size_t prompt_len;
  const char **checkers;
  size_t ncheckers;
  json_t *rec;
} item;

typedef struct text {
  const char *s;
  size_t len;
} text;

static char *slurp(FILE *f, size_t *len) {
  vf_buf b = {0};
  char buf[65536];
  for (size_t n = fread(buf, 1, sizeof buf, f); n > 0;
       n = fread(buf, 1, sizeof buf, f))
    vf_buf_append(&b, buf, n);
  vf_buf_putc(&b, '\0');
  *len = b.len - 1;
  return b.data;
}

/* The first IFEval GPT-4 response, written to path. */
static int write_response(const char *path) {
  char src[1024];
  snprintf(src, sizeof src,
           "%s/ifeval/input_response_data_gpt4_20231107_145030.jsonl",
           VF_DATA_DIR);
  FILE *f = fopen(src, "r");
  char line[1 << 16];
  json_t *v = f && fgets(line, sizeof line, f) ? json_loads(line, 0, NULL)
                                               : NULL;
  if (f)
    fclose(f);
  json_t *r = json_object_get(v, "response");
  FILE *out = json_is_string(r) ? fopen(path, "w") : NULL;
  int ok = out && fwrite(json_string_value(r), 1, json_string_length(r),
                         out) == json_string_length(r);
  if (out)
    fclose(out);
  json_decref(v);
  return ok ? 0 : -1;
}

static size_t load_items(item *items) {
  const char *path = VF_VERINSTRUCT_SAMPLES;
  FILE *f = fopen(path, "r");
  CHECKF(f != NULL, "cannot open %s: %s", path, strerror(errno));
  size_t n = 0;
  static char line[1 << 20];
  while (f && n < MAX_ITEMS && fgets(line, sizeof line, f)) {
    item *it = &items[n];
    it->rec = json_loads(line, 0, NULL);
    json_t *c, *cs = json_object_get(it->rec, "checkers");
    size_t i;
    it->prompt = (char *)json_string_value(json_object_get(it->rec, "prompt"));
    it->prompt_len = json_string_length(json_object_get(it->rec, "prompt"));
    it->checkers = calloc(json_array_size(cs) + 1, sizeof *it->checkers);
    json_array_foreach(cs, i, c) {
      if (!strncmp(json_string_value(c), "[llm]", 5))
        it->checkers[it->ncheckers++] = json_string_value(c);
    }
    n++;
  }
  if (f)
    fclose(f);
  return n;
}

/* python3 SCRIPT prompts ...: the expected prompt per record, in order. */
static size_t expected(const char *tpl, const char *resp_path, json_t **out) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "python3 %s prompts %s %s %s", SCRIPT,
           VF_VERINSTRUCT_SAMPLES, tpl, resp_path);
  FILE *p = popen(cmd, "r");
  size_t len = 0, n = 0;
  char *all = p ? slurp(p, &len) : NULL;
  int status = p ? pclose(p) : -1;
  CHECKF(status == 0, "`%s` failed (status %d)", cmd, status);
  for (char *line = all; status == 0 && line && *line && n < MAX_ITEMS;) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    out[n++] = json_loads(line, 0, NULL);
    line = end ? end + 1 : line + strlen(line);
  }
  free(all);
  return n;
}

static int cmp_text(const void *a, const void *b) {
  const text *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static vf_judge_req make_req(const item *it, const char *resp, size_t len) {
  return (vf_judge_req){.instruction = it->prompt,
                        .instruction_len = it->prompt_len,
                        .response = resp, .response_len = len,
                        .checkers = it->checkers,
                        .ncheckers = it->ncheckers};
}

static vf_judge *new_judge(const char *url, const char *tpl) {
  vf_error e = {0};
  vf_judge_opts o = {.urls = url, .model = "judge-model",
                     .data_dir = VF_DATA_DIR, .template_name = tpl,
                     .concurrency = 16, .timeout_s = 20, .retries = -1};
  vf_judge *j = NULL;
  CHECKF(vf_judge_new(&o, &j, &e) == VF_OK, "vf_judge_new: %s", e.msg);
  return j;
}

/* vf_judge_render() of every request equals Python's prompt. */
static void check_rendered(vf_judge *j, const vf_judge_req *reqs, size_t n,
                           json_t **want, const char *what) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = 0;
    char *p = vf_judge_render(j, &reqs[i], &len);
    json_t *w = json_object_get(want[i], "prompt");
    if (!p || len != json_string_length(w) ||
        memcmp(p, json_string_value(w), len) != 0) {
      if (bad++ == 0)
        fprintf(stderr, "%s item %zu: rendered %.200s\n---- python %.200s\n",
                what, i, p ? p : "(null)", json_string_value(w));
    }
    free(p);
  }
  CHECKF(bad == 0, "%s: %zu of %zu prompts differ from Python", what, bad, n);
}

/* Every recorded request body: the protocol fields, and its prompt. */
static size_t received(const char *record, text *got, json_t **keep) {
  FILE *f = fopen(record, "r");
  static char line[1 << 22];
  size_t n = 0, bad = 0;
  while (f && n < MAX_ITEMS && fgets(line, sizeof line, f)) {
    json_t *v = json_loads(line, 0, NULL), *m = json_object_get(v, "messages");
    json_t *m0 = json_array_get(m, 0);
    bad += !json_is_string(json_object_get(v, "model")) ||
           strcmp(json_string_value(json_object_get(v, "model")),
                  "judge-model") ||
           json_real_value(json_object_get(v, "temperature")) != 0.0 ||
           !json_is_real(json_object_get(v, "temperature")) ||
           json_integer_value(json_object_get(v, "max_tokens")) != 4096 ||
           json_array_size(m) != 1 ||
           strcmp(json_string_value(json_object_get(m0, "role")), "user");
    got[n].s = json_string_value(json_object_get(m0, "content"));
    got[n].len = json_string_length(json_object_get(m0, "content"));
    keep[n++] = v;
  }
  if (f)
    fclose(f);
  CHECKF(bad == 0, "%zu request bodies lack model/temperature 0.0/"
                   "max_tokens 4096/one user message",
         bad);
  return n;
}

static void check_received(const char *record, json_t **want, size_t n) {
  text *got = calloc(MAX_ITEMS, sizeof *got), *exp = calloc(n, sizeof *exp);
  json_t **keep = calloc(MAX_ITEMS, sizeof *keep);
  size_t m = received(record, got, keep);
  CHECKF(m == n, "server received %zu requests, expected %zu", m, n);
  for (size_t i = 0; i < n; i++) {
    exp[i].s = json_string_value(json_object_get(want[i], "prompt"));
    exp[i].len = json_string_length(json_object_get(want[i], "prompt"));
  }
  qsort(got, m, sizeof *got, cmp_text);
  qsort(exp, n, sizeof *exp, cmp_text);
  size_t same = 0;
  for (size_t i = 0; i < n && i < m; i++)
    same += cmp_text(&got[i], &exp[i]) == 0;
  CHECKF(same == n, "%zu of %zu received prompts equal Python's", same, n);
  for (size_t i = 0; i < m; i++)
    json_decref(keep[i]);
  free(got);
  free(exp);
  free(keep);
}

static void run_and_compare(const char *server, item *items, size_t n,
                            const char *resp, size_t resp_len,
                            json_t **want, const char *record) {
  judge_srv s;
  CHECK(judge_srv_start(&s, server, record, 0) == 0);
  vf_judge *j = new_judge(s.url, NULL);
  vf_judge_req *reqs = calloc(n, sizeof *reqs);
  vf_error e = {0};
  for (size_t i = 0; i < n; i++)
    reqs[i] = make_req(&items[i], resp, resp_len);
  if (j) {
    check_rendered(j, reqs, n, want, "default");
    CHECK(vf_judge_run(j, reqs, n, &e) == VF_OK);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
      ok += reqs[i].status == VF_JUDGE_OK && reqs[i].pass;
    CHECKF(ok == n, "%zu of %zu judged", ok, n);
  }
  vf_judge_free(j);
  CHECK(judge_srv_stop(&s) == 0);
  check_received(record, want, n);
  free(reqs);
}

static void check_en(item *items, size_t n, const char *resp,
                     size_t resp_len, const char *resp_path) {
  json_t **want = calloc(MAX_ITEMS, sizeof *want);
  char tpl[1024];
  snprintf(tpl, sizeof tpl, "%s/verif_prompt/llm_score_en.txt", VF_DATA_DIR);
  size_t m = expected(tpl, resp_path, want);
  CHECK(m == n);
  vf_judge *j = new_judge("http://127.0.0.1:9/v1", "en");
  vf_judge_req *reqs = calloc(n, sizeof *reqs);
  for (size_t i = 0; i < n; i++)
    reqs[i] = make_req(&items[i], resp, resp_len);
  if (j && m == n)
    check_rendered(j, reqs, n, want, "en");
  vf_judge_free(j);
  for (size_t i = 0; i < m; i++)
    json_decref(want[i]);
  free(want);
  free(reqs);
}

int main(int argc, char **argv) {
  char server[1024], resp_path[] = "/tmp/verif-judge-resp-XXXXXX";
  char record[] = "/tmp/verif-judge-rec-XXXXXX", tpl[1024];
  judge_srv_path(argv[0], server, sizeof server);
  close(mkstemp(resp_path));
  close(mkstemp(record));
  CHECK(write_response(resp_path) == 0);
  FILE *rf = fopen(resp_path, "r");
  size_t resp_len = 0;
  char *resp = rf ? slurp(rf, &resp_len) : NULL;
  if (rf)
    fclose(rf);
  item *items = calloc(MAX_ITEMS, sizeof *items);
  json_t **want = calloc(MAX_ITEMS, sizeof *want);
  size_t n = load_items(items);
  CHECKF(n == 200, "%zu VerInstruct records", n);
  /* the released original (a copy kept apart from the run-time data), so an
   * edit of data/verif_prompt/llm_score.txt shows up */
  snprintf(tpl, sizeof tpl, "%s/verif_prompt/llm_score.txt", VF_TEST_DATA);
  size_t m = expected(tpl, resp_path, want);
  CHECKF(m == n, "python gave %zu prompts for %zu records", m, n);
  if (resp && n > 0 && m == n) {
    run_and_compare(server, items, n, resp, resp_len, want, record);
    check_en(items, n, resp, resp_len, resp_path);
  }
  for (size_t i = 0; i < n; i++) {
    free(items[i].checkers);
    json_decref(items[i].rec);
  }
  for (size_t i = 0; i < m; i++)
    json_decref(want[i]);
  free(items);
  free(want);
  free(resp);
  unlink(resp_path);
  unlink(record);
  return vf_test_summary("judge_prompt");
}
