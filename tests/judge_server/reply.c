/*
 * reply.c: what the test judge server answers.  POST .../chat/completions
 * is recorded and answered by markers in the user message: JUDGE:PASS [[1]],
 * FAIL [[0]], SCORE=N [[N]], none [[1]]; faults 500, 429 (Retry-After: 1 the
 * first time a body is seen), HANG, BADJSON, NOCHOICES, RESET (drop the
 * connection), THINK (all reasoning), THINKPASS ([[0]] in reasoning, then
 * [[1]]), ECHOKEY (500 echoing Authorization), SHOWKEY ([[1]] + it), ECHO
 * (the user message itself, for verif audit's written probes);
 * HOLD waits, before any other marker applies, until the gate is opened
 * (POST /gate/open; POST /gate/close closes it again; it starts closed), so
 * a test can keep a request in flight for exactly as long as it needs.
 * GET /stats gives the counters as JSON ("held": requests now held).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

void judge_sleep_ms(server *s, long ms) {
  while (ms > 0 && !atomic_load(&s->stopping)) {
    long step = ms < 10 ? ms : 10;
    struct timespec ts = {0, step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

void judge_hold(server *s) {
  pthread_mutex_lock(&s->lock);
  s->held++;
  while (!s->gate_open && !atomic_load(&s->stopping)) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 50 * 1000000L; /* wakes to notice a stop */
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->gate_cv, &s->lock, &until);
  }
  s->held--;
  pthread_mutex_unlock(&s->lock);
}

void judge_gate(server *s, int open) {
  pthread_mutex_lock(&s->lock);
  s->gate_open = open;
  if (open)
    pthread_cond_broadcast(&s->gate_cv);
  pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned code,
                                 const char *text, const char *retry_after) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "application/json");
  if (retry_after)
    MHD_add_response_header(r, "Retry-After", retry_after);
  enum MHD_Result rc = MHD_queue_response(conn, code, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned code,
                                 json_t *v) {
  char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  if (!text)
    return MHD_NO;
  enum MHD_Result rc = send_text(conn, code, text, NULL);
  free(text);
  return rc;
}

/* A chat completion whose message content is text. */
static enum MHD_Result send_content(struct MHD_Connection *conn,
                                    const char *text, const char *model) {
  json_t *msg = json_pack("{s:s, s:s, s:s}", "role", "assistant", "content",
                          text, "reasoning_content", "ignore me: [[0]]");
  json_t *v = json_pack("{s:s, s:s, s:s, s:[{s:i, s:o, s:s}]}", "id",
                        "chatcmpl-test", "object", "chat.completion",
                        "model", model, "choices", "index", 0, "message",
                        msg, "finish_reason", "stop");
  return send_json(conn, MHD_HTTP_OK, v);
}

static enum MHD_Result send_stats(server *s, struct MHD_Connection *conn) {
  pthread_mutex_lock(&s->lock);
  json_t *v = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)s->requests,
      "connections", (json_int_t)s->connections, "max_connections",
      (json_int_t)s->max_connections, "in_progress",
      (json_int_t)s->in_progress, "max_in_progress",
      (json_int_t)s->max_in_progress, "held", (json_int_t)s->held);
  pthread_mutex_unlock(&s->lock);
  return send_json(conn, MHD_HTTP_OK, v);
}

static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
  return h;
}

/* True the first time this body is seen (for JUDGE:429). */
static int first_sight(server *s, const char *body, size_t len) {
  uint64_t h = fnv1a(body, len);
  int first = 1;
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; i < s->nseen429 && first; i++)
    first = s->seen429[i] != h;
  if (first && s->nseen429 == s->capseen429) {
    size_t cap = s->capseen429 ? 2 * s->capseen429 : 16;
    uint64_t *p = realloc(s->seen429, cap * sizeof *p);
    if (p) {
      s->seen429 = p;
      s->capseen429 = cap;
    }
  }
  if (first && s->nseen429 < s->capseen429)
    s->seen429[s->nseen429++] = h;
  pthread_mutex_unlock(&s->lock);
  return first;
}

static void record(server *s, const char *body, size_t len) {
  pthread_mutex_lock(&s->lock);
  s->requests++;
  if (s->record) {
    fwrite(body, 1, len, s->record);
    fputc('\n', s->record);
    fflush(s->record);
  }
  pthread_mutex_unlock(&s->lock);
}

