/*
 * test_ifbench_eval.c: `verif eval ifbench` against IFBench's shipped
 * results.  On IFBench_test_2025-07_8a66c06.jsonl with sample_output.jsonl
 * (tests/data/ifbench/), vf_eval_ifbench must write eval_results_strict.jsonl
 * and eval_results_loose.jsonl byte for byte as the reference's run_eval.py
 * at c94da02 does (every line compared, every instruction's verdict
 * counted), and print run_eval.py's report (report.txt, written by
 * scripts/official-ifbench.py with the output directory named "OUT").
 * Then: multi-turn rows scored on the last assistant turn, string keys in
 * the missing-response error, and verdicts a raising check decided counted.
 */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "text/text.h"

#define DATA "tests/data/ifbench/"

/* The lines of a file (each with its '\n'), as a JSON array of strings. */
static json_t *read_lines(const char *file) {
  json_t *arr = json_array();
  FILE *f = fopen(file, "r");
  CHECKF(f != NULL, "cannot open %s: %s", file, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  for (ssize_t n = f ? getline(&line, &cap, f) : -1; n > 0;
       n = getline(&line, &cap, f))
    json_array_append_new(arr, json_stringn(line, (size_t)n));
  free(line);
  if (f)
    fclose(f);
  return arr;
}

static char *join(const char *dir, const char *name) {
  vf_buf b = {0};
  vf_buf_printf(&b, "%s/%s", dir, name);
  return b.data;
}

/* Every line byte for byte, and every instruction's verdict. */
static void compare(const char *mode, const char *ours_path,
                    const char *ref_path) {
  json_t *ours = read_lines(ours_path), *ref = read_lines(ref_path);
  size_t same = 0, agree = 0, total = 0;
  CHECKF(json_array_size(ours) == json_array_size(ref), "%s: %zu lines, want "
         "%zu", mode, json_array_size(ours), json_array_size(ref));
  for (size_t i = 0; i < json_array_size(ref) && i < json_array_size(ours);
       i++) {
    const json_t *a = json_array_get(ours, i), *b = json_array_get(ref, i);
    bool eq = json_equal(a, b);
    same += eq;
    CHECKF(eq, "%s: line %zu differs", mode, i + 1);
    json_t *ja = json_loads(json_string_value(a), 0, NULL);
    json_t *jb = json_loads(json_string_value(b), 0, NULL);
    const json_t *la = json_object_get(ja, "follow_instruction_list");
    const json_t *lb = json_object_get(jb, "follow_instruction_list");
    for (size_t k = 0; k < json_array_size(lb); k++, total++)
      agree += json_equal(json_array_get(la, k), json_array_get(lb, k));
    json_decref(ja);
    json_decref(jb);
  }
  printf("  %s: %zu/%zu instruction verdicts agree with the reference; "
         "%zu/%zu lines byte-identical\n", mode, agree, total, same,
         json_array_size(ref));
  CHECK(agree == total && total > 300);
  json_decref(ours);
  json_decref(ref);
}

/* report.txt with "OUT" replaced by dir. */
static void check_report(const char *got, const char *dir) {
  json_t *want = read_lines(DATA "report.txt");
  vf_buf w = {0};
  for (size_t i = 0; i < json_array_size(want); i++) {
    const char *l = json_string_value(json_array_get(want, i));
    if (!strncmp(l, "OUT/", 4)) {
      vf_buf_append(&w, dir, strlen(dir));
      l += 3;
    }
    vf_buf_append(&w, l, strlen(l));
  }
  CHECKF(w.data && !strcmp(got, w.data), "the report differs from "
         "run_eval.py's:\n%s", got);
  vf_buf_free(&w);
  json_decref(want);
}

static vf_status run(const vf_ctx *ctx, const char *in, const char *resp,
                     const char *dir, char **report, vf_eval_stats *st,
                     vf_error *err) {
  char *buf = NULL;
  size_t len = 0;
  FILE *rep = open_memstream(&buf, &len);
  vf_eval_opts o = {in, resp, dir, 2, 0, rep, NULL};
  vf_status s = vf_eval_ifbench(ctx, &o, st, err);
  fclose(rep);
  if (report)
    *report = buf;
  else
    free(buf);
  return s;
}

static void check_shipped(const vf_ctx *ctx, const char *dir) {
  char *report = NULL;
  vf_eval_stats st;
  vf_error err = {0};
  vf_status s = run(ctx, DATA "IFBench_test_2025-07_8a66c06.jsonl",
                    DATA "sample_output.jsonl", dir, &report, &st, &err);
  CHECKF(s == VF_OK, "eval: %s", err.msg);
  char *strict = join(dir, "eval_results_strict.jsonl");
  char *loose = join(dir, "eval_results_loose.jsonl");
  if (!s) {
    compare("strict", strict, DATA "eval_results_strict.jsonl");
    compare("loose", loose, DATA "eval_results_loose.jsonl");
    check_report(report, dir);
    CHECK(st.prompts == 294 && st.instructions == 335);
    CHECK(st.raised_strict == 0 && st.raised_loose == 0);
  }
  unlink(strict);
  unlink(loose);
  free(strict);
  free(loose);
  free(report);
}

/* Removes dir/eval_results_*.jsonl and dir. */
static void rm_outputs(const char *dir) {
  char *s = join(dir, "eval_results_strict.jsonl");
  char *l = join(dir, "eval_results_loose.jsonl");
  unlink(s);
  unlink(l);
  rmdir(dir);
  free(s);
  free(l);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

/* A multi-turn row: the responses line's last assistant turn is scored,
 * just as the same text given as "response" is. */
static void check_multiturn(const vf_ctx *ctx, const char *dir) {
  char *in = join(dir, "mt_in.jsonl"), *r1 = join(dir, "mt_r1.jsonl");
  char *r2 = join(dir, "mt_r2.jsonl"), *out = join(dir, "out");
  write_file(in, "{\"key\": \"7\", \"prompt\": \"Tell me about cats.\", "
                 "\"instruction_id_list\": [\"format:no_whitespace\", "
                 "\"repeat:repeat_simple\"], \"kwargs\": [{}, {}], "
                 "\"messages\": []}\n");
  write_file(r1, "{\"prompt\": \"Tell me about cats.\", \"messages\": ["
                 "{\"role\": \"user\", \"content\": \"Tell me about cats.\"}, "
                 "{\"role\": \"assistant\", \"content\": \"Cats purr.\"}, "
                 "{\"role\": \"user\", \"content\": \"No spaces now.\"}, "
                 "{\"role\": \"assistant\", \"content\": [{\"type\": \"text\", "
                 "\"text\": \"Cats\"}, {\"type\": \"text\", \"text\": "
                 "\"purr.\"}]}]}\n");
  write_file(r2, "{\"prompt\": \"Tell me about cats.\", \"response\": "
                 "\"Catspurr.\"}\n");
  vf_error err = {0};
  char *strict = join(out, "eval_results_strict.jsonl");
  CHECKF(run(ctx, in, r1, out, NULL, NULL, &err) == VF_OK, "%s", err.msg);
  json_t *a = read_lines(strict);
  CHECKF(run(ctx, in, r2, out, NULL, NULL, &err) == VF_OK, "%s", err.msg);
  json_t *b = read_lines(strict);
  CHECK(json_array_size(a) == 1 && json_equal(a, b));
  CHECK(strstr(json_string_value(json_array_get(a, 0)),
               "\"follow_instruction_list\": [true, false]") != NULL);
  /* a conversation without an assistant turn is an error naming the line */
  write_file(r1, "{\"prompt\": \"Tell me about cats.\", \"messages\": "
                 "[{\"role\": \"user\", \"content\": \"Hi\"}]}\n");
  CHECK(run(ctx, in, r1, out, NULL, NULL, &err) == VF_EJSON &&
        strstr(err.msg, "mt_r1.jsonl:1: field 'response' is missing"));
  /* a string key is named in the missing-response error */
  write_file(r1, "{\"prompt\": \"other\", \"response\": \"x\"}\n");
  CHECK(run(ctx, in, r1, out, NULL, NULL, &err) == VF_EMISSING &&
        strstr(err.msg, "(keys: 7)"));
  json_decref(a);
  json_decref(b);
  rm_outputs(out);
  unlink(in);
  unlink(r1);
  unlink(r2);
  free(strict), free(in), free(r1), free(r2), free(out);
}

/* A check that raises in the reference: not followed, and counted. */
static void check_raised(const vf_ctx *ctx, const char *dir) {
  char *in = join(dir, "r_in.jsonl"), *resp = join(dir, "r_resp.jsonl");
  char *out = join(dir, "out");
  write_file(in, "{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": "
                 "[\"format:emoji\", \"ratio:stop_words\"], \"kwargs\": [{}, "
                 "{\"percentage\": 50}]}\n");
  write_file(resp, "{\"prompt\": \"p\", \"response\": \"Hi \\ud83d\\ude00?!\"}\n");
  vf_eval_stats st;
  vf_error err = {0};
  CHECKF(run(ctx, in, resp, out, NULL, &st, &err) == VF_OK, "%s", err.msg);
  CHECKF(st.raised_strict == 1 && st.raised_loose == 1,
         "raised: %zu strict, %zu loose", st.raised_strict, st.raised_loose);
  rm_outputs(out);
  unlink(in);
  unlink(resp);
  free(in), free(resp), free(out);
}

int main(void) {
  vf_ctx *ctx = NULL;
  vf_error err = {0};
  CHECKF(vf_ctx_new(&ctx, NULL, &err) == VF_OK, "context: %s", err.msg);
  char tmpl[] = "/tmp/vf_ifbench_eval_XXXXXX";
  char *dir = mkdtemp(tmpl);
  CHECK(dir != NULL);
  if (ctx && dir) {
    check_shipped(ctx, dir);
    check_multiturn(ctx, dir);
    check_raised(ctx, dir);
    rmdir(dir);
  }
  vf_ctx_free(ctx);
  return vf_test_summary("ifbench_eval");
}
