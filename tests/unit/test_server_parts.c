/*
 * test_server_parts.c: the pieces of src/server that need no socket: the
 * route table (sorted, no duplicates, 404/405), query → response cutting,
 * end markers, JSON strings and numbers, records, labels and items, and
 * the metrics text.  test_server_http.c drives a live server.
 */
#include <jansson.h>

#include "harness.h"
#include "server/server.h"

/* ---- pure pieces ----------------------------------------------------------- */

static void test_routes(void) {
  size_t n;
  const vf_route *r = vf_server_routes(&n);
  CHECK(n >= 6);
  for (size_t i = 1; i < n; i++) {
    int c = strcmp(r[i - 1].path, r[i].path);
    CHECKF(c < 0 || (c == 0 && strcmp(r[i - 1].method, r[i].method) < 0),
           "routes not sorted/unique at %s %s", r[i].method, r[i].path);
  }
  int st;
  const char *allow;
  const vf_route *x = vf_server_route("/v1/score", "POST", &st, &allow);
  CHECK(x && x->fn == vf_proto_score && x->ep == VF_EP_SCORE);
  CHECK(vf_server_route("/get_reward", "POST", &st, &allow)->fn ==
        vf_proto_get_reward);
  CHECK(vf_server_route("/reward", "POST", &st, &allow)->fn == vf_proto_reward);
  CHECK(vf_server_route("/verify", "POST", &st, &allow)->fn == vf_proto_verify);
  CHECK(vf_server_route("/healthz", "HEAD", &st, &allow) != NULL);
  CHECK(!vf_server_route("/v1/score", "GET", &st, &allow) && st == 405 &&
        allow && !strcmp(allow, "POST"));
  CHECK(!vf_server_route("/nope", "GET", &st, &allow) && st == 404);
  CHECK(!vf_server_route("/v1/score/", "POST", &st, &allow) && st == 404);
  CHECK(!vf_server_route("", "GET", &st, &allow) && st == 404);
}

static void check_query(const char *q, const char *p, const char *want,
                        int want_note) {
  size_t len;
  int note;
  const char *extra[] = {"<|END|>"};
  char *got = vf_query_response(q, strlen(q), p, p ? strlen(p) : 0, extra, 1,
                                &len, &note);
  CHECKF(got && !strcmp(got, want) && len == strlen(want) && note == want_note,
         "query '%s' prompt '%s': got '%s' note %d, want '%s' %d", q,
         p ? p : "(null)", got ? got : "(null)", note, want, want_note);
  free(got);
}

static void test_query(void) {
  check_query("<s>user: hi\nassistant: hello<|im_end|>", "<s>user: hi\n",
              "assistant: hello", 0);
  check_query("BOS user: hi assistant: yo</s>", "user: hi", " assistant: yo", 0);
  check_query("no prompt here<|eot_id|><|endoftext|>", "absent",
              "no prompt here", 1);
  check_query("abc", NULL, "abc", 1);
  check_query("abc<|END|>def<|END|>", "", "abcdef", 0);
  check_query("P P answer P", "P", " P answer P", 0); /* the first one */
  check_query("<|im_end|><|im_end|>", "x", "", 1);
  char s[] = "a</s>b</s></s>c";
  CHECK(vf_strip_markers(s, strlen(s), NULL, 0) == 3 && !strcmp(s, "abc"));
  char e[] = "";
  CHECK(vf_strip_markers(e, 0, NULL, 0) == 0);
}

static void test_json_str(void) {
  vf_buf b = {0};
  const char in[] = "q\"b\\n\n\t\x01 é \xff end";
  vf_json_str(&b, in, sizeof in - 1);
  CHECKF(!strcmp(b.data, "\"q\\\"b\\\\n\\n\\t\\u0001 é \xEF\xBF\xBD end\""),
         "json_str: %s", b.data);
  json_t *v = json_loads(b.data, JSON_DECODE_ANY, NULL);
  CHECK(json_is_string(v));
  json_decref(v);
  vf_buf_reset(&b);
  vf_json_num(&b, 0.1);
  vf_buf_putc(&b, ' ');
  vf_json_num(&b, 1.0 / 3.0);
  vf_buf_putc(&b, ' ');
  vf_json_num(&b, 1);
  CHECKF(!strcmp(b.data, "0.1 0.333333333333333 1") ||
             !strcmp(b.data, "0.1 0.33333333333333331 1"),
         "json_num: %s", b.data);
  vf_buf_free(&b);
}

