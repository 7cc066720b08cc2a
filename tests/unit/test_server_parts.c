/*
 * test_server_parts.c: the pieces of src/server that need no socket: the
 * route table (sorted, no duplicates, 404/405), query → response cutting,
 * end markers, JSON strings and numbers, records, labels and items, the
 * metrics text, and the fast body scanner (jsonspan.c) against jansson on
 * hand cases and random mutations.  test_server_http.c drives a live
 * server.
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

static void check_instruction(const char *p, const char *want) {
  size_t b, e;
  vf_prompt_instruction(p, strlen(p), &b, &e);
  CHECKF(e - b == strlen(want) && !memcmp(p + b, want, e - b),
         "instruction of '%s': '%.*s', want '%s'", p, (int)(e - b), p + b, want);
}

static void test_instruction(void) {
  check_instruction("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
                    "Write two words.<|im_end|>\n<|im_start|>assistant\n",
                    "Write two words.");
  check_instruction("<|im_start|>user\nfirst<|im_end|><|im_start|>assistant\nok"
                    "<|im_end|><|im_start|>user\n second turn \n<|im_end|>",
                    "second turn");
  check_instruction("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
                    "Hi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                    "Hi there");
  check_instruction("<bos><start_of_turn>user\nG<end_of_turn>\n<start_of_turn>model\n", "G");
  check_instruction("<s>[INST] Mistral says [/INST]", "Mistral says");
  check_instruction("<\xEF\xBD\x9CUser\xEF\xBD\x9C>DS<\xEF\xBD\x9C"
                    "Assistant\xEF\xBD\x9C>", "DS");
  check_instruction("plain prompt", "plain prompt");
  check_instruction("<|im_start|>user\nunclosed", "unclosed");
  check_instruction("", "");
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
  char *item = l ? vf_item_build(l, s, "P", 1, "R", 1, &len) : NULL;
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
  item = vf_item_build(l, o, "templated", 9, "R", 1, &len);
  CHECK(item && strstr(item, "\"prompt\":\"clean\"") && !strstr(item, "templated"));
  free(item);
  json_decref(l);
  json_decref(o);
  /* so does a verl row, whose prompt is a chat */
  o = json_pack("{s:[{s:s, s:s}], s:{s:s}}", "prompt", "role", "user", "content",
                "hi", "reward_model", "ground_truth", "{}");
  l = vf_label_parse(o, why, sizeof why);
  item = vf_item_build(l, o, "templated", 9, "R", 1, &len);
  CHECK(item && strstr(item, "\"content\":\"hi\"") && !strstr(item, "templated"));
  free(item);
  json_decref(l);
  json_decref(o);
  /* labels given as JSON text are spliced, not re-encoded: same item */
  static const char *const texts[] = {
      " {\"instruction_id_list\": [\"a\"], \"kwargs\": [{\"x\": 1.50}]} ", "{}",
      "{\"prompt\":\"own\",\"checkers\":[\"[rule] \\u00e9\"]}"};
  for (size_t k = 0; k < 3; k++) {
    s = json_string(texts[k]);
    l = vf_label_parse(s, why, sizeof why);
    json_t *copy = json_deep_copy(l);
    item = vf_item_build(l, s, "P \"q\"", 5, "R\n", 2, &len);
    json_t *got = item ? json_loads(item, 0, NULL) : NULL;
    json_object_set_new(copy, "response", json_string("R\n"));
    if (!json_object_get(copy, "prompt"))
      json_object_set_new(copy, "prompt", json_string("P \"q\""));
    CHECKF(got && json_equal(got, copy) && len == strlen(item),
           "spliced item of %s: %s", texts[k], item ? item : "(null)");
    json_decref(got);
    json_decref(copy);
    json_decref(l);
    json_decref(s);
    free(item);
  }
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

/* The scanner may decline anything; what it accepts jansson must accept,
 * with the same items.  Returns 1 when the scanner took it. */
