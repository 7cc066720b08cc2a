/*
 * test_server_http.c: a server in this process with a fake scorer, driven
 * over loopback with libcurl: every endpoint, every error status, the
 * token, 413, 503 past --max-inflight, the request deadline, concurrent
 * keep-alive clients and draining with a request in flight.  A slow item
 * ("hold") waits at a gate the test opens; every wait is on an observable
 * condition (the gate's count, /metrics), never on a sleep.
 * tests/cli/serve*.sh do the same against `verif serve` and the engine.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "server/server.h"

/* ---- a server with a fake scorer --------------------------------------- */

/* The gate "hold" items wait at while it is closed; gate_set(1) opens it
 * and wakes them.  gate_held counts the items waiting, gate_passed those
 * that went through. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open = 1, gate_held, gate_passed;

static void gate_hold(void) {
  pthread_mutex_lock(&gate_lock);
  gate_held++;
  while (!gate_open)
    pthread_cond_wait(&gate_cv, &gate_lock);
  gate_held--;
  gate_passed++;
  pthread_mutex_unlock(&gate_lock);
}

static void gate_set(int open) {
  pthread_mutex_lock(&gate_lock);
  gate_open = open;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate_lock);
}

static int gate_count(const int *which) {
  pthread_mutex_lock(&gate_lock);
  int n = *which;
  pthread_mutex_unlock(&gate_lock);
  return n;
}

/* The fake scorer: the response text decides.  "good" → reward 1, "bad" →
 * 0, "broken" → an error record, "hold" → waits at the gate, then 1;
 * anything else 0.5.  Checks: one per instruction id, passing when the
 * response is good. */
static vf_status fake_score(void *ud, const char *const *items,
                            const size_t *lens, const char *const *where,
                            size_t n, char **out, vf_error *err) {
  atomic_int *calls = ud;
  atomic_fetch_add(calls, 1);
  for (size_t i = 0; i < n; i++) {
    json_t *it = json_loadb(items[i], lens[i], 0, NULL);
    const char *r = json_string_value(json_object_get(it, "response"));
    r = r ? r : "";
    if (!strcmp(r, "hold"))
      gate_hold();
    double reward = !strcmp(r, "good") || !strcmp(r, "hold") ? 1
                    : !strcmp(r, "bad")                      ? 0
                                                             : 0.5;
    size_t nids = json_array_size(json_object_get(it, "instruction_id_list"));
    json_t *checks = json_array();
    for (size_t k = 0; k < nids; k++)
      json_array_append_new(checks, json_pack("{s:s, s:b, s:n}", "kind", "rule",
                                              "verdict", reward == 1, "error"));
    json_t *id = json_object_get(it, "id");
    json_t *rec = !strcmp(r, "broken")
                      ? json_pack("{s:O?, s:n, s:s}", "id", id, "reward",
                                  "error", where[i])
                      : json_pack("{s:O?, s:f, s:{s:f}, s:{s:n, s:s}, s:o, s:n}",
                                  "id", id, "reward", reward, "hard", "score",
                                  reward, "soft", "verdict", "status",
                                  "skipped", "checks", checks, "error");
    if (!strcmp(r, "broken"))
      json_decref(checks);
    out[i] = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    json_decref(it);
  }
  return VF_OK;
}

typedef struct resp {
  long status;
  vf_buf body;
  char retry_after[16];
  char allow[16];
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  vf_buf_append(&((resp *)ud)->body, p, sz * n);
  return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
  resp *r = ud;
  if (!strncasecmp(p, "Retry-After: ", 13))
    snprintf(r->retry_after, sizeof r->retry_after, "%.*s",
             (int)strcspn(p + 13, "\r\n"), p + 13);
  if (!strncasecmp(p, "Allow: ", 7))
    snprintf(r->allow, sizeof r->allow, "%.*s", (int)strcspn(p + 7, "\r\n"),
             p + 7);
  return sz * n;
}

