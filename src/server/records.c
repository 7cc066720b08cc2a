/*
 * records.c: what the protocol adapters share about items and records:
 * reading the numbers of a scorer record (reward, hard score, soft
 * verdict, error), writing the error record of an item that was not
 * scored, JSON string output, and cutting the response out of an
 * OpenRLHF query (prompt prefix, chat-template end markers).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

static const char *const default_markers[] = {"<|im_end|>", "<|eot_id|>",
                                              "<|endoftext|>", "</s>"};

/* Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid. */
static size_t utf8_seq(const char *s, size_t len, size_t i) {
  unsigned char c = (unsigned char)s[i];
  size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (!k || i + k > len || !vf_utf8_valid(s + i, k, NULL))
    return 0;
  return k;
}

static int put_escape(vf_buf *b, unsigned char c) {
  switch (c) {
  case '"': return vf_buf_append(b, "\\\"", 2);
  case '\\': return vf_buf_append(b, "\\\\", 2);
  case '\n': return vf_buf_append(b, "\\n", 2);
  case '\r': return vf_buf_append(b, "\\r", 2);
  case '\t': return vf_buf_append(b, "\\t", 2);
  default: return vf_buf_printf(b, "\\u%04x", c);
  }
}

int vf_json_str(vf_buf *b, const char *s, size_t len) {
  int valid = vf_utf8_valid(s, len, NULL);
  if (vf_buf_reserve(b, len + 2) || vf_buf_putc(b, '"'))
    return -1;
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && (unsigned char)s[j] >= 0x20 && s[j] != '"' &&
           s[j] != '\\' && (valid || (unsigned char)s[j] < 0x80))
      j++;
    if (j > i && vf_buf_append(b, s + i, j - i))
      return -1;
    if (j >= len)
      break;
    unsigned char c = (unsigned char)s[j];
    size_t k = c >= 0x80 ? utf8_seq(s, len, j) : 0;
    int rc = c < 0x80 ? put_escape(b, c)
             : k      ? vf_buf_append(b, s + j, k)
                      : vf_buf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD */
    if (rc)
      return -1;
    i = j + (k ? k : 1);
  }
  return vf_buf_putc(b, '"');
}

char *vf_rec_error(const char *id_json, const char *msg) {
  vf_buf b = {0};
  int rc = vf_buf_printf(&b, "{\"id\":%s,\"reward\":null,\"hard\":null,"
                             "\"soft\":null,\"checks\":null,\"error\":",
                         id_json ? id_json : "null");
  if (rc || vf_json_str(&b, msg, strlen(msg)) || vf_buf_putc(&b, '}')) {
    vf_buf_free(&b);
    return NULL;
  }
  return b.data;
}

/* 1 pass, 0 fail, -1 neither, from a soft part's "verdict". */
static int soft_verdict(const json_t *soft) {
  const json_t *v = json_object_get(soft, "verdict");
  if (json_is_boolean(v))
    return json_is_true(v);
  if (json_is_number(v))
    return json_number_value(v) > 0;
  const char *s = json_string_value(v);
  if (s && (!strcmp(s, "pass") || !strcmp(s, "yes") || !strcmp(s, "true")))
    return 1;
  if (s && (!strcmp(s, "fail") || !strcmp(s, "no") || !strcmp(s, "false")))
    return 0;
  return -1;
}

/* Why a record without a number has none. */
static void no_reward(const json_t *rec, vf_rec *out) {
  const char *e = json_string_value(json_object_get(rec, "error"));
  const char *st =
      json_string_value(json_object_get(json_object_get(rec, "soft"), "status"));
  if (e)
    snprintf(out->error, sizeof out->error, "%s", e);
  else if (st)
    snprintf(out->error, sizeof out->error, "reward is null (soft: %s)", st);
  else
    snprintf(out->error, sizeof out->error, "reward is null");
}