static int span_agrees(const char *body, size_t len) {
  vf_span_list sp = {0};
  int took = vf_json_item_spans(body, len, "items", &sp) == 0;
  if (took) {
    json_t *v = json_loadb(body, len, 0, NULL);
    json_t *items = json_object_get(v, "items");
    int same = json_is_array(items) && json_array_size(items) == sp.n;
    for (size_t i = 0; same && i < sp.n; i++) {
      json_t *it = json_loadb(body + sp.v[i].off, sp.v[i].len, 0, NULL);
      same = json_is_object(it) && json_equal(it, json_array_get(items, i));
      json_decref(it);
    }
    CHECKF(same, "scanner and jansson differ on: %.*s", (int)(len > 200 ? 200 : len),
           body);
    json_decref(v);
  }
  free(sp.v);
  return took;
}

static void test_spans(void) {
  static const char *const take[] = {
      "{\"items\":[]}",
      " {\"a\":1, \"items\" : [ {\"id\":1,\"r\":\"x\\\"y\\n\\u00e9\\ud83d\\ude00\"} ,"
      "{\"k\":[1,-2.5e3,true,false,null,{\"z\":{}}]}], \"b\":\"\"} ",
      "{\"items\":[{\"s\":\"é ü 中\"}],\"items2\":5}",
      "{\"x\":[[[]]],\"items\":[{}]}",
  };
  static const char *const decline[] = {
      "", "[]", "{}", "{\"items\":{}}", "{\"items\":[1]}", "{\"items\":[{},]}",
      "{\"items\":[{}]", "{\"items\":[{}]} x", "{\"items\" [{}]}",
      "{\"items\":[{\"a\":\"\t\"}]}", "{\"items\":[{\"a\":\"\\x\"}]}",
      "{\"items\":[{\"a\":\"\\ud800\"}]}", "{\"items\":[{\"a\":\"\\u0000\"}]}",
      "{\"items\":[{\"a\":01}]}", "{\"items\":[{\"a\":1.}]}",
      "{\"items\":[{\"a\":12345678901234567890}]}", "{\"items\":[{\"a\":1e999}]}",
      "{\"\\u0069tems\":[{}]}", "{\"items\":[{\"a\":\"\xff\"}]}",
      "{\"items\":[{\"a\":tru}]}", "{\"items\":[{\"a\" 1}]}",
  };
  for (size_t i = 0; i < sizeof take / sizeof take[0]; i++)
    CHECKF(span_agrees(take[i], strlen(take[i])), "not taken: %s", take[i]);
  for (size_t i = 0; i < sizeof decline / sizeof decline[0]; i++)
    CHECKF(!span_agrees(decline[i], strlen(decline[i])), "taken: %s", decline[i]);
  /* random mutations of a valid body: bytes changed, dropped, doubled */
  const char *base = take[1];
  size_t blen = strlen(base);
  unsigned seed = 12345;
  int taken = 0;
  char buf[512];
  for (int round = 0; round < 20000; round++) {
    memcpy(buf, base, blen);
    size_t len = blen;
    for (int k = 0; k < 1 + round % 3; k++) {
      seed = seed * 1103515245u + 12345u;
      size_t at = (seed >> 8) % len;
      int op = (int)((seed >> 4) % 3);
      static const char alphabet[] = "{}[],:\"\\ \tu0123456789aeE.-+tfnlrs\x80\xc3";
      if (op == 0)
        buf[at] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
      else if (op == 1 && len > 1)
        memmove(buf + at, buf + at + 1, --len - at);
      else if (len + 1 < sizeof buf)
        memmove(buf + at + 1, buf + at, len++ - at);
    }
    taken += span_agrees(buf, len);
  }
  CHECKF(taken > 100, "the scanner took only %d mutated bodies", taken);
}

int main(void) {
  test_routes();
  test_spans();
  test_query();
  test_instruction();
  test_json_str();
  test_records();
  test_labels();
  test_metrics();
  return vf_test_summary("server_parts");
}
