/*
 * verdict.c: the wire format of the judge: the chat-completions request
 * body, the reply's choices[0].message.content, and VerIF's verdict in it
 * (the first [[N]] after the last </think>, matched as Python's
 * re.search(r'\[\[(\d+)\]\]') would).  Called by client.c and judge.c.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "judge/judge_int.h"
#include "text/pyjson.h"

#define THINK_END "</think>"

const char *vf_judge_after_think(const char *s, size_t len, size_t *rest) {
  const char *from = s, *hit;
  size_t n = sizeof THINK_END - 1;
  for (;;) {
    hit = memmem(from, len - (size_t)(from - s), THINK_END, n);
    if (!hit)
      break;
    from = hit + n;
  }
  if (from == s && memmem(s, len, "<think>", 7)) /* reasoning never ended */
    from = s + len;
  *rest = len - (size_t)(from - s);
  return from;
}

/* Matches \d+\]\] at s[i]: the value (clamped) and 1, else 0. */
static int match_number(const char *s, size_t len, size_t i, int *score) {
  long long v = 0;
  size_t ndigits = 0;
  while (i < len) {
    int32_t cp;
    size_t n = vf_utf8_decode(s, len, i, &cp);
    int d = vf_judge_py_decimal(cp);
    if (d < 0)
      break;
    v = v > INT_MAX ? v : v * 10 + d;
    ndigits++;
    i += n;
  }
  if (ndigits == 0 || len - i < 2 || s[i] != ']' || s[i + 1] != ']')
    return 0;
  *score = v > INT_MAX ? INT_MAX : (int)v;
  return 1;
}

vf_judge_status vf_judge_score_text(const char *s, size_t len, int *score) {
  for (size_t i = 0; i + 1 < len; i++) {
    const char *open = memmem(s + i, len - i, "[[", 2);
    if (!open)
      break;
    i = (size_t)(open - s);
    if (match_number(s, len, i + 2, score))
      return VF_JUDGE_OK;
  }
  *score = 0;
  return VF_JUDGE_UNPARSED;
}

/* ---- reply and request bodies ----------------------------------------- */

static int fail(char *why, size_t whysz, const char *msg) {
  snprintf(why, whysz, "%s", msg);
  return -1;
}

static int server_error(json_t *root, char *why, size_t whysz) {
  json_t *e = json_object_get(root, "error");
  json_t *m = json_is_object(e) ? json_object_get(e, "message") : e;
  snprintf(why, whysz, "server error: %.160s",
           json_is_string(m) ? json_string_value(m) : "(no message)");
  return -1;
}

static int take_content(json_t *root, vf_buf *content, char *why,
                        size_t whysz) {
  json_t *choices = json_object_get(root, "choices");
  if (!json_is_array(choices))
    return json_object_get(root, "error")
               ? server_error(root, why, whysz)
               : fail(why, whysz, "no \"choices\" array");
  if (json_array_size(choices) == 0)
    return fail(why, whysz, "empty \"choices\"");
  json_t *msg = json_object_get(json_array_get(choices, 0), "message");
  if (!json_is_object(msg))
    return fail(why, whysz, "choices[0] has no \"message\" object");
  json_t *c = json_object_get(msg, "content");
  if (json_is_null(c))
    return vf_buf_reserve(content, 1) ? fail(why, whysz, "out of memory") : 0;
  if (!json_is_string(c))
    return fail(why, whysz, "message.content is not a string");
  if (vf_buf_append(content, json_string_value(c), json_string_length(c)) ||
      vf_buf_reserve(content, 1))
    return fail(why, whysz, "out of memory");
  return 0;
}

int vf_judge_parse_reply(const char *body, size_t len, vf_buf *content,
                         char *why, size_t whysz) {
  json_error_t je;
  json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &je);
  if (!root) {
    snprintf(why, whysz, "not JSON (%.100s, at byte %d)", je.text,
             je.position);
    return -1;
  }
  int rc = json_is_object(root) ? take_content(root, content, why, whysz)
                                : fail(why, whysz, "not a JSON object");
  json_decref(root);
  return rc;
}

int vf_judge_body(vf_buf *out, const char *model, const char *prompt,
                  size_t len, int max_tokens) {
  if (vf_buf_append(out, "{\"model\": ", 10) ||
      vf_pyjson_dump_str(out, model, strlen(model)) ||
      vf_buf_printf(out, ", \"messages\": [{\"role\": \"user\", "
                         "\"content\": ") ||
      vf_pyjson_dump_str(out, prompt, len))
    return -1;
  return vf_buf_printf(out, "}], \"temperature\": 0.0, \"max_tokens\": %d}",
                       max_tokens);
}