void vf_rec_read(vf_metrics *m, const char *record, double timeout_s,
                 vf_rec *out) {
  memset(out, 0, sizeof *out);
  out->hard = -1;
  out->soft = -1;
  if (!record) {
    snprintf(out->error, sizeof out->error,
             "not scored within the request timeout (%g s)", timeout_s);
    return;
  }
  json_t *rec = json_loads(record, 0, NULL);
  if (!json_is_object(rec)) {
    snprintf(out->error, sizeof out->error, "malformed record from the scorer");
    json_decref(rec);
    return;
  }
  if (m)
    vf_metrics_checks(m, json_object_get(rec, "checks"));
  const json_t *hard = json_object_get(rec, "hard");
  const json_t *reward = json_object_get(rec, "reward");
  if (json_is_number(json_object_get(hard, "score")))
    out->hard = json_number_value(json_object_get(hard, "score"));
  out->soft = soft_verdict(json_object_get(rec, "soft"));
  if (json_is_number(reward) && !json_is_string(json_object_get(rec, "error"))) {
    out->ok = 1;
    out->reward = json_number_value(reward);
  } else {
    no_reward(rec, out);
  }
  json_decref(rec);
}

size_t vf_strip_markers(char *s, size_t len, const char *const *extra,
                        size_t nextra) {
  size_t ndef = sizeof default_markers / sizeof default_markers[0];
  for (size_t m = 0; m < ndef + nextra; m++) {
    const char *mk = m < ndef ? default_markers[m] : extra[m - ndef];
    size_t mlen = strlen(mk), w = 0, r = 0;
    if (!mlen || mlen > len)
      continue;
    const char *hit = memmem(s, len, mk, mlen);
    while (hit) {
      size_t at = (size_t)(hit - s);
      memmove(s + w, s + r, at - r);
      w += at - r;
      r = at + mlen;
      hit = memmem(s + r, len - r, mk, mlen);
    }
    memmove(s + w, s + r, len - r);
    len = w + (len - r);
  }
  s[len] = '\0';
  return len;
}

char *vf_query_response(const char *query, size_t qlen, const char *prompt,
                        size_t plen, const char *const *extra, size_t nextra,
                        size_t *out_len, int *note) {
  size_t start = 0;
  *note = 0;
  if (!prompt) {
    *note = 1;
  } else if (plen <= qlen && !memcmp(query, prompt, plen)) {
    start = plen;
  } else {
    const char *at = plen ? memmem(query, qlen, prompt, plen) : NULL;
    if (at)
      start = (size_t)(at - query) + plen;
    else
      *note = 1;
  }
  char *resp = malloc(qlen - start + 1);
  if (!resp)
    return NULL;
  memcpy(resp, query + start, qlen - start);
  resp[qlen - start] = '\0';
  *out_len = vf_strip_markers(resp, qlen - start, extra, nextra);
  return resp;
}

/* ---- request bodies and items ------------------------------------------ */