static void test_records(void) {
  vf_rec x;
  vf_rec_read(NULL, "{\"id\":1,\"reward\":0.5,\"hard\":{\"score\":0.5},"
                    "\"soft\":{\"verdict\":true,\"status\":\"judged\"},"
                    "\"checks\":[],\"error\":null}", 150, &x);
  CHECK(x.ok && x.reward == 0.5 && x.hard == 0.5 && x.soft == 1);
  vf_rec_read(NULL, "{\"reward\":null,\"soft\":{\"verdict\":null,\"status\":"
                    "\"error\"},\"error\":\"judge failed: boom\"}", 150, &x);
  CHECK(!x.ok && strstr(x.error, "judge failed: boom") && x.soft == -1);
  vf_rec_read(NULL, "{\"reward\":null,\"soft\":{\"status\":\"unverified\"},"
                    "\"error\":null}", 150, &x);
  CHECK(!x.ok && strstr(x.error, "unverified"));
  vf_rec_read(NULL, NULL, 2.5, &x);
  CHECK(!x.ok && strstr(x.error, "2.5 s"));
  vf_rec_read(NULL, "not json", 1, &x);
  CHECK(!x.ok && strstr(x.error, "malformed"));
  char *e = vf_rec_error("\"a\\\"b\"", "why \"quoted\"");
  json_t *v = json_loads(e, 0, NULL);
  CHECK(v && !strcmp(json_string_value(json_object_get(v, "id")), "a\"b") &&
        json_is_null(json_object_get(v, "reward")) &&
        !strcmp(json_string_value(json_object_get(v, "error")), "why \"quoted\""));
  json_decref(v);
  free(e);
  json_t *chk = json_pack("{s:b, s:n}", "verdict", 1, "error");
  CHECK(vf_check_verdict(chk) == 1);
  json_object_set_new(chk, "error", json_string("exception: x"));
  CHECK(vf_check_verdict(chk) == -1);
  json_decref(chk);
}

static void test_labels(void) {
  char why[200];
  json_t *s = json_string("{\"instruction_id_list\":[\"a\"],\"kwargs\":[{}],"
                          "\"responses\":[\"x\"]}");
  json_t *l = vf_label_parse(s, why, sizeof why);
  size_t len = 0;
  char *item = l ? vf_item_build(l, "P", 1, "R", 1, &len) : NULL;
  json_t *it = item ? json_loads(item, 0, NULL) : NULL;
  CHECK(it && !strcmp(json_string_value(json_object_get(it, "prompt")), "P") &&
        !strcmp(json_string_value(json_object_get(it, "response")), "R") &&
        !json_object_get(it, "responses") && len == strlen(item));
  json_decref(it);
  json_decref(l);
  free(item);
  json_decref(s);
  /* a label with its own prompt keeps it */
  json_t *o = json_pack("{s:s, s:[s]}", "prompt", "clean", "checkers", "[llm] x");
  l = vf_label_parse(o, why, sizeof why);
  item = vf_item_build(l, "templated", 9, "R", 1, &len);
  CHECK(item && strstr(item, "\"prompt\":\"clean\"") && !strstr(item, "templated"));
  free(item);
  json_decref(l);
  json_decref(o);
  s = json_string("[1,2]");
  CHECK(!vf_label_parse(s, why, sizeof why) && strstr(why, "an array"));
  json_decref(s);
  s = json_string("{bad");
  CHECK(!vf_label_parse(s, why, sizeof why) && strstr(why, "malformed"));
  json_decref(s);
  s = json_integer(3);
  CHECK(!vf_label_parse(s, why, sizeof why) && strstr(why, "a number"));
  json_decref(s);
}

static void test_metrics(void) {
  vf_metrics *m = vf_metrics_new();
  vf_buf b = {0};
  vf_metrics_request(m, VF_EP_SCORE, 200, 0.003, 5, 1);
  vf_metrics_request(m, VF_EP_GET_REWARD, 503, 0.0001, 0, 0);
  vf_metrics_record(m, "{\"checks\":[{\"kind\":\"rule\",\"verdict\":true,"
                       "\"error\":null},{\"kind\":\"llm\",\"verdict\":null,"
                       "\"error\":\"x\"},{\"kind\":\"we\\\"ird\",\"verdict\":"
                       "false}]}");
  vf_metrics_count(m, VF_C_BUSY, 2);
  CHECK(vf_metrics_render(m, &b) == 0);
  static const char *const want[] = {
      "verif_http_requests_total{endpoint=\"/v1/score\",code=\"200\"} 1\n",
      "verif_http_requests_total{endpoint=\"/get_reward\",code=\"503\"} 1\n",
      "verif_items_total{endpoint=\"/v1/score\",outcome=\"ok\"} 5\n",
      "verif_items_total{endpoint=\"/v1/score\",outcome=\"error\"} 1\n",
      "verif_http_request_duration_seconds_bucket{endpoint=\"/v1/score\","
      "le=\"0.0025\"} 0\n",
      "verif_http_request_duration_seconds_bucket{endpoint=\"/v1/score\","
      "le=\"0.005\"} 1\n",
      "verif_http_request_duration_seconds_count{endpoint=\"/v1/score\"} 1\n",
      "verif_checks_total{kind=\"rule\",verdict=\"pass\"} 1\n",
      "verif_checks_total{kind=\"llm\",verdict=\"error\"} 1\n",
      "verif_checks_total{kind=\"we_ird\",verdict=\"fail\"} 1\n",
      "verif_rejected_total{reason=\"busy\"} 2\n"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    CHECKF(strstr(b.data, want[i]), "metrics lack: %s", want[i]);
  vf_buf_free(&b);
  vf_metrics_free(m);
}

int main(void) {
  test_routes();
  test_query();
  test_json_str();
  test_records();
  test_labels();
  test_metrics();
  return vf_test_summary("server_parts");
}