/* The user message's text: every message content, concatenated. */
static char *prompt_of(json_t *req) {
  json_t *msgs = json_object_get(req, "messages"), *m;
  size_t i, total = 0;
  json_array_foreach(msgs, i, m) {
    total += json_string_length(json_object_get(m, "content"));
  }
  char *out = malloc(total + 1), *at = out;
  if (!out)
    return NULL;
  json_array_foreach(msgs, i, m) {
    json_t *c = json_object_get(m, "content");
    memcpy(at, json_string_value(c) ? json_string_value(c) : "",
           json_string_length(c));
    at += json_string_length(c);
  }
  *at = '\0';
  return out;
}

static int has(const char *p, const char *marker) {
  return strstr(p, marker) != NULL;
}

/* The verdict text for a normal answer. */
static void verdict(const char *p, char *out, size_t size) {
  const char *score = strstr(p, "JUDGE:SCORE=");
  if (score)
    snprintf(out, size, "[[%ld]]", strtol(score + 12, NULL, 10));
  else
    snprintf(out, size, "%s", has(p, "JUDGE:FAIL") ? "[[0]]" : "[[1]]");
}

static enum MHD_Result echo_key(struct MHD_Connection *conn, int ok,
                                const char *model) {
  const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 "Authorization");
  char text[512];
  if (ok) {
    snprintf(text, sizeof text, "[[1]] %s", auth ? auth : "(none)");
    return send_content(conn, text, model);
  }
  snprintf(text, sizeof text, "{\"error\": \"bad key: %s\"}",
           auth ? auth : "(none)");
  return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text, NULL);
}

static enum MHD_Result scripted(server *s, struct MHD_Connection *conn,
                                const char *p, const char *model,
                                const char *body, size_t len) {
  char v[64];
  if (has(p, "JUDGE:HOLD"))
    judge_hold(s);
  if (has(p, "JUDGE:HANG")) {
    judge_sleep_ms(s, 3600 * 1000L);
    return MHD_NO;
  }
  if (has(p, "JUDGE:RESET"))
    return MHD_NO;
  if (has(p, "JUDGE:500"))
    return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                     "{\"error\": {\"message\": \"scripted 500\"}}", NULL);
  if (has(p, "JUDGE:ECHOKEY") || has(p, "JUDGE:SHOWKEY"))
    return echo_key(conn, has(p, "JUDGE:SHOWKEY"), model);
  if (has(p, "JUDGE:429") && first_sight(s, body, len))
    return send_text(conn, 429, "{\"error\": \"slow down\"}", "1");
  if (has(p, "JUDGE:BADJSON"))
    return send_text(conn, MHD_HTTP_OK, "{\"choices\": [{\"message\": ", NULL);
  if (has(p, "JUDGE:NOCHOICES"))
    return send_text(conn, MHD_HTTP_OK, "{\"choices\": []}", NULL);
  if (has(p, "JUDGE:ECHO"))
    return send_content(conn, p, model);
  if (has(p, "JUDGE:THINKPASS"))
    return send_content(conn, "<think>Maybe [[0]]? No.</think>[[1]]", model);
  if (has(p, "JUDGE:THINK"))
    return send_content(conn, "<think>Is it [[1]]? Hard to say.</think>\n",
                        model);
  verdict(p, v, sizeof v);
  return send_content(conn, v, model);
}

static enum MHD_Result completion(server *s, struct MHD_Connection *conn,
                                  const char *body, size_t len) {
  record(s, body, len);
  json_t *req = json_loadb(body, len, 0, NULL);
  char *p = req ? prompt_of(req) : NULL;
  if (!p) {
    json_decref(req);
    return send_text(conn, MHD_HTTP_BAD_REQUEST,
                     "{\"error\": \"bad request body\"}", NULL);
  }
  const char *model = json_string_value(json_object_get(req, "model"));
  judge_sleep_ms(s, s->latency_ms);
  enum MHD_Result rc = scripted(s, conn, p, model ? model : "", body, len);
  free(p);
  json_decref(req);
  return rc;
}

enum MHD_Result judge_answer(server *s, struct MHD_Connection *conn,
                             const char *method, const char *url,
                             const char *body, size_t len) {
  size_t n = strlen(url), suffix = strlen("/chat/completions");
  if (!strcmp(method, "GET") && !strcmp(url, "/stats"))
    return send_stats(s, conn);
  if (!strcmp(method, "POST") && (!strcmp(url, "/gate/open") ||
                                  !strcmp(url, "/gate/close"))) {
    judge_gate(s, !strcmp(url, "/gate/open"));
    return send_stats(s, conn);
  }
  if (!strcmp(method, "POST") && n >= suffix &&
      !strcmp(url + n - suffix, "/chat/completions"))
    return completion(s, conn, body, len);
  return send_text(conn, MHD_HTTP_NOT_FOUND, "{\"error\": \"not found\"}",
                   NULL);
}