const char *vf_json_kind(const json_t *v) {
  if (!v)
    return "nothing";
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER:
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

json_t *vf_req_body(vf_req *r) {
  json_error_t je;
  json_t *body = json_loadb(r->body, r->len, 0, &je);
  if (!body) {
    vf_req_fail(r, 400, "malformed JSON body at line %d, column %d: %s",
                je.line, je.column, je.text);
    return NULL;
  }
  if (!json_is_object(body)) {
    vf_req_fail(r, 400, "the body must be a JSON object, got %s",
                vf_json_kind(body));
    json_decref(body);
    return NULL;
  }
  return body;
}

json_t *vf_label_parse(const json_t *label, char *why, size_t size) {
  if (json_is_object(label))
    return json_deep_copy(label);
  if (!label) {
    snprintf(why, size, "missing (the constraints, as a JSON string)");
    return NULL;
  }
  if (!json_is_string(label)) {
    snprintf(why, size, "must be a JSON object or a string holding one, got %s",
             vf_json_kind(label));
    return NULL;
  }
  json_error_t je;
  json_t *obj = json_loadb(json_string_value(label), json_string_length(label),
                           0, &je);
  if (!json_is_object(obj)) {
    if (obj)
      snprintf(why, size, "must hold a JSON object, holds %s",
               vf_json_kind(obj));
    else
      snprintf(why, size, "malformed JSON at column %d: %s", je.column,
               je.text);
    json_decref(obj);
    return NULL;
  }
  return obj;
}

/* The item spliced from the label's own text (orig, a JSON string holding
 * the object): "prompt" and "response" go first, the label's members
 * follow as the client wrote them.  NULL when out of memory. */
static char *splice(const json_t *orig, const json_t *label, const char *prompt,
                    size_t plen, const char *resp, size_t rlen, size_t *len) {
  const char *t = json_string_value(orig);
  size_t tl = json_string_length(orig), i = 0;
  while (i < tl && t[i] != '{')
    i++; /* only whitespace comes before it: jansson took it as an object */
  vf_buf b = {0};
  int rc = vf_buf_reserve(&b, tl + plen + rlen + 64) || vf_buf_putc(&b, '{');
  if (!rc && prompt && !json_object_get(label, "prompt"))
    rc = vf_buf_append(&b, "\"prompt\":", 9) || vf_json_str(&b, prompt, plen) ||
         vf_buf_putc(&b, ',');
  rc = rc || vf_buf_append(&b, "\"response\":", 11) ||
       vf_json_str(&b, resp, rlen);
  if (!rc && json_object_size(label))
    rc = vf_buf_putc(&b, ',') || vf_buf_append(&b, t + i + 1, tl - i - 1);
  else if (!rc)
    rc = vf_buf_putc(&b, '}');
  if (rc) {
    vf_buf_free(&b);
    return NULL;
  }
  *len = b.len;
  return b.data;
}

char *vf_item_build(json_t *label, const json_t *orig, const char *prompt,
                    size_t plen, const char *resp, size_t rlen, size_t *len) {
  if (json_is_string(orig) && !json_object_get(label, "response") &&
      !json_object_get(label, "responses"))
    return splice(orig, label, prompt, plen, resp, rlen, len);
  if (prompt && !json_object_get(label, "prompt") &&
      json_object_set_new(label, "prompt", json_stringn(prompt, plen)))
    return NULL;
  json_object_del(label, "responses");
  if (json_object_set_new(label, "response", json_stringn(resp, rlen)))
    return NULL;
  char *text = json_dumps(label, JSON_COMPACT);
  if (text)
    *len = strlen(text);
  return text;
}

int vf_json_num(vf_buf *b, double x) {
  char s[40];
  if (x != x || x > 1e308 || x < -1e308)
    return vf_buf_append(b, "null", 4);
  snprintf(s, sizeof s, "%.15g", x);
  if (strtod(s, NULL) != x)
    snprintf(s, sizeof s, "%.17g", x);
  return vf_buf_append(b, s, strlen(s));
}

int vf_check_verdict(const json_t *chk) {
  static const char *const keys[] = {"pass", "passed", "verdict", "ok"};
  const json_t *e = json_object_get(chk, "error");
  if (e && !json_is_null(e))
    return -1;
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    const json_t *v = json_object_get(chk, keys[k]);
    if (json_is_boolean(v))
      return json_is_true(v);
    if (json_is_integer(v))
      return json_integer_value(v) != 0;
  }
  return -2;
}

/* ---- the instruction inside a chat-templated prompt ---------------------- */

/* User-turn markers of common chat templates, and the end of the turn. */
static const struct {
  const char *open, *close;
} user_turns[] = {
    {"<|im_start|>user\n", "<|im_end|>"},                         /* ChatML */
    {"<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>"}, /* Llama 3 */
    {"<start_of_turn>user\n", "<end_of_turn>"},                   /* Gemma */
    {"<\xEF\xBD\x9CUser\xEF\xBD\x9C>", "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>"}, /* DeepSeek */
    {"<|user|>\n", "<|end|>"},                                    /* Phi-3 */
    {"[INST]", "[/INST]"},                                        /* Mistral */
};

static const char *last_hit(const char *s, size_t len, const char *needle) {
  size_t n = strlen(needle);
  const char *last = NULL, *p = memmem(s, len, needle, n);
  while (p) {
    last = p;
    p = memmem(p + n, len - (size_t)(p + n - s), needle, n);
  }
  return last;
}

void vf_prompt_instruction(const char *p, size_t len, size_t *b, size_t *e) {
  *b = 0;
  *e = len;
  for (size_t k = 0; k < sizeof user_turns / sizeof user_turns[0]; k++) {
    const char *open = last_hit(p, len, user_turns[k].open);
    if (!open)
      continue;
    size_t from = (size_t)(open - p) + strlen(user_turns[k].open);
    const char *close = memmem(p + from, len - from, user_turns[k].close,
                               strlen(user_turns[k].close));
    *b = from;
    *e = close ? (size_t)(close - p) : len;
    while (*b < *e && strchr(" \t\r\n", p[*b]))
      (*b)++;
    while (*e > *b && strchr(" \t\r\n", p[*e - 1]))
      (*e)--;
    return;
  }
}