/* One request; body NULL: GET.  token NULL: no Authorization. */
static resp call(int port, const char *path, const char *body,
                 const char *token) {
  resp r = {0};
  char url[128], auth[128];
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  if (body)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  h = curl_slist_append(h, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (!r.body.data)
    vf_buf_append(&r.body, "", 0);
  return r;
}

static json_t *call_json(int port, const char *path, const char *body,
                         long want_status) {
  resp r = call(port, path, body, NULL);
  json_t *v = json_loads(r.body.data, 0, NULL);
  CHECKF(r.status == want_status && v, "%s: status %ld (want %ld): %s", path,
         r.status, want_status, r.body.data);
  vf_buf_free(&r.body);
  return v;
}

/* A body sent in chunks (no Content-Length): text repeated times. */
typedef struct upload {
  const char *text;
  int left;
  size_t off;
} upload;

static size_t on_read(char *buf, size_t sz, size_t n, void *ud) {
  upload *u = ud;
  size_t len = strlen(u->text);
  if (!u->left)
    return 0;
  size_t k = len - u->off < sz * n ? len - u->off : sz * n;
  memcpy(buf, u->text + u->off, k);
  u->off += k;
  if (u->off == len)
    u->off = 0, u->left--;
  return k;
}

static resp chunked(int port, const char *text, int times, const char *token) {
  resp r = {0};
  upload u = {text, times, 0};
  char url[128], auth[128];
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  h = curl_slist_append(h, auth);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/score", port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(c, CURLOPT_READDATA, &u);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (!r.body.data)
    vf_buf_append(&r.body, "", 0);
  return r;
}

static vf_server *start(vf_server_opts *o, atomic_int *calls) {
  vf_server *s = NULL;
  vf_error err = {0};
  o->score = fake_score;
  o->score_ud = calls;
  CHECKF(vf_server_new(o, &s, &err) == VF_OK, "server: %s", err.msg);
  return s;
}

static const char *const label =
    "\"{\\\"instruction_id_list\\\":[\\\"a:b\\\",\\\"c:d\\\"],\\\"kwargs\\\":[{},{}]}\"";

static void test_score_endpoint(int port) {
  json_t *v = call_json(port, "/v1/score",
                        "{\"items\":[{\"id\":\"x\",\"response\":\"good\"},"
                        "{\"id\":7,\"response\":\"broken\"},{\"response\":\"bad\"}]}",
                        200);
  json_t *res = json_object_get(v, "results");
  CHECK(json_array_size(res) == 3);
  CHECK(!strcmp(json_string_value(json_object_get(json_array_get(res, 0), "id")), "x"));
  CHECK(json_real_value(json_object_get(json_array_get(res, 0), "reward")) == 1);
  CHECK(!strcmp(json_string_value(json_object_get(json_array_get(res, 1), "error")),
                "items[1]"));
  CHECK(json_real_value(json_object_get(json_array_get(res, 2), "reward")) == 0);
  json_decref(v);
  v = call_json(port, "/v1/score", "{\"items\":[]}", 200);
  CHECK(json_array_size(json_object_get(v, "results")) == 0);
  json_decref(v);
}

static void test_get_reward(int port) {
  char body[1024];
  snprintf(body, sizeof body,
           "{\"query\":[\"<s>P1 good<|im_end|>\",\"P2 broken\",\"zzz bad\"],"
           "\"prompts\":[\"<s>P1 \",\"P2 \",\"P3\"],\"labels\":[%s,%s,%s]}",
           label, label, label);
  json_t *v = call_json(port, "/get_reward", body, 200);
  json_t *rw = json_object_get(v, "rewards"), *el = json_object_get(v, "extra_logs");
  CHECK(json_array_size(rw) == 3 && json_number_value(json_array_get(rw, 0)) == 1 &&
        json_number_value(json_array_get(rw, 1)) == -1 &&
        json_number_value(json_array_get(rw, 2)) == 0.5);
  CHECK(json_equal(rw, json_object_get(v, "scores")));
  CHECK(json_number_value(json_array_get(json_object_get(el, "errors"), 1)) == 1 &&
        json_number_value(json_array_get(json_object_get(el, "errors"), 0)) == 0);
  CHECK(json_array_size(json_object_get(el, "hard")) == 3 &&
        json_array_size(json_object_get(el, "soft")) == 3);
  json_t *errs = json_object_get(v, "errors"), *notes = json_object_get(v, "notes");
  CHECK(json_array_size(errs) == 1 &&
        json_integer_value(json_object_get(json_array_get(errs, 0), "index")) == 1);
  /* query 3 lacks its prompt: scored whole ("zzz bad" → 0.5), noted */
  CHECK(json_array_size(notes) == 1 &&
        json_integer_value(json_object_get(json_array_get(notes, 0), "index")) == 2);
  json_decref(v);
  /* a bad label is its item's error; the other item is scored */
  snprintf(body, sizeof body, "{\"query\":[\"a bad\",\"b good\"],\"prompts\":"
           "[\"a \",\"b \"],\"labels\":[\"nope\",%s]}", label);
  v = call_json(port, "/get_reward", body, 200);
  rw = json_object_get(v, "rewards");
  errs = json_object_get(v, "errors");
  CHECK(json_number_value(json_array_get(rw, 0)) == -1 &&
        json_number_value(json_array_get(rw, 1)) == 1 &&
        json_array_size(errs) == 1 &&
        strstr(json_string_value(json_object_get(json_array_get(errs, 0),
                                                 "error")), "labels[0]"));
  json_decref(v);
  /* OpenRLHF with two --reward.remote_url posts an empty shard */
  v = call_json(port, "/get_reward", "{\"query\":[],\"prompts\":[],\"labels\":[]}",
                200);
  CHECK(json_array_size(json_object_get(v, "rewards")) == 0 &&
        json_is_array(json_object_get(json_object_get(v, "extra_logs"), "hard")));
  json_decref(v);
}

static void test_reward_verify(int port) {
  char body[1024];
  snprintf(body, sizeof body,
           "{\"prompt\":[{\"role\":\"user\",\"content\":\"hi\"}],"
           "\"response\":\"good</s>\",\"label\":%s}", label);
  json_t *v = call_json(port, "/reward", body, 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == 1 &&
        json_is_object(json_object_get(v, "hard")) &&
        !json_object_get(v, "error"));
  json_decref(v);
  snprintf(body, sizeof body,
           "{\"prompt\":\"p\",\"response\":\"broken\",\"label\":%s}", label);
  v = call_json(port, "/reward", body, 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == -1 &&
        json_is_string(json_object_get(v, "error")));
  json_decref(v);
  /* a multimodal content list gives its text parts; a null label is this
   * item's error, not a 400 (slime retries those for minutes) */
  snprintf(body, sizeof body,
           "{\"prompt\":[{\"role\":\"user\",\"content\":[{\"type\":"
           "\"image\",\"image\":\"x.png\"},{\"type\":\"text\",\"text\":"
           "\"hi\"}]}],\"response\":\"good\",\"label\":%s}", label);
  v = call_json(port, "/reward", body, 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == 1);
  json_decref(v);
  v = call_json(port, "/reward",
                "{\"prompt\":\"p\",\"response\":\"good\",\"label\":null}", 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == -1 &&
        strstr(json_string_value(json_object_get(v, "error")), "label"));
  json_decref(v);
}

/* NeMo-Gym's /verify: per-entry verdicts, grading modes, the migrated
 * verifier_metadata, the rollout prefix; the other resources endpoints. */
static void test_nemo(int port) {
  const char *nemo =
      "{\"responses_create_params\":{\"input\":[]},\"verifier_metadata\":{"
      "\"instruction_id_list\":[\"a:b\",\"c:d\"],\"kwargs\":[{},null],"
      "\"prompt\":\"p\"},\"response\":{\"output\":[{\"type\":\"reasoning\"},"
      "{\"type\":\"message\",\"content\":[{\"type\":\"output_text\","
      "\"text\":\"good\"}]}]}}";
  json_t *v = call_json(port, "/verify", nemo, 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == 1 &&
        json_is_true(json_object_get(v, "follow_all_instructions")) &&
        json_array_size(json_object_get(v, "follow_instruction_list")) == 2 &&
        json_is_object(json_object_get(v, "responses_create_params")) &&
        !json_object_get(v, "verif_errors"));
  json_decref(v);
  v = call_json(port, "/ng-rollout/r-1.a_b/verify",
                "{\"instruction_id_list\":[\"a:b\"],\"kwargs\":[{}],\"prompt\":"
                "\"p\",\"grading_mode\":\"fraction\",\"response\":{\"output\":"
                "[{\"content\":[{\"text\":\"bad\"}]}]}}",
                200);
  const json_t *vm = json_object_get(v, "verifier_metadata");
  CHECK(json_number_value(json_object_get(v, "reward")) == 0 &&
        json_is_false(json_object_get(v, "follow_all_instructions")) &&
        !strcmp(json_string_value(json_object_get(vm, "grading_mode")),
                "fraction") &&
        json_array_size(json_object_get(vm, "instruction_id_list")) == 1);
  json_decref(v);
  /* entries broken (an id not a string, kwargs not an object): False each,
   * listed in verif_errors; the others still count */
  v = call_json(port, "/verify",
                "{\"verifier_metadata\":{\"grading_mode\":\"fraction\"},"
                "\"instruction_id_list\":[\"a:b\",5,\"c:d\"],\"kwargs\":"
                "[{},{},[1]],\"prompt\":\"p\",\"response\":{\"output\":[{"
                "\"content\":[{\"text\":\"good\"}]}]}}",
                200);
  const json_t *fl = json_object_get(v, "follow_instruction_list");
  CHECK(fabs(json_number_value(json_object_get(v, "reward")) - 1.0 / 3) < 1e-12 &&
        json_is_true(json_array_get(fl, 0)) && json_is_false(json_array_get(fl, 1)) &&
        json_is_false(json_array_get(fl, 2)) &&
        json_array_size(json_object_get(v, "verif_errors")) == 2);
  json_decref(v);
  /* lists of different lengths: paired as zip pairs them, noted */
  v = call_json(port, "/verify", "{\"instruction_id_list\":[\"a:b\",\"c:d\"],"
                "\"kwargs\":[{}],\"prompt\":\"p\",\"response\":{\"output\":[{"
                "\"content\":[{\"text\":\"good\"}]}]}}", 200);
  CHECK(json_array_size(json_object_get(v, "follow_instruction_list")) == 1 &&
        json_number_value(json_object_get(v, "reward")) == 1 &&
        strstr(json_string_value(json_array_get(json_object_get(v, "verif_notes"),
                                                0)), "zip"));
  json_decref(v);
  /* no instruction: 1.0 binary, 0.0 fraction (NeMo: all([]), else 0.0) */
  v = call_json(port, "/verify", "{\"instruction_id_list\":[],\"kwargs\":[],"
                "\"prompt\":\"p\",\"response\":{\"output\":[]}}", 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == 1 &&
        json_is_true(json_object_get(v, "follow_all_instructions")));
  json_decref(v);
  v = call_json(port, "/verify", "{\"instruction_id_list\":[],\"kwargs\":[],"
                "\"grading_mode\":\"fraction\",\"prompt\":\"p\",\"response\":"
                "{}}", 200);
  CHECK(json_number_value(json_object_get(v, "reward")) == 0);
  json_decref(v);
  v = call_json(port, "/seed_session", "{\"id\":3}", 200);
  CHECK(json_is_object(v) && json_object_size(v) == 0);
  json_decref(v);
  resp r = call(port, "/reverify_mode", NULL, NULL);
  CHECK(r.status == 200 && !strcmp(r.body.data, "\"stateless\""));
  vf_buf_free(&r.body);
  v = call_json(port, "/aggregate_metrics", "{\"verify_responses\":[{"
                "\"_ng_task_index\":0,\"_ng_rollout_index\":0,\"reward\":1},{"
                "\"_ng_task_index\":0,\"_ng_rollout_index\":1,\"reward\":0}]}",
                200);
  CHECK(json_number_value(json_object_get(json_object_get(v, "key_metrics"),
                                          "mean/reward")) == 0.5 &&
        json_array_size(json_object_get(v, "group_level_metrics")) == 1);
  json_decref(v);
}

static void expect_error(int port, const char *path, const char *body,
                         long status, const char *text) {
  resp r = call(port, path, body, NULL);
  json_t *v = json_loads(r.body.data, 0, NULL);
  const char *e = json_string_value(json_object_get(v, "error"));
  CHECKF(r.status == status && e && strstr(e, text),
         "%s %s: status %ld (want %ld), body %s (want '%s')", path,
         body ? body : "GET", r.status, status, r.body.data, text);
  json_decref(v);
  vf_buf_free(&r.body);
}

static void test_errors(int port) {
  expect_error(port, "/v1/score", "{\"items\": [", 400, "malformed JSON");
  expect_error(port, "/v1/score", "[]", 400, "must be a JSON object");
  expect_error(port, "/v1/score", "{}", 400, "field 'items': missing");
  expect_error(port, "/v1/score", "{\"items\":{}}", 400, "field 'items'");
  expect_error(port, "/v1/score", "{\"items\":[1]}", 400, "'items'[0]");
  expect_error(port, "/get_reward", "{\"query\":[\"a\"]}", 400, "'labels'");
  expect_error(port, "/get_reward", "{\"query\":\"a\",\"labels\":[]}", 400,
               "field 'query'");
  expect_error(port, "/get_reward", "{\"query\":[\"a\"],\"labels\":[\"{}\","
               "\"{}\"]}", 400, "has 2 entries");
  expect_error(port, "/get_reward", "{\"query\":[\"a\"],\"prompts\":[1],"
               "\"labels\":[\"{}\"]}", 400, "'prompts'[0]");

  expect_error(port, "/reward", "{\"prompt\":\"p\",\"label\":\"{}\"}", 400,
               "field 'response'");
  expect_error(port, "/reward", "{\"prompt\":[{\"role\":\"user\",\"content\":"
               "[{\"type\":\"image\"}]}],\"response\":\"r\",\"label\":{}}", 400,
               "field 'prompt'");
  expect_error(port, "/verify", "{\"prompt\":\"p\",\"instruction_id_list\":[],"
               "\"kwargs\":[],\"grading_mode\":\"best\",\"response\":{}}", 400,
               "grading_mode");
  expect_error(port, "/aggregate_metrics", "{\"verify_responses\":[{\"reward\":1}"
               "]}", 400, "_ng_task_index");
  expect_error(port, "/aggregate_metrics", "{\"verify_responses\":[{"
               "\"_ng_task_index\":0,\"_ng_rollout_index\":0},{\"_ng_task_index\""
               ":0,\"_ng_rollout_index\":0}]}", 400, "duplicate");
  expect_error(port, "/verify", "{\"prompt\":\"p\",\"kwargs\":[]}", 400,
               "instruction_id_list");
  expect_error(port, "/verify", "{\"verifier_metadata\":{\"prompt\":\"p\","
               "\"instruction_id_list\":\"a\",\"kwargs\":[]}}", 400,
               "verifier_metadata.instruction_id_list");
  expect_error(port, "/verify", "{\"prompt\":\"p\",\"instruction_id_list\":[],"
               "\"kwargs\":[]}", 400, "field 'response'");
  expect_error(port, "/nope", NULL, 404, "no such endpoint");
  resp r = call(port, "/v1/score", NULL, NULL);
  CHECKF(r.status == 405 && !strcmp(r.allow, "POST"), "405: %ld allow '%s'",
         r.status, r.allow);
  vf_buf_free(&r.body);
}

static void test_metrics_endpoint(int port) {
  resp r = call(port, "/metrics", NULL, NULL);
  CHECK(r.status == 200 &&
        strstr(r.body.data, "verif_http_requests_total{endpoint=\"/v1/score\","
                            "code=\"400\"}") &&
        strstr(r.body.data, "verif_inflight_items 0\n") &&
        strstr(r.body.data, "verif_checks_total{kind=\"rule\",verdict=\"pass\"}"));
  vf_buf_free(&r.body);
  r = call(port, "/healthz", NULL, NULL);
  CHECK(r.status == 200 && strstr(r.body.data, "\"ok\""));
  vf_buf_free(&r.body);
}

static void test_basic_server(void) {
  atomic_int calls = 0;
  vf_server_opts o = {.port = 0, .error_reward = -1, .scorers = 2, .batch = 2};
  vf_server *s = start(&o, &calls);
  if (!s)
    return;
  int port = vf_server_port(s);
  CHECK(port > 0);
  test_score_endpoint(port);
  test_get_reward(port);
  test_reward_verify(port);
  test_nemo(port);
  test_errors(port);
  test_metrics_endpoint(port);
  CHECK(vf_server_drain(s, 5) == 0);
  CHECK(vf_server_free(s, 5) == 0);
}

static void test_token_and_limits(void) {
  atomic_int calls = 0;
  vf_server_opts o = {.token = "s3cret", .max_body = 100};
  vf_server *s = start(&o, &calls);
  if (!s)
    return;
  int port = vf_server_port(s);
  resp r = call(port, "/v1/score", "{\"items\":[]}", NULL);
  CHECK(r.status == 401);
  vf_buf_free(&r.body);
  r = call(port, "/v1/score", "{\"items\":[]}", "wrong");
  CHECK(r.status == 401);
  vf_buf_free(&r.body);
  r = call(port, "/v1/score", "{\"items\":[]}", "s3cret");
  CHECK(r.status == 200);
  vf_buf_free(&r.body);
  r = call(port, "/metrics", NULL, NULL);
  CHECK(r.status == 401);
  vf_buf_free(&r.body);
  r = call(port, "/healthz", NULL, NULL); /* open */
  CHECK(r.status == 200);
  vf_buf_free(&r.body);
  char big[300];
  snprintf(big, sizeof big, "{\"items\":[{\"response\":\"%0200d\"}]}", 0);
  r = call(port, "/v1/score", big, "s3cret");
  CHECKF(r.status == 413 && strstr(r.body.data, "--max-body"), "413: %ld %s",
         r.status, r.body.data);
  vf_buf_free(&r.body);
  r = chunked(port, "{\"items\":[]}", 1, "s3cret"); /* within the limit */
  CHECKF(r.status == 200, "chunked upload: %ld %s", r.status, r.body.data);
  vf_buf_free(&r.body);
  r = chunked(port, "{\"items\":[]}", 20, "s3cret"); /* 240 bytes, no length */
  CHECKF(r.status == 413 && strstr(r.body.data, "--max-body"),
         "chunked upload over the limit: %ld %s", r.status, r.body.data);
  vf_buf_free(&r.body);
  CHECK(vf_server_free(s, 5) == 0);
}

/* ---- pressure: 503, deadlines, concurrency, draining ------------------- */

typedef struct bg {
  pthread_t th;
  int port;
  const char *path, *body;
  resp r;
} bg;

static void *bg_run(void *arg) {
  bg *b = arg;
  b->r = call(b->port, b->path, b->body, NULL);
  return NULL;
}

static void bg_start(bg *b, int port, const char *path, const char *body) {
  b->port = port;
  b->path = path;
  b->body = body;
  pthread_create(&b->th, NULL, bg_run, b);
}

/* A gauge of the server's /metrics (-1 when absent or unreachable). */
static long gauge(int port, const char *name) {
  resp r = call(port, "/metrics", NULL, NULL);
  size_t n = strlen(name);
  long v = -1;
  for (const char *p = r.body.data; p; p = strchr(p, '\n')) {
    p += *p == '\n';
    if (!strncmp(p, name, n) && p[n] == ' ')
      v = strtol(p + n + 1, NULL, 10);
  }
  vf_buf_free(&r.body);
  return v;
}

/* Polls until the gauge (port > 0) or the gate count (which) equals want;
 * a failed check after 60 s rather than a hang. */
static int wait_for(int port, const char *name, const int *which, long want) {
  double end = vf_now() + 60;
  long got = -1;
  while (vf_now() < end) {
    got = port > 0 ? gauge(port, name) : gate_count(which);
    if (got == want)
      return 1;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  CHECKF(0, "waited 60 s for %s == %ld (last %ld)", name, want, got);
  return 0;
}

static void test_busy(void) {
  atomic_int calls = 0;
  vf_server_opts o = {.max_inflight = 2, .scorers = 2};
  vf_server *s = start(&o, &calls);
  if (!s)
    return;
  int port = vf_server_port(s);
  bg slow;
  gate_set(0);
  bg_start(&slow, port, "/v1/score",
           "{\"items\":[{\"response\":\"hold\"},{\"response\":\"hold\"}]}");
  wait_for(port, "verif_inflight_items", NULL, 2);
  resp r = call(port, "/v1/score", "{\"items\":[{\"response\":\"good\"}]}", NULL);
  CHECKF(r.status == 503 && !strcmp(r.retry_after, "1") &&
             strstr(r.body.data, "--max-inflight"),
         "busy: %ld retry '%s' %s", r.status, r.retry_after, r.body.data);
  vf_buf_free(&r.body);
  r = call(port, "/v1/score",
           "{\"items\":[{\"response\":\"good\"},{\"response\":\"good\"},"
           "{\"response\":\"good\"}]}", NULL);
  CHECKF(r.status == 413, "too many items: %ld", r.status);
  vf_buf_free(&r.body);
  gate_set(1);
  pthread_join(slow.th, NULL);
  CHECK(slow.r.status == 200);
  vf_buf_free(&slow.r.body);
  r = call(port, "/v1/score", "{\"items\":[{\"response\":\"good\"}]}", NULL);
  CHECK(r.status == 200);
  vf_buf_free(&r.body);
  r = call(port, "/metrics", NULL, NULL);
  CHECK(strstr(r.body.data, "verif_rejected_total{reason=\"busy\"} 1\n") != NULL);
  vf_buf_free(&r.body);
  CHECK(vf_server_free(s, 5) == 0);
}

static void test_deadline(void) {
  atomic_int calls = 0;
  vf_server_opts o = {.request_timeout_s = 0.4, .scorers = 1, .batch = 1};
  vf_server *s = start(&o, &calls);
  if (!s)
    return;
  int port = vf_server_port(s);
  /* item 2 holds the only scorer until the gate opens: only the deadline
   * can answer, and not before it has passed */
  gate_set(0);
  double t0 = vf_now();
  json_t *v = call_json(port, "/v1/score",
                        "{\"items\":[{\"id\":1,\"response\":\"good\"},"
                        "{\"id\":2,\"response\":\"hold\"},"
                        "{\"id\":3,\"response\":\"good\"}]}",
                        200);
  double took = vf_now() - t0;
  json_t *res = json_object_get(v, "results");
  CHECKF(took >= 0.4, "deadline answer after %.2f s, before the deadline", took);
  CHECK(json_real_value(json_object_get(json_array_get(res, 0), "reward")) == 1);
  const char *e2 = json_string_value(json_object_get(json_array_get(res, 1), "error"));
  const char *e3 = json_string_value(json_object_get(json_array_get(res, 2), "error"));
  CHECKF(e2 && strstr(e2, "request timeout") && e3 &&
             json_integer_value(json_object_get(json_array_get(res, 2), "id")) == 3,
         "timeout records: %s / %s", e2 ? e2 : "-", e3 ? e3 : "-");
  json_decref(v);
  v = call_json(port, "/get_reward",
                "{\"query\":[\"hold\"],\"labels\":[\"{}\"]}", 200);
  CHECK(json_array_size(json_object_get(v, "errors")) == 1 &&
        json_number_value(json_array_get(json_object_get(v, "rewards"), 0)) == 0);
  json_decref(v);
  gate_set(1); /* the abandoned chunks finish and are freed */
  wait_for(port, "verif_inflight_items", NULL, 0);
  CHECK(vf_server_free(s, 5) == 0);
}

enum { NCLIENTS = 8, PER_CLIENT = 40 };

static void *client(void *arg) {
  bg *b = arg;
  CURL *c = curl_easy_init();
  char url[128];
  int bad = 0;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/get_reward", b->port);
  for (int i = 0; i < PER_CLIENT; i++) {
    resp r = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, b->body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    long st = 0;
    if (curl_easy_perform(c) == CURLE_OK)
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    bad += st != 200 || !r.body.data || !strstr(r.body.data, "\"rewards\":[1,0]");
    vf_buf_free(&r.body);
  }
  curl_easy_cleanup(c);
  b->r.status = bad;
  return NULL;
}

static void test_concurrency(void) {
  atomic_int calls = 0;
  vf_server_opts o = {.scorers = 3};
  vf_server *s = start(&o, &calls);
  if (!s)
    return;
  bg b[NCLIENTS];
  for (int i = 0; i < NCLIENTS; i++) {
    b[i].port = vf_server_port(s);
    b[i].body = "{\"query\":[\"good\",\"bad\"],\"labels\":[\"{}\",\"{}\"]}";
    pthread_create(&b[i].th, NULL, client, &b[i]);
  }
  int bad = 0;
  for (int i = 0; i < NCLIENTS; i++) {
    pthread_join(b[i].th, NULL);
    bad += (int)b[i].r.status;
  }
  CHECKF(bad == 0, "%d of %d concurrent answers wrong", bad,
         NCLIENTS * PER_CLIENT);
  CHECK(vf_server_free(s, 5) == 0);
}

/* Opens the gate once the server has begun draining. */
static void *open_when_draining(void *arg) {
  const vf_server *s = arg;
  double end = vf_now() + 60;
  while (!vf_server_draining(s) && vf_now() < end) {
    struct timespec ts = {0, 5 * 1000000L};
    nanosleep(&ts, NULL);
  }
  gate_set(1);
  return NULL;
}

static void test_drain(void) {
  atomic_int calls = 0;
  vf_server_opts o = {.scorers = 2};
  vf_server *s = start(&o, &calls);
  if (!s)
    return;
  int port = vf_server_port(s);
  bg slow;
  pthread_t opener;
  gate_set(0);
  int passed = gate_count(&gate_passed);
  bg_start(&slow, port, "/reward",
           "{\"prompt\":\"p\",\"response\":\"hold\",\"label\":\"{}\"}");
  wait_for(0, "items held at the gate", &gate_held, 1);
  pthread_create(&opener, NULL, open_when_draining, s);
  CHECK(vf_server_drain(s, 30) == 0);
  CHECKF(gate_count(&gate_passed) == passed + 1,
         "drain returned before the request in flight was scored");
  pthread_join(opener, NULL);
  pthread_join(slow.th, NULL);
  CHECKF(slow.r.status == 200 && strstr(slow.r.body.data, "\"reward\":1"),
         "in-flight request during drain: %ld %s", slow.r.status,
         slow.r.body.data);
  vf_buf_free(&slow.r.body);
  resp r = call(port, "/healthz", NULL, NULL); /* no longer accepting */
  CHECKF(r.status == 0 || r.status == 503, "after drain: %ld", r.status);
  vf_buf_free(&r.body);
  CHECK(vf_server_free(s, 5) == 0);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  test_basic_server();
  test_token_and_limits();
  test_busy();
  test_deadline();
  test_concurrency();
  test_drain();
  curl_global_cleanup();
  return vf_test_summary("server_http");
}
